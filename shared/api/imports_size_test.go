package api_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/portalaccess/portalaccess/shared/api"
	"github.com/portalaccess/portalaccess/shared/app/apptest"
	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/httpapi"
)

// lambdaLimit is Lambda's limit of a synchronous response payload.
const lambdaLimit = 6 << 20

// The dry run of the largest file a customer may upload (the most rows, each
// an e-mail that is all characters JSON escapes) answers well under
// Lambda's 6 MB, counted as Lambda sends it: the proxy response with its
// body re-encoded as a JSON string.
func TestDryRunOfTheLargestFileFitsLambda(t *testing.T) {
	w := apptest.New(t)
	cu := w.NewCustomer("Acme", "en")
	s := api.NewServices(w.Env)
	h := api.Handler("create-import", api.CreateImport, s)
	claims := w.Claims(w.Admin.Sub)
	per := httpapi.MaxUpload/domain.MaxImportRows - 2
	for _, cell := range []string{strings.Repeat("<", per), strings.Repeat("a", 64) + "@" + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 57) + ".com"} {
		var b strings.Builder
		b.WriteString("email\r\n")
		for range domain.MaxImportRows {
			b.WriteString(cell)
			b.WriteString("\r\n")
		}
		if b.Len() > httpapi.MaxUpload {
			t.Fatalf("file of %d bytes", b.Len())
		}
		ev := events.APIGatewayV2HTTPRequest{RawPath: "/v1/customers/" + cu.ID + "/imports", RawQueryString: "dryRun=true",
			QueryStringParameters: map[string]string{"dryRun": "true"}, Body: b.String(),
			Headers: map[string]string{"content-type": "text/csv"}, PathParameters: map[string]string{"customerId": cu.ID}}
		ev.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{
			Claims: map[string]string{"sub": claims.Sub, "token_use": claims.TokenUse, "client_id": claims.ClientID, "exp": claims.Exp}}}
		res, err := h(w.Ctx(), ev)
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("%v %d %.300s", err, res.StatusCode, res.Body)
		}
		payload, err := json.Marshal(res)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("body %d bytes, Lambda payload %d bytes", len(res.Body), len(payload))
		if len(payload) > lambdaLimit*3/4 {
			t.Fatalf("Lambda payload of %d bytes", len(payload))
		}
	}
}
