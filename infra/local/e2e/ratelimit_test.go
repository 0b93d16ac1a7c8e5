package e2e

import (
	"strconv"
	"testing"
	"time"
)

// The public invitation routes are limited per source address, and
// invitations per customer; past the limit the answer is 429 with a
// Retry-After that says when the window ends.
func TestRateLimits(t *testing.T) {
	op := operatorAdmin(t)
	cu := op.newCustomer("en")
	limits := &st.Services.Members.Config
	saved, savedPublic := *limits, st.Services.Invitations.PublicRateLimit
	t.Cleanup(func() { *limits, st.Services.Invitations.PublicRateLimit = saved, savedPublic })

	limits.InviteRateLimit = 3
	for i := range 3 {
		op.invite(cu.ID, map[string]any{"email": uniqueEmail("rl" + strconv.Itoa(i))})
	}
	res := op.expect(op.call("POST", "/v1/customers/"+cu.ID+"/users", map[string]any{"email": uniqueEmail("rl")}), 429)
	if res.problem(t).Code != "rate_limited" || res.Header.Get("Retry-After") == "" {
		t.Fatalf("%s %v", res.Body, res.Header)
	}
	// A bulk invite counts each address; one that would pass the limit is refused whole.
	res = op.expect(op.call("POST", "/v1/customers/"+cu.ID+"/users/bulk", map[string]any{"emails": []string{uniqueEmail("a"), uniqueEmail("b")}}), 429)
	if n := len(op.listUsers(cu.ID, "").Items); n != 3 {
		t.Fatalf("%d users after refused invitations", n)
	}
	// Another customer has its own budget.
	other := op.newCustomer("en")
	op.invite(other.ID, map[string]any{"email": uniqueEmail("rl")})

	// Earlier tests spent this minute's budget of 127.0.0.1: start a new window.
	clockOffset.Add(int64(time.Minute))
	st.Services.Invitations.PublicRateLimit = 2
	c := anonymous(t)
	for range 2 {
		c.expect(c.call("POST", "/v1/invitations/inspect", map[string]any{"token": madeUpToken()}), 410)
	}
	res = c.expect(c.call("POST", "/v1/invitations/accept", map[string]any{"token": madeUpToken(), "password": password}), 429)
	if wait, err := strconv.Atoi(res.Header.Get("Retry-After")); err != nil || wait < 1 || wait > 60 {
		t.Fatalf("Retry-After %q", res.Header.Get("Retry-After"))
	}
}
