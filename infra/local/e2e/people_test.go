package e2e

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

const password = "correct horse battery staple"

func init() { remember(password) }

// latestToken is the token of the newest invitation e-mail to an address.
func latestToken(t testing.TB, addr string) string {
	t.Helper()
	mails := emailsTo(t, addr)
	if len(mails) == 0 {
		t.Fatalf("no e-mail to %s", addr)
	}
	return tokenOf(t, mails[len(mails)-1])
}

// invitee invites a new person (an address made of local) to the
// customer, and returns the address, the user and the token of the
// invitation e-mail that reached them.
func invitee(t testing.TB, by *client, customerID, local string) (addr string, u user, token string) {
	t.Helper()
	addr = uniqueEmail(local)
	u = by.invite(customerID, map[string]any{"email": addr})
	return addr, u, latestToken(t, addr)
}

type accepted struct {
	Email  string `json:"email"`
	Status string `json:"status"`
	SignIn string `json:"signIn"`
}

// accept accepts the newest invitation to addr with the password.
func accept(t testing.TB, addr string) accepted {
	t.Helper()
	var a accepted
	anonymous(t).post("/v1/invitations/accept", map[string]any{"token": latestToken(t, addr), "password": password}, 200).json(t, &a)
	return a
}

// portalUser invites a portal user of the customer, accepts the invitation
// and signs in.
func portalUser(t testing.TB, by *client, customerID string, admin bool) (user, *client) {
	t.Helper()
	addr := uniqueEmail("user")
	u := by.invite(customerID, map[string]any{"email": addr, "admin": admin})
	accept(t, addr)
	token, _ := signIn(t, addr, password)
	return u, &client{t: t, token: token}
}

// operator invites an operator of the role, who accepts and signs in.
func operator(t testing.TB, by *client, role string) (user, *client) {
	t.Helper()
	addr := uniqueEmail("staff")
	var u user
	by.post("/v1/operators", map[string]any{"email": addr, "role": role}, 201).json(t, &u)
	accept(t, addr)
	token, _ := signIn(t, addr, password)
	// Operators set up an authenticator app before anything else.
	if err := st.EnrolMFA(context.Background(), token); err != nil {
		t.Fatalf("enrol %s: %v", addr, err)
	}
	return u, &client{t: t, token: token}
}

// cast is who the isolation tests act as: the operator admin, a
// technician, two customers C and D with a portal admin each, and a plain
// portal user of C.
type cast struct {
	op, tech, adminC, adminD, userC *client
	c, d                            customer
}

func newCast(t testing.TB) cast {
	t.Helper()
	var w cast
	w.op = operatorAdmin(t)
	_, w.tech = operator(t, w.op, "technician")
	w.c, w.d = w.op.newCustomer("en"), w.op.newCustomer("en")
	_, w.adminC = portalUser(t, w.op, w.c.ID, true)
	_, w.adminD = portalUser(t, w.op, w.d.ID, true)
	_, w.userC = portalUser(t, w.op, w.c.ID, false)
	return w
}

// identity reads a sign-in identity from Cognito; found is false when gone.
func identity(t testing.TB, email string) (enabled, found bool) {
	t.Helper()
	out, err := cognito().AdminGetUser(context.Background(), &cip.AdminGetUserInput{
		UserPoolId: aws.String(st.Info.Cognito.UserPoolID), Username: aws.String(email),
	})
	var nf *types.UserNotFoundException
	if errors.As(err, &nf) {
		return false, false
	}
	if err != nil {
		t.Fatal(err)
	}
	return out.Enabled, true
}

// with sets the client of a test to another *testing.T.
func (c *client) with(t testing.TB) *client {
	return &client{t: t, token: c.token, unlisted: c.unlisted}
}
