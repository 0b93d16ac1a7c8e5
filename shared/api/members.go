package api

import (
	"context"
	"strings"

	"github.com/portalaccess/portalaccess/shared/app/access"
	"github.com/portalaccess/portalaccess/shared/app/members"
	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/httpapi"
)

// The life cycle of portal users and operators: the same use cases, each
// route its own function, the target read from the path.

// userTarget reads {customerId} and {userId}.
func userTarget(r *httpapi.Request) (members.Target, error) {
	cid, err := customerParam(r)
	if err != nil {
		return members.Target{}, err
	}
	return members.User(cid, r.Path("userId")), nil
}

// operatorTarget reads {operatorId}.
func operatorTarget(r *httpapi.Request) (members.Target, error) {
	return members.Operator(r.Path("operatorId")), nil
}

// onTarget resolves the caller and the target, checks that the caller
// manages the target's scope, then runs the endpoint.
func (s *Services) onTarget(target func(*httpapi.Request) (members.Target, error),
	ep func(ctx context.Context, r *httpapi.Request, c *access.Caller, t members.Target) (*httpapi.Response, error)) httpapi.Endpoint {
	return func(ctx context.Context, r *httpapi.Request) (*httpapi.Response, error) {
		// A customer's member is resolved with its customer: one being
		// offboarded is gone for everybody.
		c, err := s.callerIn(ctx, r, r.Path("customerId"))
		if err != nil {
			return nil, err
		}
		t, err := target(r)
		if err != nil {
			return nil, err
		}
		if err := c.RequireManager(t.Scope); err != nil {
			return nil, err
		}
		return ep(ctx, r, c, t)
	}
}

func memberResponse(m *domain.Member) *httpapi.Response {
	return httpapi.OK(viewMember(m)).WithETag(m.Version)
}

func createdMember(m *domain.Member) *httpapi.Response {
	path := "/v1/customers/" + m.CustomerID + "/users/" + m.ID
	if m.Scope().IsProvider() {
		path = "/v1/operators/" + m.ID
	}
	return httpapi.Created(path, viewMember(m)).WithETag(m.Version)
}

// act answers what a use case of one member did to it: the same for both
// kinds of member (get, enable, disable, re-invite).
func act(do func(ctx context.Context, c *access.Caller, t members.Target) (domain.Member, error)) func(context.Context, *httpapi.Request, *access.Caller, members.Target) (*httpapi.Response, error) {
	return func(ctx context.Context, r *httpapi.Request, c *access.Caller, t members.Target) (*httpapi.Response, error) {
		return answer(do(ctx, c, t))
	}
}

// answer is a member as a use case left it, or its error.
func answer(m domain.Member, err error) (*httpapi.Response, error) {
	if err != nil {
		return nil, err
	}
	return memberResponse(&m), nil
}

func remove(s *Services) func(context.Context, *httpapi.Request, *access.Caller, members.Target) (*httpapi.Response, error) {
	return func(ctx context.Context, r *httpapi.Request, c *access.Caller, t members.Target) (*httpapi.Response, error) {
		if err := s.Members.Delete(ctx, c, t); err != nil {
			return nil, err
		}
		return httpapi.NoContent(), nil
	}
}

// decodeUpdate reads a changing request: its body into in, and If-Match.
func decodeUpdate(r *httpapi.Request, in any) (int, error) {
	if err := r.Decode(in); err != nil {
		return 0, err
	}
	return ifMatch(r)
}

// listMembers answers one page of a scope's members, by category and by a
// prefix of the e-mail.
func (s *Services) listMembers(ctx context.Context, r *httpapi.Request, c *access.Caller, sc domain.Scope) (*httpapi.Response, error) {
	var status domain.Status
	var search string
	pq, err := s.readPage(r, []string{"status", "search"}, func(q httpapi.Query, fields *[]httpapi.FieldProblem) string {
		if v, ok := q["status"]; ok {
			if !domain.ValidStatus(v) {
				*fields = append(*fields, httpapi.Field("status", "invalid_status", "status must be enabled, disabled or unconfirmed."))
			}
			status = domain.Status(v)
		}
		search = strings.ToLower(strings.TrimSpace(q["search"]))
		if len(search) > domain.MaxEmailLength || strings.ContainsFunc(search, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			*fields = append(*fields, httpapi.Field("search", "invalid_search", "search must be at most 254 printable characters."))
		}
		return "members\x00" + sc.CustomerID + "\x00" + string(status) + "\x00" + search
	})
	if err != nil {
		return nil, err
	}
	p, err := s.Members.List(ctx, c, sc, members.Query{Status: status, Search: search, Limit: pq.limit, Start: pq.start})
	if err != nil {
		return nil, err
	}
	if pq.csv != nil {
		name := "operators"
		if sc.CustomerID != "" {
			name = "users-" + sc.CustomerID
		}
		return csvOf(s, pq, p.Page, name, userColumns, userRow), nil
	}
	out := memberListView{Items: make([]any, 0, len(p.Items)), NextCursor: s.Cursors.Encode(pq.binding, p.Next), Counts: p.Counts}
	for i := range p.Items {
		out.Items = append(out.Items, viewMember(&p.Items[i]))
	}
	return httpapi.OK(out), nil
}

// memberListView is a page of members with the scope's counts by category
// (left out while a scope older than the counts waits for its backfill).
type memberListView struct {
	Items      []any                `json:"items"`
	NextCursor *string              `json:"nextCursor"`
	Counts     *domain.MemberCounts `json:"counts,omitempty"`
}
