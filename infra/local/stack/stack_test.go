package stack

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// `make run` keeps its data in .local/ across restarts. It must start on
// data that went wrong: a first admin whose sign-in identity is gone, and a
// .local/ whose stack.json was deleted (which once made a second user pool
// and orphaned every identity of the first).
func TestMakeRunStartsOnDataThatWentWrong(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	start := func() *Stack {
		t.Helper()
		s, err := Start(ctx, Options{DataDir: dir})
		if err != nil {
			t.Fatalf("the stack does not start: %v", err)
		}
		return s
	}
	s := start()
	pool, client := s.Info.Cognito.UserPoolID, s.Info.Cognito.ClientID
	signsIn(t, s)
	// The admin's identity goes (as it did when the last admin deleted
	// themselves and was refused).
	if _, err := s.Clients.Cognito.AdminDeleteUser(ctx, &cip.AdminDeleteUserInput{UserPoolId: &pool, Username: aws.String(s.Info.Admin.Email)}); err != nil {
		t.Fatal(err)
	}
	// A .local/ made before the console's client was restricted: its
	// client reads and writes every attribute. The next start sets it again.
	if _, err := cognitoOf(s).UpdateUserPoolClient(ctx, &cip.UpdateUserPoolClientInput{UserPoolId: &pool, ClientId: &client,
		ClientName: aws.String("web"), ReadAttributes: []string{}, WriteAttributes: []string{}}); err != nil {
		t.Fatal(err)
	}
	if c, err := cognitoOf(s).DescribeUserPoolClient(ctx, &cip.DescribeUserPoolClientInput{UserPoolId: &pool, ClientId: &client}); err != nil ||
		len(c.UserPoolClient.WriteAttributes) != 0 {
		t.Fatalf("the older client still restricts: %+v %v", c, err)
	}
	s.Stop()

	s = start()
	if c, err := cognitoOf(s).DescribeUserPoolClient(ctx, &cip.DescribeUserPoolClientInput{UserPoolId: &pool, ClientId: &client}); err != nil ||
		!slices.Equal(c.UserPoolClient.WriteAttributes, []string{"name"}) || len(c.UserPoolClient.ReadAttributes) != 3 {
		t.Errorf("the console's client after a restart: %+v %v", c, err)
	}
	if len(s.Repaired) != 1 {
		t.Errorf("repaired %q, want one line saying the identity was relinked", s.Repaired)
	}
	if s.Info.Cognito.UserPoolID != pool || s.Info.Cognito.ClientID != client {
		t.Errorf("a new pool or client: %s/%s, was %s/%s", s.Info.Cognito.UserPoolID, s.Info.Cognito.ClientID, pool, client)
	}
	signsIn(t, s)
	s.Stop()

	// stack.json gone: the same pool and client are found again, and the
	// admin signs in with the new password it prints.
	if err := os.Remove(filepath.Join(dir, "stack.json")); err != nil {
		t.Fatal(err)
	}
	s = start()
	defer s.Stop()
	if s.Info.Cognito.UserPoolID != pool || s.Info.Cognito.ClientID != client {
		t.Errorf("stack.json gone: pool %s client %s, want %s %s", s.Info.Cognito.UserPoolID, s.Info.Cognito.ClientID, pool, client)
	}
	pools, err := s.Clients.Cognito.(interface {
		ListUserPools(context.Context, *cip.ListUserPoolsInput, ...func(*cip.Options)) (*cip.ListUserPoolsOutput, error)
	}).ListUserPools(ctx, &cip.ListUserPoolsInput{MaxResults: aws.Int32(60)})
	if err != nil {
		t.Fatal(err)
	}
	if len(pools.UserPools) != 1 {
		t.Errorf("%d user pools, want 1", len(pools.UserPools))
	}
	if len(s.Repaired) != 0 {
		t.Errorf("nothing to repair, but: %q", s.Repaired)
	}
	signsIn(t, s)
	var saved Info
	b, err := os.ReadFile(filepath.Join(dir, "stack.json"))
	if err != nil || json.Unmarshal(b, &saved) != nil || saved.Admin.Password != s.Info.Admin.Password {
		t.Fatalf("stack.json is not written again with the admin's password: %v", err)
	}
}

func cognitoOf(s *Stack) *cip.Client {
	return cip.NewFromConfig(s.Clients.AWS, func(o *cip.Options) { o.BaseEndpoint = aws.String(s.Info.Cognito.Endpoint) })
}

// signsIn signs in as the first admin and asks who they are.
func signsIn(t *testing.T, s *Stack) {
	t.Helper()
	c := cip.NewFromConfig(s.Clients.AWS, func(o *cip.Options) { o.BaseEndpoint = aws.String(s.Info.Cognito.Endpoint) })
	out, err := c.InitiateAuth(context.Background(), &cip.InitiateAuthInput{
		ClientId: aws.String(s.Info.Cognito.ClientID), AuthFlow: types.AuthFlowTypeUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": s.Info.Admin.Email, "PASSWORD": s.Info.Admin.Password},
	})
	if err != nil {
		t.Fatalf("the first admin cannot sign in: %v", err)
	}
	req, _ := http.NewRequest("GET", s.Info.APIURL+"/v1/me", nil)
	req.Header.Set("Authorization", "Bearer "+aws.ToString(out.AuthenticationResult.AccessToken))
	client := &http.Client{Timeout: 10 * time.Second}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("GET /v1/me as the first admin: %d %s", res.StatusCode, body)
	}
	var me struct {
		Operator *struct{ Role string } `json:"operator"`
	}
	if json.Unmarshal(body, &me) != nil || me.Operator == nil || me.Operator.Role != "admin" {
		t.Fatalf("the first admin is not an operator admin: %s", body)
	}
}
