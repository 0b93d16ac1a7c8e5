package secrets

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/portalaccess/portalaccess/shared/config"
)

type fakeAPI struct {
	in  []*secretsmanager.GetSecretValueInput
	out *secretsmanager.GetSecretValueOutput
	err error
}

func (f *fakeAPI) GetSecretValue(_ context.Context, in *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	f.in = append(f.in, in)
	return f.out, f.err
}

const arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:CursorSecret-AbCdEf"

// A version id goes in VersionId, a staging label in VersionStage, never both.
func TestTheVersionAsked(t *testing.T) {
	f := &fakeAPI{out: &secretsmanager.GetSecretValueOutput{SecretString: aws.String("value")}}
	m := Manager{API: f}
	for _, ref := range []config.SecretRef{{ARN: arn, VersionID: "v1"}, {ARN: arn, Stage: "AWSPREVIOUS"}} {
		if v, err := m.SecretString(context.Background(), ref); err != nil || v != "value" {
			t.Fatalf("%v: %q %v", ref, v, err)
		}
	}
	if in := f.in[0]; aws.ToString(in.SecretId) != arn || aws.ToString(in.VersionId) != "v1" || in.VersionStage != nil {
		t.Errorf("by id: %+v", in)
	}
	if in := f.in[1]; aws.ToString(in.VersionStage) != "AWSPREVIOUS" || in.VersionId != nil {
		t.Errorf("by label: %+v", in)
	}
}

func TestNotFoundIsNoSuchVersion(t *testing.T) {
	m := Manager{API: &fakeAPI{err: &types.ResourceNotFoundException{Message: aws.String("Secrets Manager can't find the specified secret value for staging label: AWSPREVIOUS")}}}
	if _, err := m.SecretString(context.Background(), config.SecretRef{ARN: arn, Stage: "AWSPREVIOUS"}); !errors.Is(err, config.ErrNoSuchVersion) {
		t.Errorf("got %v, want ErrNoSuchVersion", err)
	}
	m = Manager{API: &fakeAPI{err: errors.New("AccessDeniedException")}}
	if _, err := m.SecretString(context.Background(), config.SecretRef{ARN: arn, Stage: "AWSCURRENT"}); err == nil || errors.Is(err, config.ErrNoSuchVersion) {
		t.Errorf("access denied: %v", err)
	}
	m = Manager{API: &fakeAPI{out: &secretsmanager.GetSecretValueOutput{SecretBinary: []byte{1}}}}
	if _, err := m.SecretString(context.Background(), config.SecretRef{ARN: arn, Stage: "AWSCURRENT"}); err == nil {
		t.Error("a binary secret was accepted")
	}
}

// Without any _ARN setting nothing is built or read: no AWS credentials
// are needed (make run, the health check locally).
func TestResolveWithoutARNs(t *testing.T) {
	for _, k := range []string{"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} {
		t.Setenv(k, "")
	}
	plain := map[string]string{"ORIGIN_SECRET": "x"}
	getenv, err := Resolve(context.Background(), func(k string) string { return plain[k] })
	if err != nil || getenv("ORIGIN_SECRET") != "x" {
		t.Fatalf("%v", err)
	}
	// With one, the missing credentials are the error, before any call.
	plain = map[string]string{"ORIGIN_SECRET_ARN": arn}
	if _, err := Resolve(context.Background(), func(k string) string { return plain[k] }); err == nil {
		t.Fatal("no credentials: accepted")
	}
}
