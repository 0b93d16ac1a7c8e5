package cognito

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/portalaccess/portalaccess/shared/identity"
)

// An app client's creation is sent once: a retry after an answer that was
// lost would make a second client that no setup names (found by the
// model-based test). Other calls keep the SDK's retries.
func TestCreatingAnAppClientIsNotRetried(t *testing.T) {
	var creates, updates atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch target := r.Header.Get("X-Amz-Target"); {
		case strings.HasSuffix(target, ".CreateUserPoolClient"):
			creates.Add(1)
		case strings.HasSuffix(target, ".UpdateUserPoolClient"):
			updates.Add(1)
		}
		// A fault of the service, which the SDK retries.
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte(`{"__type":"InternalErrorException","message":"try again"}`))
	}))
	defer srv.Close()
	c := cip.New(cip.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("x", "x", ""),
		Retryer:     retry.AddWithMaxBackoffDelay(retry.NewStandard(), time.Millisecond),
	})
	a := NewClients(c, "pool")
	spec := identity.ClientSpec{Name: "portal-x", CallbackURLs: []string{"https://x.example/"}, LogoutURLs: []string{"https://x.example"}}
	if _, err := a.CreateClient(context.Background(), spec); err == nil {
		t.Fatal("the creation did not fail")
	}
	if n := creates.Load(); n != 1 {
		t.Fatalf("the creation was sent %d times", n)
	}
	if err := a.UpdateClient(context.Background(), "id", spec); err == nil {
		t.Fatal("the update did not fail")
	}
	if n := updates.Load(); n < 2 {
		t.Fatalf("the update was sent %d times: the SDK's retries are off for it too", n)
	}
}
