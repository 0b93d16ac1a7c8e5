package e2e

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/golang-jwt/jwt/v5"
)

// emulatorKey is cognito-local's signing key (it ships with the package):
// with it a test mints tokens the local authorizer verifies, and varies one
// claim at a time.
func emulatorKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "node_modules", "cognito-local", "lib", "keys", "cognitoLocal.private.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		JWK map[string]string `json:"jwk"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	num := func(k string) *big.Int {
		v, err := base64.RawURLEncoding.DecodeString(f.JWK[k])
		if err != nil {
			t.Fatal(err)
		}
		return new(big.Int).SetBytes(v)
	}
	key := &rsa.PrivateKey{PublicKey: rsa.PublicKey{N: num("n"), E: int(num("e").Int64())}, D: num("d"), Primes: []*big.Int{num("p"), num("q")}}
	key.Precompute()
	return key
}

func mint(t *testing.T, key *rsa.PrivateKey, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	tok.Header["kid"] = "CognitoLocal"
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	remember(s)
	return s
}

func TestTokensTheAPIRefuses(t *testing.T) {
	key := emulatorKey(t)
	access, _ := signIn(t, st.Info.Admin.Email, st.Info.Admin.Password)
	parts := strings.Split(access, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var real jwt.MapClaims
	_ = json.Unmarshal(payload, &real)
	with := func(change map[string]any) jwt.MapClaims {
		c := jwt.MapClaims{}
		for k, v := range real {
			c[k] = v
		}
		for k, v := range change {
			if v == nil {
				delete(c, k)
			} else {
				c[k] = v
			}
		}
		return c
	}
	// A token minted with the emulator's key and the real claims is good: the
	// refusals below are about the one claim each changes.
	(&client{t: t, token: mint(t, key, with(nil))}).get("/v1/me", 200)

	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	// A second app client of the same pool: its tokens are not ours.
	cl, err := cognito().CreateUserPoolClient(context.Background(), &cip.CreateUserPoolClientInput{
		UserPoolId: aws.String(st.Info.Cognito.UserPoolID), ClientName: aws.String("another app"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserPasswordAuth},
	})
	if err != nil {
		t.Fatal(err)
	}
	// The admin has an authenticator app: SignInAt answers its code.
	out, err := st.SignInAt(context.Background(), aws.ToString(cl.UserPoolClient.ClientId), st.Info.Admin.Email, st.Info.Admin.Password)
	if err != nil {
		t.Fatal(err)
	}
	otherClient := aws.ToString(out.AccessToken)
	remember(otherClient)

	past := time.Now().Add(-time.Minute).Unix()
	cases := map[string]string{
		"another app client's token": otherClient,
		"expired":                    mint(t, key, with(map[string]any{"exp": past, "iat": past - 3600})),
		"another issuer":             mint(t, key, with(map[string]any{"iss": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_evil"})),
		"another client_id":          mint(t, key, with(map[string]any{"client_id": "someoneelse"})),
		"signed with another key":    mint(t, other, with(nil)),
		"an unknown user":            mint(t, key, with(map[string]any{"sub": "00000000-0000-0000-0000-000000000000"})),
		"not an access token":        mint(t, key, with(map[string]any{"token_use": "id", "aud": st.Info.Cognito.ClientID})),
		"no token_use":               mint(t, key, with(map[string]any{"token_use": nil})),
		"alg none":                   strings.Join([]string{base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","kid":"CognitoLocal"}`)), parts[1], ""}, "."),
	}
	for name, token := range cases {
		t.Run(name, func(t *testing.T) {
			c := &client{t: t, token: token}
			if res := c.call("GET", "/v1/me", nil); res.Status != 401 {
				t.Fatalf("%d %s", res.Status, res.Body)
			}
		})
	}
}

// On AWS the JWT authorizer checks signature, issuer, audience and expiry
// only; the handlers refuse what it lets through. These events carry claims
// an authorizer would pass on, as API Gateway hands them to the function:
// the handler itself must answer 401, whatever the gateway in front did.
func TestHandlersRefuseClaimsTheAuthorizerLetsThrough(t *testing.T) {
	access, _ := signIn(t, st.Info.Admin.Email, st.Info.Admin.Password)
	payload, _ := base64.RawURLEncoding.DecodeString(strings.Split(access, ".")[1])
	var real map[string]any
	if err := json.Unmarshal(payload, &real); err != nil {
		t.Fatal(err)
	}
	claims := func(change map[string]string) map[string]string {
		out := map[string]string{}
		for k, v := range real {
			out[k] = fmt.Sprint(v)
		}
		out["exp"] = fmt.Sprint(int64(real["exp"].(float64)))
		out["iat"] = fmt.Sprint(int64(real["iat"].(float64)))
		for k, v := range change {
			if v == "" {
				delete(out, k)
			} else {
				out[k] = v
			}
		}
		return out
	}
	call := func(function string, c map[string]string) events.APIGatewayV2HTTPResponse {
		ev := events.APIGatewayV2HTTPRequest{
			Version: "2.0", RouteKey: "GET /v1/me", RawPath: "/v1/me",
			RequestContext: events.APIGatewayV2HTTPRequestContext{
				RequestID: unique("req"), HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "GET", Path: "/v1/me", SourceIP: "192.0.2.1"},
				Authorizer: &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: c}},
			},
		}
		res, err := st.Handlers[function](context.Background(), ev)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	if res := call("list-customers", claims(nil)); res.StatusCode != 200 {
		t.Fatalf("the real claims are refused: %d %s", res.StatusCode, res.Body)
	}
	// The routes that check their token themselves take no authorizer's
	// word: claims without the token are nobody.
	if res := call("me", claims(nil)); res.StatusCode != 401 {
		t.Fatalf("/v1/me took the authorizer's claims: %d %s", res.StatusCode, res.Body)
	}
	past := fmt.Sprint(time.Now().Add(-time.Second).Unix())
	for name, c := range map[string]map[string]string{
		"an ID token":               claims(map[string]string{"token_use": "id"}),
		"no token_use":              claims(map[string]string{"token_use": ""}),
		"another app client":        claims(map[string]string{"client_id": "another-client"}),
		"no client_id":              claims(map[string]string{"client_id": ""}),
		"expired":                   claims(map[string]string{"exp": past}),
		"no expiry":                 claims(map[string]string{"exp": ""}),
		"an unknown sub":            claims(map[string]string{"sub": "00000000-0000-0000-0000-000000000000"}),
		"no claims at all":          nil,
		"an expiry that is no time": claims(map[string]string{"exp": "soon"}),
	} {
		for _, function := range []string{"list-customers", "list-operators"} {
			res := call(function, c)
			if res.StatusCode != 401 {
				t.Errorf("%s at %s: %d %s", name, function, res.StatusCode, res.Body)
			}
		}
	}
}

func TestTheInvitationLinkCannotBeSteeredByHeaders(t *testing.T) {
	op := operatorAdmin(t)
	cu := op.newCustomer("en")
	addr := uniqueEmail("steer")
	op.post("/v1/customers/"+cu.ID+"/users", map[string]any{"email": addr}, 201,
		"Host", "evil.example", "X-Forwarded-Host", "evil.example", "Forwarded", "host=evil.example",
		"Origin", "https://evil.example", "Referer", "https://evil.example/")
	body := emailsTo(t, addr)[0].Body
	for _, part := range []string{body.Text, body.HTML} {
		if strings.Contains(part, "evil.example") {
			t.Fatal("a request header reached the e-mail")
		}
		links := regexp.MustCompile(`https?://[^\s"<]+/accept-invitation#token=`).FindAllString(part, -1)
		for _, l := range links {
			if !strings.HasPrefix(l, st.Config.PortalURL+"/") {
				t.Fatalf("link %s is not at the configured portal URL %s", l, st.Config.PortalURL)
			}
		}
		if len(links) == 0 {
			t.Fatal("no link")
		}
	}
}

// Every invalid token gets the very same answer, whatever made it invalid:
// nothing tells a holder of a dead link whether its e-mail has an account,
// was removed, or was never invited.
func TestInvalidTokensAllLookTheSame(t *testing.T) {
	op := operatorAdmin(t)
	cu := op.newCustomer("en")
	tokens := map[string]string{"made up": madeUpToken()}
	used := uniqueEmail("used")
	op.invite(cu.ID, map[string]any{"email": used})
	tokens["used"] = latestToken(t, used)
	accept(t, used)
	revoked := uniqueEmail("revoked")
	ru := op.invite(cu.ID, map[string]any{"email": revoked})
	tokens["revoked"] = latestToken(t, revoked)
	op.expect(op.call("DELETE", "/v1/customers/"+cu.ID+"/users/"+ru.ID, nil), 204)
	rotated := uniqueEmail("rotated")
	rot := op.invite(cu.ID, map[string]any{"email": rotated})
	tokens["rotated"] = latestToken(t, rotated)
	clockOffset.Add(int64(3 * time.Second))
	op.post("/v1/customers/"+cu.ID+"/users/"+rot.ID+"/reinvite", nil, 200)

	reqID := regexp.MustCompile(`"requestId":"[^"]*"`)
	answers := map[string]string{}
	for name, tok := range tokens {
		for _, path := range []string{"/v1/invitations/inspect", "/v1/invitations/accept"} {
			body := map[string]any{"token": tok}
			if strings.HasSuffix(path, "accept") {
				body["password"] = password
			}
			res := anonymous(t).call("POST", path, body)
			if res.Status != 410 {
				t.Fatalf("%s at %s: %d", name, path, res.Status)
			}
			answers[path+" "+name] = reqID.ReplaceAllString(string(res.Body), "")
		}
	}
	var first string
	for k, a := range answers {
		if first == "" {
			first = a
		} else if a != first {
			t.Fatalf("%s answers differently:\n%s\n%s", k, a, first)
		}
	}
}

// An inviter's own name goes into invitation e-mails sent from the
// provider's domain: one that reads as a link is refused wherever a name is
// set, and nothing changes.
func TestNamesThatReadAsLinksAreRefused(t *testing.T) {
	op := operatorAdmin(t)
	cu := op.newCustomer("en")
	u, admin := portalUser(t, op, cu.ID, true)
	lure := "IT Security: verify at https://evil.example"
	for _, tc := range []struct {
		c            *client
		method, path string
		body         map[string]any
	}{
		{admin, "PATCH", "/v1/customers/" + cu.ID + "/users/" + u.ID, map[string]any{"name": lure}},
		{admin, "PATCH", "/v1/customers/" + cu.ID + "/users/" + u.ID, map[string]any{"name": "Support evil[.]com"}},
		{admin, "POST", "/v1/customers/" + cu.ID + "/users", map[string]any{"email": uniqueEmail("lure"), "name": "www.evil.example"}},
		{op, "POST", "/v1/customers", map[string]any{"name": "evil\u2024com"}},
		{op, "POST", "/v1/operators", map[string]any{"email": uniqueEmail("lure"), "role": "technician", "name": "x.com"}},
		{op, "POST", "/v1/customers/" + cu.ID + "/portals", map[string]any{"name": "http://evil.example", "url": "https://p.example"}},
	} {
		before := refusalWitness(t, op, cu.ID, u)
		res := tc.c.call(tc.method, tc.path, tc.body)
		p := res.problem(t)
		if res.Status != 400 || len(p.Errors) != 1 || p.Errors[0].Field != "name" || p.Errors[0].Code != "link_not_allowed" {
			t.Fatalf("%s %s %v: %d %s", tc.method, tc.path, tc.body, res.Status, res.Body)
		}
		if after := refusalWitness(t, op, cu.ID, u); after != before {
			t.Fatalf("a refused name changed something:\n %s\n %s", before, after)
		}
	}
	// A plain name still goes through, and reaches the e-mail.
	admin.expect(admin.call("PATCH", "/v1/customers/"+cu.ID+"/users/"+u.ID, map[string]any{"name": "Dr. Jane O'Neil"}), 200)
	addr := uniqueEmail("plain")
	admin.invite(cu.ID, map[string]any{"email": addr})
	if text := emailsTo(t, addr)[0].Body.Text; !strings.Contains(text, "Dr. Jane O'Neil has invited you") {
		t.Fatalf("the inviter's name is not in the e-mail:\n%s", text)
	}
}
