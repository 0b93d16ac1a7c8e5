package api

import (
	"context"
	"errors"
	"sync"

	"github.com/portalaccess/portalaccess/shared/apperr"
	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/httpapi"
	"github.com/portalaccess/portalaccess/shared/store"
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
				if _, err := d.lostRace(ctx, key, err); err != nil {
					return nil, err
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
		// A retry of the same request sends nothing new: it is not counted again.
		if len(jobs) > 0 && (key == nil || key.prior == nil) {
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
				res, err := d.bulkOne(ctx, c, sx, newMember{Email: results[i].Email, Admin: deref(in.Admin), Roles: roles, PortalIDs: portals}, requestID)
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
		return httpapi.OK(map[string]any{"results": results}), nil
	})
}

func (d *Deps) bulkOne(ctx context.Context, c *Caller, sx scopeContext, nm newMember, requestID string) (bulkResult, error) {
	res := bulkResult{Email: nm.Email}
	nm.Request = requestID
	m, err := d.invite(ctx, c, sx, nm, nil, nil)
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
