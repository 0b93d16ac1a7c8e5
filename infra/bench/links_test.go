package main

import (
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/portalaccess/portalaccess/shared/routes"
)

// An AWS client a function links costs its every cold start the client's
// package initialisation (endpoint tables, and in some releases
// serialisation tables), whether or not the function calls it. When
// package events came to hold the EventBridge bus beside the event types
// that deliver-webhooks and the API package use, every API function linked
// the EventBridge client and its init grew by 0.58 M instructions (+37%)
// unseen: make bench is not part of make test. This test is, and reads
// from the route table which clients each function may link.
func TestEachFunctionLinksOnlyTheAWSClientsItsRouteUses(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "list", "-f", "{{.ImportPath}} {{join .Deps \" \"}}", "./functions/...")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	const service = "github.com/aws/aws-sdk-go-v2/service/"
	linked := map[string][]string{}
	for line := range strings.Lines(string(out)) {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		name := f[0][strings.LastIndex(f[0], "/")+1:]
		var clients []string
		for _, d := range f[1:] {
			if c, ok := strings.CutPrefix(d, service); ok && !strings.Contains(c, "/") {
				clients = append(clients, c)
			}
		}
		linked[name] = clients
	}
	all := append(slices.Clone(routes.Table), routes.Tasks...)
	if len(linked) != len(all) {
		t.Errorf("%d functions under functions/, %d in the route table and tasks", len(linked), len(all))
	}
	for _, r := range all {
		got, ok := linked[r.Function]
		if !ok {
			t.Errorf("%s: in the route table, not under functions/", r.Function)
			continue
		}
		var want []string
		if len(r.Identity) > 0 {
			want = append(want, "cognitoidentityprovider")
		}
		// publish-events reads the stream's records (the table's items, as
		// the dynamodb/types package has them), not the table: no client.
		if r.Table != routes.TableNone {
			want = append(want, "dynamodb")
		}
		if r.Trigger == routes.TriggerStream {
			want = append(want, "eventbridge") // publish-events puts to the bus
		}
		// What reads a secret at cold start on AWS: every API function the
		// origin secret, every function that loads the configuration the
		// cursor secret (infra/cdk secretsOf).
		if r.Trigger == "" || r.Table != routes.TableNone {
			want = append(want, "secretsmanager")
		}
		if r.Mail {
			want = append(want, "sesv2")
		}
		// A queue's sender links the client; its consumer does not (Lambda
		// polls), except deliver-webhooks, which moves its messages itself:
		// the fan-out onto the deliveries queue, backoff by visibility.
		if r.Queue != "" && (r.Trigger != routes.TriggerQueue || r.Queue == routes.QueueWebhooks) {
			want = append(want, "sqs")
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s links the AWS clients %v; its route uses %v", r.Function, got, want)
		}
	}
}
