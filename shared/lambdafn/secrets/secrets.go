// Package secrets reads the functions' secrets from Secrets Manager at cold
// start: the settings the environment names by ARN (CURSOR_SECRET_ARN,
// WEBHOOK_KEY_ARN, ORIGIN_SECRET_ARN; see shared/config's WithSecrets). A
// function whose environment names none builds no client and makes no call.
package secrets

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/portalaccess/portalaccess/shared/config"
	"github.com/portalaccess/portalaccess/shared/lambdafn/awsenv"
)

// Timeout bounds the reads at cold start, retries included: well inside
// Lambda's 10 s init, so that a secret that cannot be read fails the init
// with its reason rather than by the runtime's timeout.
const Timeout = 5 * time.Second

// Resolve is getenv with the secrets it names by ARN read from Secrets
// Manager (config.WithSecrets); without any, getenv itself.
func Resolve(ctx context.Context, getenv func(string) string) (func(string) string, error) {
	if !config.NamesSecrets(getenv) {
		return config.WithSecrets(ctx, getenv, nil)
	}
	cfg, err := awsenv.Config()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	return config.WithSecrets(ctx, getenv, New(cfg))
}

// Manager is a config.SecretGetter on Secrets Manager's GetSecretValue.
type Manager struct{ API GetSecretValueAPI }

// GetSecretValueAPI is the one call of the Secrets Manager client used.
type GetSecretValueAPI interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// New is the Manager on a client of cfg's region (AWS_ENDPOINT_URL_SECRETS_MANAGER
// or AWS_ENDPOINT_URL overrides the endpoint, as for the other clients).
func New(cfg aws.Config) Manager {
	return Manager{API: secretsmanager.NewFromConfig(cfg, func(o *secretsmanager.Options) {
		o.BaseEndpoint = awsenv.Endpoint("Secrets Manager")
	})}
}

// SecretString reads the version ref names. A secret or version that does
// not exist wraps config.ErrNoSuchVersion; a binary secret is refused (the
// stack's secrets are strings).
func (m Manager) SecretString(ctx context.Context, ref config.SecretRef) (string, error) {
	in := &secretsmanager.GetSecretValueInput{SecretId: aws.String(ref.ARN)}
	if ref.VersionID != "" {
		in.VersionId = aws.String(ref.VersionID)
	} else {
		in.VersionStage = aws.String(ref.Stage)
	}
	out, err := m.API.GetSecretValue(ctx, in)
	if err != nil {
		var nf *types.ResourceNotFoundException
		if errors.As(err, &nf) {
			return "", fmt.Errorf("%w: %w", config.ErrNoSuchVersion, err)
		}
		return "", err
	}
	if out.SecretString == nil {
		return "", errors.New("the secret holds no string (a binary secret)")
	}
	return *out.SecretString, nil
}
