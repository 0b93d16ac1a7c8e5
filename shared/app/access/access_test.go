package access_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/portalaccess/portalaccess/shared/app/access"
	"github.com/portalaccess/portalaccess/shared/app/apptest"
	"github.com/portalaccess/portalaccess/shared/app/members"
	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/errs"
)

// The gateway's authorizer checks signature, issuer, audience and expiry;
// the resolver refuses what it lets through that is not an access token of
// the app client, and callers the table no longer holds.
func TestResolveRefusesWhatTheAuthorizerLetsThrough(t *testing.T) {
	w := apptest.New(t)
	cu := w.NewCustomer("Acme", "en")
	jane, _ := w.User(cu.ID, "jane@acme.example", false)
	id, _ := w.Identities.Get(jane.Email)
	good := w.Claims(id.Sub)
	if _, err := w.Access.Resolve(w.Ctx(), good); err != nil {
		t.Fatal(err)
	}
	past := strconv.FormatInt(time.Now().Add(-time.Second).Unix(), 10)
	for name, c := range map[string]access.Claims{
		"an ID token":    {Sub: good.Sub, TokenUse: "id", ClientID: good.ClientID, Exp: good.Exp},
		"another client": {Sub: good.Sub, TokenUse: "access", ClientID: "other", Exp: good.Exp},
		"expired":        {Sub: good.Sub, TokenUse: "access", ClientID: good.ClientID, Exp: past},
		"no expiry":      {Sub: good.Sub, TokenUse: "access", ClientID: good.ClientID},
		"no sub":         {TokenUse: "access", ClientID: good.ClientID, Exp: good.Exp},
		"an unknown sub": {Sub: "sub_nobody", TokenUse: "access", ClientID: good.ClientID, Exp: good.Exp},
	} {
		if _, err := w.Access.Resolve(w.Ctx(), c); !errors.Is(err, access.ErrUnauthenticated) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Disabled: refused at the very next request, the token still unexpired.
	if _, err := w.Members.Disable(w.Ctx(), w.Admin, members.User(cu.ID, jane.ID)); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Access.Resolve(w.Ctx(), good); !errors.Is(err, access.ErrUnauthenticated) {
		t.Fatalf("a disabled user: %v", err)
	}
}

// The policies: who may do what, and 404 rather than 403 where the caller
// may not even see the customer.
func TestThePolicies(t *testing.T) {
	w := apptest.New(t)
	cast := w.NewCast()
	acme, other, pa, user, tech := cast.Acme, cast.Other, cast.PortalAdmin, cast.User, cast.Tech
	type check func(*access.Caller) error
	checks := map[string]check{
		"operator":             (*access.Caller).RequireOperator,
		"operator admin":       (*access.Caller).RequireOperatorAdmin,
		"reads acme":           func(c *access.Caller) error { return c.RequireCustomerReader(acme.ID) },
		"manages acme":         func(c *access.Caller) error { return c.RequireUserManager(acme.ID) },
		"manages other":        func(c *access.Caller) error { return c.RequireUserManager(other.ID) },
		"admin in acme":        func(c *access.Caller) error { return c.RequireOperatorAdminIn(acme.ID) },
		"manages the provider": func(c *access.Caller) error { return c.RequireManager(domain.ProviderScope) },
	}
	ok, forbidden, notFound := "ok", "forbidden", "not found"
	want := map[string]map[string]string{
		"admin": {"operator": ok, "operator admin": ok, "reads acme": ok, "manages acme": ok, "manages other": ok, "admin in acme": ok, "manages the provider": ok},
		"tech":  {"operator": ok, "operator admin": forbidden, "reads acme": ok, "manages acme": ok, "manages other": ok, "admin in acme": forbidden, "manages the provider": forbidden},
		"pa":    {"operator": forbidden, "operator admin": forbidden, "reads acme": ok, "manages acme": ok, "manages other": notFound, "admin in acme": forbidden, "manages the provider": forbidden},
		"user":  {"operator": forbidden, "operator admin": forbidden, "reads acme": ok, "manages acme": forbidden, "manages other": notFound, "admin in acme": forbidden, "manages the provider": forbidden},
	}
	callers := map[string]*access.Caller{"admin": w.Admin, "tech": tech, "pa": pa, "user": user}
	for who, c := range callers {
		for name, f := range checks {
			got := ok
			switch err := f(c); {
			case errors.Is(err, access.ErrForbidden):
				got = forbidden
			case errors.Is(err, access.ErrNotFound):
				got = notFound
			case err != nil:
				got = err.Error()
			}
			if got != want[who][name] {
				t.Errorf("%s %s: %s, want %s", who, name, got, want[who][name])
			}
		}
	}
}

// Whether a customer exists: a member's standing proves it, as does the
// read with an operator's request inside it; an operator outside it has it
// read, and a customer that is not there is not found.
func TestCustomerExists(t *testing.T) {
	w := apptest.New(t)
	acme := w.NewCustomer("Acme", "en")
	_, pa := w.User(acme.ID, "pa@acme.example", true)
	_, tech := w.Operator("tech@provider.example", domain.RoleTechnician)
	inside, err := w.ResolveIn("tech@provider.example", acme.ID)
	if err != nil {
		t.Fatal(err)
	}
	var reads []string
	read := func(ctx context.Context, id string) (domain.Customer, error) {
		reads = append(reads, id)
		return w.Store.Customer(ctx, id)
	}
	for name, c := range map[string]*access.Caller{"a portal admin": pa, "an operator inside the customer": inside} {
		reads = nil
		if err := c.CustomerExists(w.Ctx(), acme.ID, read); err != nil || len(reads) != 0 {
			t.Errorf("%s: %v, reads %v", name, err, reads)
		}
	}
	reads = nil
	if err := tech.CustomerExists(w.Ctx(), acme.ID, read); err != nil || !slices.Equal(reads, []string{acme.ID}) {
		t.Errorf("an operator outside: %v, reads %v", err, reads)
	}
	if err := tech.CustomerExists(w.Ctx(), "cus_nobody", read); !errs.IsKind(err, errs.NotExist) {
		t.Errorf("an unknown customer: %v", err)
	}
}

// originReads is a store whose origin reads are counted and fail like
// DynamoDB's over its key limit; nothing else of it is called.
type originReads struct {
	access.Store
	reads []string
}

func (s *originReads) OriginAllowed(_ context.Context, origin string) (bool, error) {
	s.reads = append(s.reads, origin)
	if len("ORIGIN#"+origin) >= 2048 {
		return false, errors.New("ValidationException: Hash primary key values must be under 2048 bytes")
	}
	return origin == "https://desk.example", nil
}

// A browser's Origin header is the client's to choose: one longer than any
// portal URL's origin is refused as an unknown origin is, without a read,
// and a registered origin is still allowed after it.
func TestAnOriginLongerThanAnyPortalsIsRefusedUnread(t *testing.T) {
	s := &originReads{}
	r := &access.Resolver{Store: s}
	for _, n := range []int{domain.MaxOriginLength + 1, 2041, 10000} {
		o := "https://" + strings.Repeat("a", n-len("https://"))
		if ok, err := r.OriginAllowed(context.Background(), o); ok || err != nil {
			t.Errorf("an origin of %d bytes: %v %v", n, ok, err)
		}
	}
	if len(s.reads) != 0 {
		t.Errorf("read %d origins", len(s.reads))
	}
	longest := "https://" + strings.Repeat("a", domain.MaxOriginLength-len("https://"))
	for o, want := range map[string]bool{"https://desk.example": true, longest: false} {
		if ok, err := r.OriginAllowed(context.Background(), o); ok != want || err != nil {
			t.Errorf("%.30s: %v %v", o, ok, err)
		}
	}
	if len(s.reads) != 2 {
		t.Errorf("an origin that may be a portal's was not read: %d reads", len(s.reads))
	}
}
