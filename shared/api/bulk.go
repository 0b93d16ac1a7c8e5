package api

import (
	"context"
	"encoding/json"
	"errors"
	"sync"

	"github.com/portalaccess/portalaccess/shared/apperr"
	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/httpapi"
	"github.com/portalaccess/portalaccess/shared/store"
	"golang.org/x/sync/errgroup"
)

// MaxBulk is the most e-mails one bulk invite takes.
const MaxBulk = 100

// bulkWorkers is how many invitations of one bulk request run at once.
const bulkWorkers = 8

type bulkInput struct {
	Emails    []string `json:"emails"`
	Admin     *bool    `json:"admin"`
	Roles     []string `json:"roles"`
	PortalIDs []string `json:"portalIds"`
}

type bulkResult struct {
	Email   string     `json:"email"`
	Outcome string     `json:"outcome"`
	User    *userView  `json:"user,omitempty"`
	Error   *bulkError `json:"error,omitempty"`
}

type bulkError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// BulkInviteUsers invites up to 100 e-mails with the same settings; each
// gets its own outcome (invited, already_member, invalid). A new user's name
// is the e-mail's local part. With an Idempotency-Key, a retry recognises
// the users its first attempt created, finishes their delivery, and answers
// as the first attempt did.
func BulkInviteUsers(d *Deps) httpapi.Endpoint {
	return d.authedInScope((*Caller).requireUserManager, func(ctx context.Context, r *httpapi.Request, c *Caller, sx scopeContext) (*httpapi.Response, error) {
		cid := sx.Scope.CustomerID
		var in bulkInput
		if err := r.Decode(&in); err != nil {
			return nil, err
		}
		if len(in.Emails) == 0 || len(in.Emails) > MaxBulk {
			return nil, apperr.Fields(apperr.Field("emails", "count", "emails must hold 1 to 100 addresses."))
		}
		key, err := d.idempotencyKey(ctx, r, c, "bulk-invite:"+cid)
		if err != nil {
			return nil, err
		}
		var fields []apperr.FieldError
		_, roles, portals := userFields{nil, in.Admin, in.Roles, in.PortalIDs}.clean(sx, &fields)
		if len(fields) > 0 {
			return nil, apperr.Fields(fields...)
		}
		if key != nil && key.prior != nil && key.prior.Response != "" {
			return d.replayBulk(ctx, c, sx, key.prior.Response)
		}
		// The idempotency record is written first: the request is made of
		// many transactions, and each member it creates carries its id.
		var requestID string
		if key != nil {
			requestID = key.id
			if key.prior == nil {
				err := d.Store.PutIdempotency(ctx, key.record("", d))
				if err != nil && !errors.Is(err, store.ErrIdempotencyRace) {
					return nil, err
				}
				if err != nil {
					// A copy of this request got there first: work beside it
					// as a retry does, counting only what this one creates.
					if _, err := d.lostRace(ctx, key, err); err != nil {
						return nil, err
					}
					key.prior = key.record("", d)
				}
			}
		}
		results := make([]bulkResult, len(in.Emails))
		firstOf := map[string]int{}
		var jobs []int
		for i, raw := range in.Emails {
			email, code := domain.NormalizeEmail(raw)
			results[i].Email = raw
			if code != "" {
				results[i].Outcome = "invalid"
				results[i].Error = &bulkError{Code: code, Message: "Not one valid e-mail address."}
				continue
			}
			results[i].Email = email
			if _, dup := firstOf[email]; dup {
				results[i].Outcome = "already_member" // the same address earlier in this request
				continue
			}
			firstOf[email] = i
			jobs = append(jobs, i)
		}
		// The first attempt counts its invitations at once; a retry of an
		// attempt that did not complete counts each invitation it still has
		// to create, in that invitation's own transaction.
		var count func() store.Writes
		if key != nil && key.prior != nil {
			count = func() store.Writes { return d.countInvite(sx.Scope) }
		} else if len(jobs) > 0 {
			if err := d.takeInvites(ctx, sx.Scope, len(jobs)); err != nil {
				return nil, err
			}
		}
		var wg sync.WaitGroup
		var failMu sync.Mutex
		var fail error
		sem := make(chan struct{}, bulkWorkers)
		for _, i := range jobs {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				var w store.Writes
				if count != nil {
					w = count()
				}
				res, err := d.bulkOne(ctx, c, sx, newMember{Email: results[i].Email, Admin: deref(in.Admin), Roles: roles, PortalIDs: portals}, requestID, w)
				if err != nil {
					failMu.Lock()
					fail = err
					failMu.Unlock()
					return
				}
				results[i] = res
			}()
		}
		wg.Wait()
		if fail != nil {
			// Nothing is lost: the users made so far stay, and a retry with the
			// same Idempotency-Key completes the rest.
			return nil, fail
		}
		out := bulkAnswer{Results: results}
		if key != nil {
			// Recorded once complete: a replay answers this again and creates
			// nothing, even for users deleted since. If recording fails, a
			// replay resumes instead, which is still safe.
			if b, err := json.Marshal(out); err == nil {
				if err := d.Store.CompleteIdempotency(ctx, key.id, key.fingerprint, string(b)); err != nil {
					d.Log.WarnContext(ctx, "bulk answer not recorded; a replay resumes instead", "error", err.Error())
				}
			}
		}
		return httpapi.OK(out), nil
	})
}

type bulkAnswer struct {
	Results []bulkResult `json:"results"`
}

func (d *Deps) bulkOne(ctx context.Context, c *Caller, sx scopeContext, nm newMember, requestID string, w store.Writes) (bulkResult, error) {
	res := bulkResult{Email: nm.Email}
	nm.Request = requestID
	m, err := d.invite(ctx, c, sx, nm, w, nil)
	if errors.Is(err, apperr.ErrAlreadyMember) {
		existing, gerr := d.Store.MemberByEmail(ctx, sx.Scope, nm.Email)
		if gerr == nil && requestID != "" && existing.Request == requestID {
			// Made by the first attempt of this very request: finish it.
			if m, err = d.resumeInvite(ctx, c, sx, existing.ID); err != nil {
				return res, err
			}
			v := viewUser(&m)
			res.Outcome, res.User = "invited", &v
			return res, nil
		}
		res.Outcome = "already_member"
		return res, nil
	}
	if err != nil {
		return res, err
	}
	v := viewUser(&m)
	res.Outcome, res.User = "invited", &v
	return res, nil
}

// replayBulk answers a bulk invite that completed before: its first answer,
// creating nobody again (not even users deleted since), but finishing what
// that attempt could not — an e-mail that failed or whose outcome is unknown
// goes out again, with a fresh link — and showing those users as they are
// now.
func (d *Deps) replayBulk(ctx context.Context, c *Caller, sx scopeContext, recorded string) (*httpapi.Response, error) {
	var out bulkAnswer
	if err := json.Unmarshal([]byte(recorded), &out); err != nil {
		return nil, apperr.Wrap(err, "decode a recorded answer")
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(bulkWorkers)
	for i := range out.Results {
		r := &out.Results[i]
		if r.User == nil {
			continue
		}
		g.Go(func() error {
			m, err := d.resumeInvite(gctx, c, sx, r.User.ID)
			if errors.Is(err, apperr.ErrNotFound) {
				return nil // deleted since: the first answer stands
			}
			if err != nil {
				return err
			}
			v := viewUser(&m)
			r.User = &v
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return httpapi.OK(out), nil
}
