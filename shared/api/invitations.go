package api

import (
	"context"
	"errors"
	"time"

	"github.com/portalaccess/portalaccess/shared/apperr"
	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/httpapi"
	"github.com/portalaccess/portalaccess/shared/identity"
	"github.com/portalaccess/portalaccess/shared/store"
)

// claimLease is how long an accept holds its token; longer than the accept
// function may run, so that a claim outlives only a crashed accept.
const claimLease = 30 * time.Second

// pendingGrace is how long after its claim lapses a pending identity waits
// before the sweep looks at it.
const pendingGrace = 2 * time.Minute

type inspectInput struct {
	Token *string `json:"token"`
}

type inspectView struct {
	Email           string    `json:"email"`
	CustomerName    *string   `json:"customerName"`
	ExpiresAt       time.Time `json:"expiresAt"`
	ExistingAccount bool      `json:"existingAccount"`
}

// takePublic counts a call of a public invitation route against the source
// address's limit per minute (PUBLIC_RATE_LIMIT); API Gateway's route
// throttling limits the routes as a whole besides.
func (d *Deps) takePublic(ctx context.Context, r *httpapi.Request) error {
	ip := r.Event.RequestContext.HTTP.SourceIP
	if ip == "" {
		ip = "unknown"
	}
	return d.Store.Take(ctx, "public#"+ip, 1, d.Config.PublicRateLimit, time.Minute, d.now())
}

// readToken reads the token of a public invitation request. A missing token
// is a 400; a token of the wrong shape is answered as any unknown token is.
func readToken(p *string) (string, error) {
	if p == nil {
		return "", apperr.Fields(apperr.Field("token", "required", "token is required."))
	}
	if !domain.WellFormedToken(*p) {
		return "", apperr.ErrInvitation
	}
	return domain.HashToken(*p), nil
}

// InspectInvitation tells the invitee who is invited where, until when, and
// whether the e-mail already signs in (then no password is asked for).
func InspectInvitation(d *Deps) httpapi.Endpoint {
	return func(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
		if err := d.takePublic(ctx, r); err != nil {
			return nil, err
		}
		var in inspectInput
		if err := r.Decode(&in); err != nil {
			return nil, err
		}
		hash, err := readToken(in.Token)
		if err != nil {
			return nil, err
		}
		ref, err := d.Store.Invitation(ctx, hash, d.now())
		if err != nil {
			return nil, err
		}
		out := inspectView{Email: ref.Email, ExpiresAt: ts(ref.ExpiresAt)}
		cuErr, idErr := both(func() error {
			if ref.Scope.IsProvider() {
				return nil // operators are invited to no customer
			}
			cu, err := d.Store.Customer(ctx, ref.Scope.CustomerID)
			if err == nil {
				out.CustomerName = &cu.Name
			}
			return err
		}, func() error {
			var err error
			out.ExistingAccount, _, err = d.existingAccount(ctx, ref.Email, ref.Scope)
			return err
		})
		if cuErr != nil {
			return nil, cuErr
		}
		if idErr != nil {
			return nil, idErr
		}
		return httpapi.OK(out), nil
	}
}

// existingAccount reports whether the e-mail signs in already through a
// membership other than the one in the scope. An identity without any
// membership is left over from an accept that failed half-way: it is not an
// account, and accepting gives it the chosen password.
func (d *Deps) existingAccount(ctx context.Context, email string, sc domain.Scope) (bool, *identity.Identity, error) {
	id, found, err := d.Identity.Lookup(ctx, email)
	if err != nil || !found {
		return false, nil, err
	}
	ms, err := d.Store.Memberships(ctx, id.Sub)
	if err != nil {
		return false, &id, err
	}
	for _, m := range ms {
		if m.Scope() != sc {
			return true, &id, nil
		}
	}
	return false, &id, nil
}

type acceptInput struct {
	Token    *string `json:"token"`
	Password *string `json:"password"`
	Name     *string `json:"name"`
}

type acceptView struct {
	Email  string        `json:"email"`
	Status domain.Status `json:"status"`
	SignIn string        `json:"signIn"`
}

// AcceptInvitation turns an invitation into an enabled membership: the token
// is claimed (so that of two accepts only one proceeds), the sign-in
// identity is created with the chosen password (or an existing account is
// linked, its password untouched), and one transaction spends the token,
// enables the member and records it. If that transaction fails, an identity
// created by this request is deleted again: nothing is left half-done, and
// the same request can simply be retried.
func AcceptInvitation(d *Deps) httpapi.Endpoint {
	return func(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
		if err := d.takePublic(ctx, r); err != nil {
			return nil, err
		}
		var in acceptInput
		if err := r.Decode(&in); err != nil {
			return nil, err
		}
		hash, err := readToken(in.Token)
		if err != nil {
			return nil, err
		}
		var fields []apperr.FieldError
		name := cleanName("name", in.Name, false, &fields)
		if len(fields) > 0 {
			return nil, apperr.Fields(fields...)
		}
		now := d.now()
		claim := domain.NewID("claim")
		ref, err := d.Store.ClaimInvitation(ctx, hash, claim, now, now.Add(claimLease))
		if err != nil {
			return nil, err
		}
		out, err := d.accept(ctx, ref, hash, claim, in.Password, name)
		if err != nil {
			if rerr := d.Store.ReleaseClaim(context.WithoutCancel(ctx), hash, claim); rerr != nil {
				d.Log.WarnContext(ctx, "claim not released; it lapses", "error", rerr.Error())
			}
			return nil, err
		}
		return httpapi.OK(out), nil
	}
}

func (d *Deps) accept(ctx context.Context, ref store.InvitationRef, hash, claim string, password *string, name string) (*acceptView, error) {
	m, err := d.Store.Member(ctx, ref.Scope, ref.MemberID, true)
	if errors.Is(err, apperr.ErrNotFound) {
		return nil, apperr.ErrInvitation
	}
	if err != nil {
		return nil, err
	}
	if m.Status != domain.StatusUnconfirmed || m.Invitation == nil || m.Invitation.TokenHash != hash || m.Invitation.State != domain.InvitationPending {
		return nil, apperr.ErrInvitation
	}
	existing, id, err := d.existingAccount(ctx, m.Email, m.Scope())
	if err != nil {
		return nil, err
	}
	signIn := "existing_account"
	created, pending := false, false
	if !existing {
		signIn = "password_set"
		if password == nil {
			return nil, apperr.Fields(apperr.Field("password", "required", "Choose a password: this e-mail has no account yet."))
		}
		if err := identity.Policy.Check(*password); err != nil {
			return nil, err
		}
		// The table hears of the identity before Cognito makes it: if this
		// request dies between the two, the sweep finds the marker and
		// deletes an identity that no membership came to hold.
		if err := d.Store.PendingIdentity(ctx, m.Email, claim, d.now().Add(claimLease+pendingGrace)); err != nil {
			return nil, err
		}
		pending = true
		if id == nil {
			nid, err := d.Identity.Create(ctx, m.Email, *password)
			switch {
			case apperr.Is(err, apperr.Conflict, "identity_exists"):
				// Made by a call whose answer was lost, or by an accept that
				// failed half-way: it has no membership, so it is ours to use.
				found, ok, lerr := d.Identity.Lookup(ctx, m.Email)
				if lerr != nil || !ok {
					return nil, errors.Join(err, lerr)
				}
				if err := d.Identity.SetPassword(ctx, found.Sub, *password); err != nil {
					return nil, err
				}
				id = &found
			case err != nil:
				if nid.Sub != "" { // created, but the password was refused
					_ = d.Identity.Delete(context.WithoutCancel(ctx), nid.Sub)
				}
				return nil, err
			default:
				id, created = &nid, true
			}
		} else if err := d.Identity.SetPassword(ctx, id.Sub, *password); err != nil {
			return nil, err
		}
	}
	now := d.now()
	after := m
	after.Status, after.Sub, after.Version, after.UpdatedAt = domain.StatusEnabled, id.Sub, m.Version+1, now
	if name != "" {
		after.Name = name
	}
	inv := *m.Invitation
	inv.State = domain.InvitationAccepted
	after.Invitation = &inv
	actor := domain.Actor{ID: m.ID, Email: m.Email, Kind: domain.ActorPortalUser, Name: m.Name}
	if m.Scope().IsProvider() {
		actor.Kind = domain.ActorOperator
	}
	ch := store.MemberChange{
		Before: m, After: &after, Now: now, UseToken: hash, ClaimID: claim,
		SyncIdentity: !id.Enabled,
		Event:        newEvent(now, actor, domain.Action(m.Kind(), domain.ActionAccepted), domain.TargetOf(&m), m.Scope()),
	}
	if pending {
		ch.ClearPending = claim
	}
	if err := d.Store.ChangeMember(ctx, ch, nil); err != nil {
		if created {
			if derr := d.Identity.Delete(context.WithoutCancel(ctx), id.Sub); derr != nil {
				d.Log.ErrorContext(ctx, "identity of a failed accept not deleted", "sub", id.Sub, "error", derr.Error())
			}
		}
		if errors.Is(err, store.ErrVersion) {
			return nil, apperr.ErrInvitation
		}
		return nil, err
	}
	if ch.SyncIdentity {
		d.syncIdentity(ctx, id.Sub, ch.Event.ID)
	}
	return &acceptView{Email: m.Email, Status: domain.StatusEnabled, SignIn: signIn}, nil
}
