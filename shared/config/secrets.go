package config

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
)

// The settings that are secrets can come two ways. Locally (make run, the
// tests) a setting holds the value itself: CURSOR_SECRET, WEBHOOK_KEY,
// ORIGIN_SECRET. On AWS the function's environment holds only the secret's
// ARN, <NAME>_ARN, and the function reads the value from Secrets Manager once,
// at cold start (WithSecrets), so that no value is in the function's
// configuration (lambda:GetFunctionConfiguration) or the template.
//
//	<NAME>_ARN               the secret
//	<NAME>_VERSION           the version to read: a version id, or a staging
//	                         label (AWSCURRENT, AWSPREVIOUS, AWSPENDING);
//	                         default AWSCURRENT
//	ORIGIN_SECRET_PREVIOUS_VERSION
//	                         a second version the origin check accepts too,
//	                         while a rotation reaches every edge; a staging
//	                         label that no version holds (AWSPREVIOUS before
//	                         the first rotation) is skipped, a version id that
//	                         does not exist fails the start
//
// A setting named both ways (CURSOR_SECRET and CURSOR_SECRET_ARN) is a
// configuration error: the function refuses to start rather than guess
// which one was meant.

// SecretGetter reads one version of a secret's string value. On AWS it is
// Secrets Manager's GetSecretValue (shared/lambdafn/secrets); in tests, a
// fake. It answers an error that wraps ErrNoSuchVersion when the secret has
// no such version, and its errors never hold the value.
type SecretGetter interface {
	SecretString(ctx context.Context, ref SecretRef) (string, error)
}

// SecretRef names one version of a secret: by its id, or by a staging
// label (exactly one of VersionID and Stage is set).
type SecretRef struct {
	ARN       string
	VersionID string
	Stage     string
}

func (r SecretRef) String() string {
	if r.VersionID != "" {
		return r.ARN + " version " + r.VersionID
	}
	return r.ARN + " stage " + r.Stage
}

// ErrNoSuchVersion is what a SecretGetter's error wraps when the version
// or staging label it was asked for does not exist.
var ErrNoSuchVersion = errors.New("no such secret version")

// SecretSettings are the settings that may name a secret by ARN.
var SecretSettings = []string{"CURSOR_SECRET", "WEBHOOK_KEY", "ORIGIN_SECRET"}

// previousVersion is the one setting that accepts two versions of its
// secret (comma-separated in the plain value).
const previousVersion = "ORIGIN_SECRET_PREVIOUS_VERSION"

// stagingLabels are Secrets Manager's own labels; any other version is a
// version id.
var stagingLabels = map[string]bool{"AWSCURRENT": true, "AWSPREVIOUS": true, "AWSPENDING": true}

func versionRef(arn, v string) SecretRef {
	if stagingLabels[v] {
		return SecretRef{ARN: arn, Stage: v}
	}
	return SecretRef{ARN: arn, VersionID: v}
}

// NamesSecrets reports whether the environment names any secret by ARN,
// so that a function builds the Secrets Manager client only when it will
// use it.
func NamesSecrets(getenv func(string) string) bool {
	for _, name := range SecretSettings {
		if strings.TrimSpace(getenv(name+"_ARN")) != "" {
			return true
		}
	}
	return false
}

// WithSecrets is getenv with the value of every secret the environment names
// by ARN read through get, each version once, all at once; Load then reads
// and checks them as it reads the plain settings. Without any _ARN setting
// it answers getenv itself and get is not used (it may be nil). Its errors
// name the setting, the ARN and the version, never a value.
func WithSecrets(ctx context.Context, getenv func(string) string, get SecretGetter) (func(string) string, error) {
	var errs []error
	type want struct {
		name     string
		ref      SecretRef
		optional bool // a staging label that may hold no version
		value    string
		err      error
	}
	var wants []*want
	for _, name := range SecretSettings {
		arn := strings.TrimSpace(getenv(name + "_ARN"))
		version := strings.TrimSpace(getenv(name + "_VERSION"))
		prev := ""
		if name == "ORIGIN_SECRET" {
			prev = strings.TrimSpace(getenv(previousVersion))
		}
		if arn == "" {
			if version != "" {
				errs = append(errs, fmt.Errorf("%s_VERSION is set without %s_ARN", name, name))
			}
			if prev != "" {
				errs = append(errs, fmt.Errorf("%s is set without %s_ARN", previousVersion, name))
			}
			continue
		}
		if strings.TrimSpace(getenv(name)) != "" {
			errs = append(errs, fmt.Errorf("%s and %s_ARN are both set: set the value (locally) or the secret's ARN (on AWS), not both", name, name))
			continue
		}
		if !strings.HasPrefix(arn, "arn:") || !strings.Contains(arn, ":secretsmanager:") {
			errs = append(errs, fmt.Errorf("%s_ARN=%q is not a Secrets Manager secret's ARN", name, arn))
			continue
		}
		if version == "" {
			version = "AWSCURRENT"
		}
		wants = append(wants, &want{name: name, ref: versionRef(arn, version)})
		if prev != "" {
			r := versionRef(arn, prev)
			wants = append(wants, &want{name: name, ref: r, optional: r.Stage != ""})
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if len(wants) == 0 {
		return getenv, nil
	}
	if get == nil {
		return nil, errors.New("the environment names secrets by ARN, but no secret reader was given")
	}
	var wg sync.WaitGroup
	for _, w := range wants {
		wg.Go(func() { w.value, w.err = get.SecretString(ctx, w.ref) })
	}
	wg.Wait()
	values := map[string][]string{}
	for _, w := range wants {
		switch {
		case w.err != nil && w.optional && errors.Is(w.err, ErrNoSuchVersion):
			// AWSPREVIOUS before the first rotation: nothing more to accept.
		case w.err != nil:
			errs = append(errs, fmt.Errorf("%s: reading %s: %w", w.name, w.ref, w.err))
		case strings.TrimSpace(w.value) == "":
			errs = append(errs, fmt.Errorf("%s: %s is empty", w.name, w.ref))
		case w.name == "ORIGIN_SECRET" && strings.Contains(w.value, ","):
			errs = append(errs, fmt.Errorf("%s: %s holds a comma, which ORIGIN_SECRET uses to separate versions", w.name, w.ref))
		default:
			values[w.name] = append(values[w.name], strings.TrimSpace(w.value))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return func(key string) string {
		if v, ok := values[key]; ok {
			return strings.Join(v, ",")
		}
		return getenv(key)
	}, nil
}
