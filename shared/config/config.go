// Package config reads the functions' settings from the environment, once,
// at cold start. A missing or malformed value stops the start with a message
// that names it.
package config

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Config is every setting a function may use.
type Config struct {
	TableName   string // TABLE_NAME
	UserPoolID  string // USER_POOL_ID
	AppClientID string // APP_CLIENT_ID: the only client whose access tokens are accepted
	// PortalURL is where invitation links point: <PortalURL>/accept-invitation#token=…
	// It comes from configuration only, never from a request.
	PortalURL   string // PORTAL_URL
	SenderEmail string // SENDER_EMAIL
	// CursorSecret signs paging cursors so that a forged one is refused.
	// Only the API functions page; the tasks are not given it.
	CursorSecret []byte // CURSOR_SECRET, base64 of at least 32 bytes

	InvitationTTL      time.Duration // INVITATION_TTL, default 168h
	InvitationReminder time.Duration // INVITATION_REMINDER, default 48h, 0 turns reminders off
	ReinviteCooldown   time.Duration // REINVITE_COOLDOWN, default 60s
	// AccessReminder is how long before a member's accessUntil their admins
	// are reminded; TechnicianAccess the access length of technicians
	// invited without an accessUntil (0: none).
	AccessReminder   time.Duration // ACCESS_REMINDER, default 72h, 0 turns the reminder off
	TechnicianAccess time.Duration // TECHNICIAN_ACCESS_DEFAULT, default none

	// InviteRateLimit is how many invitation e-mails (invites, bulk invites,
	// re-invites) one customer (or the provider) may send a minute.
	InviteRateLimit int // INVITE_RATE_LIMIT, default 200
	// PublicRateLimit is how many calls of the public invitation routes one
	// source address may make a minute.
	PublicRateLimit int // PUBLIC_RATE_LIMIT, default 30

	// ImportQueueURL is the queue of imports' chunks: the function that
	// accepts imports sends to it.
	ImportQueueURL string // IMPORT_QUEUE_URL, optional
	// ImportSendRate is how many invitation e-mails a second all of an
	// import's consumers together send at most (SES's sending rate, less
	// what other e-mail needs); ImportConcurrency how many consumers run
	// at once at most (the event source mapping's maximum concurrency):
	// each holds ImportSendRate/ImportConcurrency.
	ImportSendRate    int // IMPORT_SEND_RATE, default 10
	ImportConcurrency int // IMPORT_CONCURRENCY, default 2

	// Issuer is the user pool's issuer (tokens' iss; its discovery document
	// and JWKS are under it): the functions that check a token themselves
	// (a portal's) and portal setups' sign-in details need it.
	Issuer string // USER_POOL_ISSUER, optional
	// ManagedLoginURL is the managed login's domain, where portals send
	// their users to sign in and reset their password.
	ManagedLoginURL string // MANAGED_LOGIN_URL, optional
	// PortalPasswordAuth also lets portals' app clients sign in with a
	// password: the local stack's scripts and tests. Never on AWS.
	PortalPasswordAuth bool // PORTAL_PASSWORD_AUTH, default false
	// OriginSecrets are the values of the header that the CloudFront
	// distribution adds to every request it forwards to the API; when set,
	// a request without one of them is refused (shared/lambdafn/origin).
	// Unset locally, where no CDN stands in front of the gateway.
	OriginSecrets []string // ORIGIN_SECRET, comma-separated, each at least 32 characters
	// OperatorMFAOff stops requiring operators to set up an authenticator
	// app: only for local test stacks that do not model the second factor
	// (the model-based test), as rate limits are raised there. The CDK
	// stack never sets it.
	OperatorMFAOff bool // OPERATOR_MFA=off; default: required

	// WebhookKey seals webhook subscriptions' secrets at rest (AES-256-GCM):
	// on AWS from Secrets Manager, locally a file under .local/. The
	// webhook routes and deliver-webhooks need it.
	WebhookKey []byte // WEBHOOK_KEY, base64 of at least 32 bytes (hashed to the key), optional
	// WebhookLocal lets subscriptions post to http://localhost and loopback
	// (the local stack's sample receiver). Never on AWS.
	WebhookLocal bool // WEBHOOK_LOCAL=true
	// WebhookQueueURL is the deliveries' queue (SQS FIFO) that
	// deliver-webhooks fans each event out to.
	WebhookQueueURL string // WEBHOOK_QUEUE_URL, optional
	// How deliveries retry and pause: attempt n again after
	// WebhookRetryBase·2^(n-1), at most WebhookRetryMax; WebhookPauseAfter
	// failures in a row over WebhookPauseSpan pause the subscription; a
	// paused one's held deliveries look again every WebhookHold.
	WebhookRetryBase  time.Duration // WEBHOOK_RETRY_BASE, default 30s
	WebhookRetryMax   time.Duration // WEBHOOK_RETRY_MAX, default 1h
	WebhookPauseAfter int           // WEBHOOK_PAUSE_AFTER, default 10
	WebhookPauseSpan  time.Duration // WEBHOOK_PAUSE_SPAN, default 24h
	WebhookHold       time.Duration // WEBHOOK_HOLD, default 5m
}

// Defaults for the optional settings.
const (
	DefaultInvitationTTL      = 168 * time.Hour
	DefaultInvitationReminder = 48 * time.Hour
	DefaultReinviteCooldown   = 60 * time.Second
	DefaultAccessReminder     = 72 * time.Hour
	DefaultInviteRateLimit    = 200
	DefaultPublicRateLimit    = 30
	DefaultImportSendRate     = 10
	DefaultImportConcurrency  = 2
)

// Load reads the configuration through getenv (os.Getenv in production).
func Load(getenv func(string) string) (Config, error) {
	var errs []error
	need := func(key string) string {
		v := strings.TrimSpace(getenv(key))
		if v == "" {
			errs = append(errs, fmt.Errorf("%s is not set", key))
		}
		return v
	}
	dur := func(key string, def time.Duration, allowZero bool) time.Duration {
		v := strings.TrimSpace(getenv(key))
		if v == "" {
			return def
		}
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 || (d == 0 && !allowZero) {
			errs = append(errs, fmt.Errorf("%s=%q is not a positive duration such as 168h or 90s", key, v))
			return def
		}
		return d
	}
	count := func(key string, def int) int {
		v := strings.TrimSpace(getenv(key))
		if v == "" {
			return def
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			errs = append(errs, fmt.Errorf("%s=%q is not a positive whole number", key, v))
			return def
		}
		return n
	}
	// The user pool's own trigger cannot be told the pool's id, its
	// client's, or the console's address (whose distribution names the
	// pool's domain): the pool names the function, so the function's
	// settings naming the pool would be a cycle. It reads none of them;
	// each event says which pool and client it is for.
	poolID := need
	if strings.TrimSpace(getenv("USER_POOL_TRIGGER")) == "true" {
		poolID = func(key string) string { return strings.TrimSpace(getenv(key)) }
	}
	c := Config{
		TableName:          need("TABLE_NAME"),
		UserPoolID:         poolID("USER_POOL_ID"),
		AppClientID:        poolID("APP_CLIENT_ID"),
		PortalURL:          strings.TrimRight(poolID("PORTAL_URL"), "/"),
		SenderEmail:        need("SENDER_EMAIL"),
		InvitationTTL:      dur("INVITATION_TTL", DefaultInvitationTTL, false),
		InvitationReminder: dur("INVITATION_REMINDER", DefaultInvitationReminder, true),
		ReinviteCooldown:   dur("REINVITE_COOLDOWN", DefaultReinviteCooldown, true),
		AccessReminder:     dur("ACCESS_REMINDER", DefaultAccessReminder, true),
		TechnicianAccess:   dur("TECHNICIAN_ACCESS_DEFAULT", 0, true),
		InviteRateLimit:    count("INVITE_RATE_LIMIT", DefaultInviteRateLimit),
		PublicRateLimit:    count("PUBLIC_RATE_LIMIT", DefaultPublicRateLimit),
		ImportQueueURL:     strings.TrimSpace(getenv("IMPORT_QUEUE_URL")),
		ImportSendRate:     count("IMPORT_SEND_RATE", DefaultImportSendRate),
		ImportConcurrency:  count("IMPORT_CONCURRENCY", DefaultImportConcurrency),
		Issuer:             strings.TrimRight(strings.TrimSpace(getenv("USER_POOL_ISSUER")), "/"),
		ManagedLoginURL:    strings.TrimRight(strings.TrimSpace(getenv("MANAGED_LOGIN_URL")), "/"),
		PortalPasswordAuth: strings.TrimSpace(getenv("PORTAL_PASSWORD_AUTH")) == "true",
		OperatorMFAOff:     strings.TrimSpace(getenv("OPERATOR_MFA")) == "off",
		WebhookLocal:       strings.TrimSpace(getenv("WEBHOOK_LOCAL")) == "true",
		WebhookQueueURL:    strings.TrimSpace(getenv("WEBHOOK_QUEUE_URL")),
		WebhookRetryBase:   dur("WEBHOOK_RETRY_BASE", 30*time.Second, false),
		WebhookRetryMax:    dur("WEBHOOK_RETRY_MAX", time.Hour, false),
		WebhookPauseAfter:  count("WEBHOOK_PAUSE_AFTER", 10),
		WebhookPauseSpan:   dur("WEBHOOK_PAUSE_SPAN", 24*time.Hour, true),
		WebhookHold:        dur("WEBHOOK_HOLD", 5*time.Minute, false),
	}
	if s := strings.TrimSpace(getenv("WEBHOOK_KEY")); s != "" {
		b, err := decodeSecret(s)
		if err != nil || len(b) < 32 {
			errs = append(errs, errors.New("WEBHOOK_KEY must be base64 of at least 32 random bytes"))
		}
		k := sha256.Sum256(b) // the AES-256 key
		c.WebhookKey = k[:]
	}
	for key, v := range map[string]string{"USER_POOL_ISSUER": c.Issuer, "MANAGED_LOGIN_URL": c.ManagedLoginURL} {
		if v == "" {
			continue
		}
		if u, err := url.Parse(v); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			errs = append(errs, fmt.Errorf("%s=%q is not an absolute http(s) URL", key, v))
		}
	}
	if c.PortalURL != "" {
		if u, err := url.Parse(c.PortalURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			errs = append(errs, fmt.Errorf("PORTAL_URL=%q is not an absolute http(s) URL", c.PortalURL))
		}
	}
	// Only the API functions page (and refuse to start without it:
	// shared/lambdafn's Start); the tasks are not given it.
	if s := strings.TrimSpace(getenv("CURSOR_SECRET")); s != "" {
		b, err := decodeSecret(s)
		if err != nil || len(b) < 32 {
			errs = append(errs, errors.New("CURSOR_SECRET must be base64 of at least 32 random bytes"))
		}
		c.CursorSecret = b
	}
	secrets, err := OriginSecrets(getenv)
	if err != nil {
		errs = append(errs, err)
	}
	c.OriginSecrets = secrets
	if c.InvitationReminder >= c.InvitationTTL {
		errs = append(errs, fmt.Errorf("INVITATION_REMINDER (%s) must be shorter than INVITATION_TTL (%s)", c.InvitationReminder, c.InvitationTTL))
	}
	return c, errors.Join(errs...)
}

// MinOriginSecret is the shortest origin secret accepted: the stack
// generates 64 letters and digits, about 380 bits.
const MinOriginSecret = 32

// OriginSecrets reads ORIGIN_SECRET: none (the check is off), or one or
// more comma-separated values, the current one and, while a rotation
// reaches every CloudFront edge, the previous one. The functions that load
// no other configuration (the health check) read only this.
func OriginSecrets(getenv func(string) string) ([]string, error) {
	v := strings.TrimSpace(getenv("ORIGIN_SECRET"))
	if v == "" {
		return nil, nil
	}
	var out []string
	for _, s := range strings.Split(v, ",") {
		s = strings.TrimSpace(s)
		if len(s) < MinOriginSecret {
			return nil, fmt.Errorf("ORIGIN_SECRET must be comma-separated values of at least %d characters each", MinOriginSecret)
		}
		out = append(out, s)
	}
	return out, nil
}

func decodeSecret(s string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, nil
		}
	}
	return nil, errors.New("not base64")
}
