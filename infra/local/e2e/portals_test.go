package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/portalaccess/portalaccess/infra/local/testkit"
)

type portalSetup = testkit.PortalSetup

// newPortal makes a portal setup of the customer at a fresh https address.
func (c *client) newPortal(customerID string) portalSetup {
	c.t.Helper()
	var p portalSetup
	c.post("/v1/customers/"+customerID+"/portals", map[string]any{"name": unique("Desk "), "url": "https://" + unique("desk") + ".example/"}, 201).json(c.t, &p)
	if p.ClientID() == "" {
		c.t.Fatalf("no app client: %+v", p)
	}
	return p
}

// portalSignIn signs in through a portal's own app client (locally they
// also take a password) and returns the access token.
func portalSignIn(t testing.TB, clientID, email, pw string) (string, error) {
	t.Helper()
	out, err := cognito().InitiateAuth(context.Background(), &cip.InitiateAuthInput{
		ClientId: aws.String(clientID), AuthFlow: types.AuthFlowTypeUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": email, "PASSWORD": pw},
	})
	if err != nil {
		return "", err
	}
	remember(aws.ToString(out.AuthenticationResult.AccessToken))
	remember(aws.ToString(out.AuthenticationResult.IdToken))
	remember(aws.ToString(out.AuthenticationResult.RefreshToken))
	return aws.ToString(out.AuthenticationResult.AccessToken), nil
}

// linkedUser invites a portal user linked to the portals, who accepts and
// signs in to the console.
func linkedUser(t testing.TB, by *client, customerID string, portalIDs ...string) (user, string) {
	t.Helper()
	addr := uniqueEmail("linked")
	u := by.invite(customerID, map[string]any{"email": addr, "portalIds": portalIDs})
	accept(t, addr)
	return u, addr
}

// portalClient is the portal's own client of the API for a person.
func portalClient(t testing.TB, p portalSetup, email string) *client {
	t.Helper()
	tok, err := portalSignIn(t, p.ClientID(), email, password)
	if err != nil {
		t.Fatalf("%s cannot sign in to %s: %v", email, p.Name, err)
	}
	return &client{t: t, token: tok}
}

type portalAccess struct {
	Portal struct {
		ID, Name, URL string
	} `json:"portal"`
	Customer struct {
		ID, Name, Locale string
	} `json:"customer"`
	User struct {
		ID, Email, Name string
	} `json:"user"`
	Admin bool     `json:"admin"`
	Roles []string `json:"roles"`
}

func TestAPortalSetupIsARelyingParty(t *testing.T) {
	op := operatorAdmin(t)
	cu := op.newCustomer("nl")
	var p portalSetup
	res := op.post("/v1/customers/"+cu.ID+"/portals", map[string]any{"name": "Service desk", "url": "https://desk.acme.example/app"}, 201)
	res.json(t, &p)
	if p.ClientID() == "" || !slices.Equal(p.RedirectURIs, []string{"https://desk.acme.example/app/"}) || p.Version != 2 ||
		p.SignIn.Issuer != st.Info.Cognito.Issuer || p.SignIn.UILocales != "nl" ||
		p.SignIn.AuthorizationEndpoint != st.Info.ManagedLogin.URL+"/oauth2/authorize" || res.Header.Get("ETag") != `"2"` {
		t.Fatalf("%+v %s", p, res.Header.Get("ETag"))
	}
	// Its app client is in the user pool: public, the code flow, its
	// redirect URIs as callbacks, its address to sign out to.
	out, err := cognito().DescribeUserPoolClient(context.Background(), &cip.DescribeUserPoolClientInput{
		UserPoolId: aws.String(st.Info.Cognito.UserPoolID), ClientId: aws.String(p.ClientID()),
	})
	if err != nil {
		t.Fatal(err)
	}
	c := out.UserPoolClient
	if c.ClientSecret != nil || !slices.Equal(c.CallbackURLs, p.RedirectURIs) || !slices.Contains(c.LogoutURLs, "https://desk.acme.example/app") ||
		!slices.Equal(c.AllowedOAuthFlows, []types.OAuthFlowType{types.OAuthFlowTypeCode}) || aws.ToString(c.ClientName) != "portal-"+p.ID {
		t.Fatalf("%+v", c)
	}
	portalAttributes(t, c)
	// The console's client, made by the local stack, holds them as the
	// deployed stack's does.
	web, err := cognito().DescribeUserPoolClient(context.Background(), &cip.DescribeUserPoolClientInput{
		UserPoolId: aws.String(st.Info.Cognito.UserPoolID), ClientId: aws.String(st.Info.Cognito.ClientID),
	})
	if err != nil {
		t.Fatal(err)
	}
	portalAttributes(t, web.UserPoolClient)
	// The discovery document it names is the stand-in's, and names every endpoint.
	var disc map[string]any
	r, err := http.Get(p.SignIn.DiscoveryURL)
	if err != nil {
		t.Fatal(err)
	}
	_ = json.NewDecoder(r.Body).Decode(&disc)
	r.Body.Close()
	if disc["issuer"] != p.SignIn.Issuer || disc["authorization_endpoint"] != p.SignIn.AuthorizationEndpoint || disc["token_endpoint"] != p.SignIn.TokenEndpoint {
		t.Fatalf("%v", disc)
	}

	// A change follows through to the app client; a stale If-Match changes nothing.
	op.expect(op.call("PATCH", "/v1/customers/"+cu.ID+"/portals/"+p.ID, map[string]any{"name": "X"}, "If-Match", `"1"`), 412)
	var u portalSetup
	op.expect(op.call("PATCH", "/v1/customers/"+cu.ID+"/portals/"+p.ID, map[string]any{"redirectUris": []string{"https://desk.acme.example/cb", "http://localhost:5173/cb"}}, "If-Match", `"2"`), 200).json(t, &u)
	if u.Version != 3 || u.Name != "Service desk" {
		t.Fatalf("%+v", u)
	}
	out, _ = cognito().DescribeUserPoolClient(context.Background(), &cip.DescribeUserPoolClientInput{
		UserPoolId: aws.String(st.Info.Cognito.UserPoolID), ClientId: aws.String(p.ClientID()),
	})
	if !slices.Equal(out.UserPoolClient.CallbackURLs, []string{"https://desk.acme.example/cb", "http://localhost:5173/cb"}) {
		t.Fatalf("%v", out.UserPoolClient.CallbackURLs)
	}
	portalAttributes(t, out.UserPoolClient) // an update sets every setting again
	// Bad addresses are refused and change nothing.
	pr := op.expect(op.call("PATCH", "/v1/customers/"+cu.ID+"/portals/"+p.ID, map[string]any{"url": "http://desk.acme.example"}), 400).problem(t)
	if len(pr.Errors) != 1 || pr.Errors[0].Field != "url" || pr.Errors[0].Code != "https_required" {
		t.Fatalf("%+v", pr)
	}
	var list struct{ Items []portalSetup }
	op.get("/v1/customers/"+cu.ID+"/portals", 200).json(t, &list)
	if len(list.Items) != 1 || list.Items[0].Version != 3 || list.Items[0].URL != "https://desk.acme.example/app" {
		t.Fatalf("%+v", list.Items)
	}
}

// portalAttributes checks what a portal's users may read and change of
// themselves with their own access token: never their e-mail (the
// membership's key in the table) nor whether it is verified. Cognito reads
// an empty WriteAttributes as every attribute; cognito-local 5.3.0 keeps
// the lists but does not enforce them (UpdateUserAttributes checks only
// the schema), so the client's settings are what is checked.
func portalAttributes(t testing.TB, c *types.UserPoolClientType) {
	t.Helper()
	read, write := slices.Sorted(slices.Values(c.ReadAttributes)), slices.Sorted(slices.Values(c.WriteAttributes))
	if !slices.Equal(read, []string{"email", "email_verified", "name"}) || !slices.Equal(write, []string{"name"}) {
		t.Fatalf("the client reads %v and writes %v", c.ReadAttributes, c.WriteAttributes)
	}
}

func TestAPortalAsksWhoMayEnter(t *testing.T) {
	op := operatorAdmin(t)
	cu, other := op.newCustomer("en"), op.newCustomer("en")
	desk, shop, foreign := op.newPortal(cu.ID), op.newPortal(cu.ID), op.newPortal(other.ID)
	u, addr := linkedUser(t, op, cu.ID, desk.ID)
	// Linked: who they are, in this portal.
	pc := portalClient(t, desk, addr)
	var a portalAccess
	pc.get("/v1/portal-access", 200).json(t, &a)
	if a.Portal.ID != desk.ID || a.Customer.ID != cu.ID || a.User.ID != u.ID || a.User.Email != addr || a.Admin {
		t.Fatalf("%+v", a)
	}
	// /v1/me answers with the portal's token, for the portal's customer only.
	var me struct {
		Operator    any `json:"operator"`
		Memberships []struct {
			CustomerID string `json:"customerId"`
		} `json:"memberships"`
	}
	pc.get("/v1/me", 200).json(t, &me)
	if me.Operator != nil || len(me.Memberships) != 1 || me.Memberships[0].CustomerID != cu.ID {
		t.Fatalf("%+v", me)
	}
	// Not linked to the shop: a member, but no entry.
	sc := portalClient(t, shop, addr)
	if p := sc.get("/v1/portal-access", 403).problem(t); p.Code != "no_portal_access" {
		t.Fatal(p)
	}
	// Another customer's portal: the user pool signs them in, the portal
	// learns nothing of them.
	fc := portalClient(t, foreign, addr)
	fc.get("/v1/portal-access", 401)
	// The console's token is no portal's.
	console, _ := signIn(t, addr, password)
	(&client{t: t, token: console}).get("/v1/portal-access", 401)
	// A portal's token manages nobody, not even for a portal admin.
	op.call("PATCH", "/v1/customers/"+cu.ID+"/users/"+u.ID, map[string]any{"admin": true})
	pc = portalClient(t, desk, addr)
	pc.get("/v1/portal-access", 200).json(t, &a)
	if !a.Admin {
		t.Fatalf("%+v", a)
	}
	pc.get("/v1/customers/"+cu.ID+"/users", 401)
	pc.post("/v1/customers/"+cu.ID+"/users", map[string]any{"email": uniqueEmail("x")}, 401)

	// Disabled: the very next call of the portal is refused, with the
	// token it already holds; the user pool refuses a new sign-in.
	op.post("/v1/customers/"+cu.ID+"/users/"+u.ID+"/disable", nil, 200)
	pc.get("/v1/portal-access", 401)
	if _, err := portalSignIn(t, desk.ClientID(), addr, password); err == nil {
		t.Fatal("a disabled user signed in to the portal")
	}
	op.post("/v1/customers/"+cu.ID+"/users/"+u.ID+"/enable", nil, 200)
	pc.get("/v1/portal-access", 200)

	// A deleted setup's tokens stop at once; its app client is gone, and
	// nobody is linked to it any more.
	op.expect(op.call("DELETE", "/v1/customers/"+cu.ID+"/portals/"+desk.ID, nil), 204)
	pc.get("/v1/portal-access", 401)
	pc.get("/v1/me", 401)
	if _, err := portalSignIn(t, desk.ClientID(), addr, password); err == nil {
		t.Fatal("signed in through a deleted portal's app client")
	}
	var got user
	op.get("/v1/customers/"+cu.ID+"/users/"+u.ID, 200).json(t, &got)
	if len(got.PortalIDs) != 0 {
		t.Fatalf("still linked: %v", got.PortalIDs)
	}
	op.get("/v1/customers/"+cu.ID+"/portals/"+desk.ID+"/users", 404)
	var audit page[struct {
		Action string `json:"action"`
	}]
	op.get("/v1/customers/"+cu.ID+"/audit-events", 200).json(t, &audit)
	if !slices.ContainsFunc(audit.Items, func(e struct {
		Action string `json:"action"`
	}) bool {
		return e.Action == "portal.deleted"
	}) {
		t.Fatalf("%+v", audit.Items)
	}
}

func TestWhoReachesAPortal(t *testing.T) {
	op := operatorAdmin(t)
	cu := op.newCustomer("en")
	p := op.newPortal(cu.ID)
	var want []string
	for range 3 {
		_, addr := linkedUser(t, op, cu.ID, p.ID)
		want = append(want, addr)
	}
	portalUser(t, op, cu.ID, false) // not linked
	_, admin := portalUser(t, op, cu.ID, true)
	slices.Sort(want)
	got := all[user](admin, "/v1/customers/"+cu.ID+"/portals/"+p.ID+"/users?limit=2")
	var emails []string
	for _, u := range got {
		emails = append(emails, u.Email)
	}
	if !slices.Equal(emails, want) {
		t.Fatalf("%v, want %v", emails, want)
	}
	op.get("/v1/customers/"+cu.ID+"/portals/ptl_aaaaaaaaaaaaaaaaaaaaaaaaaa/users", 404)
	op.get("/v1/customers/"+cu.ID+"/portals/nope/users", 404)
}

// A portal's browser code calls from the portal's own origin: CORS answers
// exactly the registered portals' origins, as setups come and go.
func TestPortalsCallFromTheirOwnOrigin(t *testing.T) {
	op := operatorAdmin(t)
	cu := op.newCustomer("en")
	p := op.newPortal(cu.ID)
	origin := strings.TrimSuffix(p.URL, "/")
	_, addr := linkedUser(t, op, cu.ID, p.ID)
	pc := portalClient(t, p, addr)

	pre := func(origin, path string) *response {
		return (&client{t: t, unlisted: true}).call("OPTIONS", path, nil, "Origin", origin, "Access-Control-Request-Method", "GET", "Access-Control-Request-Headers", "authorization")
	}
	res := pre(origin, "/v1/portal-access")
	if res.Status != 204 || res.Header.Get("Access-Control-Allow-Origin") != origin || !strings.Contains(res.Header.Get("Access-Control-Allow-Headers"), "Authorization") {
		t.Fatalf("%d %v", res.Status, res.Header)
	}
	for _, bad := range []struct{ origin, path string }{
		{"https://evil.example", "/v1/portal-access"},
		{origin + ".evil.example", "/v1/portal-access"},
		{"null", "/v1/portal-access"},
		{origin, "/v1/customers"}, // only the portal routes
		// Longer than any portal's origin can be, and than a table key.
		{"https://" + strings.Repeat("a", 1016) + ".example", "/v1/portal-access"},
		{"https://" + strings.Repeat("a", 2100) + ".example", "/v1/me"},
		{origin + strings.Repeat("0", 4000), "/v1/portal-access"},
	} {
		if res := pre(bad.origin, bad.path); res.Status != 204 || res.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("%.60s… %s: %d %v", bad.origin, bad.path, res.Status, res.Header)
		}
	}
	// The same without a token: refused as unauthenticated, no grant.
	if res := (&client{t: t}).call("GET", "/v1/portal-access", nil, "Origin", "https://"+strings.Repeat("a", 2100)+".example"); res.Status != 401 || res.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("a long origin without a token: %d %v", res.Status, res.Header)
	}
	// And the portal's own origin is still granted.
	if res := pre(origin, "/v1/me"); res.Header.Get("Access-Control-Allow-Origin") != origin {
		t.Fatalf("the portal's origin after the refusals: %d %v", res.Status, res.Header)
	}
	res = pc.call("GET", "/v1/portal-access", nil, "Origin", origin)
	if res.Status != 200 || res.Header.Get("Access-Control-Allow-Origin") != origin {
		t.Fatalf("%d %v", res.Status, res.Header)
	}
	// A refusal carries the grant too, so that the portal can read it.
	op.post("/v1/customers/"+cu.ID+"/users/"+pc2user(t, op, cu.ID, addr)+"/disable", nil, 200)
	res = pc.call("GET", "/v1/portal-access", nil, "Origin", origin)
	if res.Status != 401 || res.Header.Get("Access-Control-Allow-Origin") != origin {
		t.Fatalf("%d %v", res.Status, res.Header)
	}
	if res := pc.call("GET", "/v1/portal-access", nil, "Origin", "https://evil.example"); res.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatal("another origin granted")
	}
	// A changed address moves the grant; a deleted setup takes it away.
	newURL := "https://" + unique("moved") + ".example"
	op.expect(op.call("PATCH", "/v1/customers/"+cu.ID+"/portals/"+p.ID, map[string]any{"url": newURL}), 200)
	if res := pre(origin, "/v1/portal-access"); res.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatal("the old origin is still granted")
	}
	if res := pre(newURL, "/v1/me"); res.Header.Get("Access-Control-Allow-Origin") != newURL {
		t.Fatal("the new origin is not granted")
	}
	op.expect(op.call("DELETE", "/v1/customers/"+cu.ID+"/portals/"+p.ID, nil), 204)
	if res := pre(newURL, "/v1/me"); res.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatal("a deleted portal's origin is still granted")
	}
}

// pc2user finds the id of a customer's user by e-mail.
func pc2user(t testing.TB, op *client, customerID, email string) string {
	t.Helper()
	for _, u := range all[user](op, "/v1/customers/"+customerID+"/users?search="+email) {
		if u.Email == email {
			return u.ID
		}
	}
	t.Fatalf("no user %s", email)
	return ""
}

// The invitee's journey ends in the portal: the invitation names the
// customer and the portals, and so does the answer to accepting it.
func TestTheInvitationNamesThePortal(t *testing.T) {
	op := operatorAdmin(t)
	cu := op.newCustomer("en")
	desk, shop := op.newPortal(cu.ID), op.newPortal(cu.ID)
	_ = shop
	addr := uniqueEmail("journey")
	op.invite(cu.ID, map[string]any{"email": addr, "portalIds": []string{desk.ID}})
	tok := latestToken(t, addr)
	type named struct {
		CustomerName *string `json:"customerName"`
		Portals      []struct {
			ID, Name, URL string
		} `json:"portals"`
	}
	var in named
	anonymous(t).post("/v1/invitations/inspect", map[string]any{"token": tok}, 200).json(t, &in)
	if aws.ToString(in.CustomerName) != cu.Name || len(in.Portals) != 1 || in.Portals[0].ID != desk.ID || in.Portals[0].URL != desk.URL {
		t.Fatalf("%+v", in)
	}
	var out named
	anonymous(t).post("/v1/invitations/accept", map[string]any{"token": tok, "password": password}, 200).json(t, &out)
	if aws.ToString(out.CustomerName) != cu.Name || len(out.Portals) != 1 || out.Portals[0].Name != desk.Name {
		t.Fatalf("%+v", out)
	}
	// And the portal lets them in.
	portalClient(t, desk, addr).get("/v1/portal-access", 200)
	// An operator's invitation names no customer and no portal.
	staff := uniqueEmail("staff")
	op.post("/v1/operators", map[string]any{"email": staff, "role": "technician"}, 201)
	anonymous(t).post("/v1/invitations/inspect", map[string]any{"token": latestToken(t, staff)}, 200).json(t, &in)
	if in.CustomerName != nil || len(in.Portals) != 0 {
		t.Fatalf("%+v", in)
	}
}
