package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/portalaccess/portalaccess/shared/config"
)

// Settings is what the deployer chooses, read from the CDK context
// (`cdk deploy -c adminEmail=… -c portalUrl=…`). Everything else about the
// stack is fixed by the code.
type Settings struct {
	// AdminEmail is the first operator admin, created and invited at deploy.
	AdminEmail string
	// SenderEmail is the From address of the invitation e-mails.
	SenderEmail string
	// SenderDomain, when set, makes the SES identity the whole domain (DKIM
	// records as outputs) instead of the single address.
	SenderDomain string
	// PortalURL is where the web console and the accept page live:
	// invitation links are <PortalURL>/accept-invitation#token=…. Default:
	// https://<ConsoleDomain>, else the console's CloudFront distribution,
	// https://<id>.cloudfront.net, known only at deploy (the stack uses the
	// distribution's domain name then, and PortalURL stays empty here).
	PortalURL string
	// ConsoleDomain and CertificateArn, given together, serve the console
	// under the deployer's own name: the distribution's alternate domain
	// name and its ACM certificate (in us-east-1, as CloudFront requires).
	ConsoleDomain  string
	CertificateArn string
	// AllowedOrigins may call the API from a browser (CORS) and receive the
	// managed login's redirects. Default: the origin of PortalURL (the stack
	// adds the distribution's origin when PortalURL is the distribution).
	AllowedOrigins []string
	// DomainPrefix names the managed login domain
	// https://<prefix>.auth.<region>.amazoncognito.com. Default: the stack's
	// name in lower case and the account id.
	DomainPrefix string
	// SweepInterval is the schedule expression of the sweep.
	SweepInterval string
	// LogRetentionDays keeps the functions' and the API's logs this long.
	LogRetentionDays int
	// CognitoEmailViaSES sends Cognito's own e-mails (password-reset codes)
	// through the SES identity instead of Cognito's default sender. Turn it
	// on once the identity is verified: Cognito refuses an unverified one.
	CognitoEmailViaSES bool
	// CursorSecretVersion pins the CURSOR_SECRET to one version of the
	// secret; changing it is how a rotated secret reaches the functions.
	CursorSecretVersion string
	// Optional function settings, passed through when set (Go durations).
	InvitationTTL      string
	InvitationReminder string
	ReinviteCooldown   string
	AccessReminder     string
	TechnicianAccess   string
	// Optional rate limits a minute (whole numbers), passed through when set.
	InviteRateLimit string
	PublicRateLimit string
	// ImportSendRate is how many invitation e-mails a second the imports
	// send at most, all consumers together (IMPORT_SEND_RATE).
	ImportSendRate string

	// Stage names the stack and everything in it that has an account-wide
	// name, so that a test and a production stack live side by side in one
	// account: stacks PortalAccess-<stage> and PortalAccessEdge-<stage>.
	// Empty (the default) keeps the names of the first deploys,
	// PortalAccess and PortalAccessEdge.
	Stage string
	// OriginSecretVersion pins ORIGIN_SECRET, and the header CloudFront
	// sends, to one version of the origin secret; OriginSecretPrevious is
	// the version the functions still accept while a rotation propagates.
	OriginSecretVersion  string
	OriginSecretPrevious string
	// AlarmEmail, when set, subscribes this address to the alarm topic.
	AlarmEmail string
	// WAF rate limits: requests one client address may make in 60 seconds
	// to the public invitation routes and to the whole API.
	WafInvitationLimit int
	WafAPILimit        int
}

// Context keys, as `-c key=value` names them.
const (
	ctxAdminEmail          = "adminEmail"
	ctxSenderEmail         = "senderEmail"
	ctxSenderDomain        = "senderDomain"
	ctxPortalURL           = "portalUrl"
	ctxConsoleDomain       = "consoleDomain"
	ctxCertificateArn      = "certificateArn"
	ctxAllowedOrigins      = "allowedOrigins"
	ctxDomainPrefix        = "domainPrefix"
	ctxSweepInterval       = "sweepInterval"
	ctxLogRetentionDays    = "logRetentionDays"
	ctxCognitoEmailViaSES  = "cognitoEmailViaSes"
	ctxCursorSecretVersion = "cursorSecretVersion"
	ctxInvitationTTL       = "invitationTtl"
	ctxInvitationReminder  = "invitationReminder"
	ctxReinviteCooldown    = "reinviteCooldown"
	ctxAccessReminder      = "accessReminder"
	ctxTechnicianAccess    = "technicianAccessDefault"
	ctxInviteRateLimit     = "inviteRateLimit"
	ctxPublicRateLimit     = "publicRateLimit"
	ctxImportSendRate      = "importSendRate"
	ctxStage               = "stage"
	ctxOriginSecretVersion = "originSecretVersion"
	ctxOriginSecretPrev    = "originSecretPreviousVersion"
	ctxAlarmEmail          = "alarmEmail"
	ctxWafInvitationLimit  = "wafInvitationLimit"
	ctxWafAPILimit         = "wafApiLimit"
)

// Defaults of the optional settings.
const (
	DefaultSweepInterval    = "rate(1 minute)"
	DefaultLogRetentionDays = 30
	// DefaultWafInvitationLimit is a client's share of the public
	// invitation routes in 60 s: the handler's own per-address default
	// (PUBLIC_RATE_LIMIT, 30 a minute), so that a flood from one address
	// is answered at the edge and takes at most a tenth of the routes'
	// shared throttle (5 requests a second), while an invitee needs two or
	// three calls.
	DefaultWafInvitationLimit = 30
	// DefaultWafAPILimit is a client's share of the whole API in 60 s: 10
	// requests a second on average, a tenth of the stage's throttle, far
	// above what a person at the console makes.
	DefaultWafAPILimit = 600
	// AWS WAF's bounds for a rate-based rule's limit.
	minWafLimit, maxWafLimit = 10, 2_000_000_000
)

// SettingsFromContext reads and checks the settings; lookup is the app's
// Node().TryGetContext. Every problem is reported, each naming its value.
func SettingsFromContext(lookup func(key string) any) (Settings, error) {
	var errs []error
	str := func(key string) string {
		switch v := lookup(key).(type) {
		case nil:
			return ""
		case string:
			return strings.TrimSpace(v)
		case float64:
			return strconv.FormatFloat(v, 'f', -1, 64)
		case bool:
			return strconv.FormatBool(v)
		default:
			errs = append(errs, fmt.Errorf("context %s must be a string, not %T", key, v))
			return ""
		}
	}
	s := Settings{
		AdminEmail:           str(ctxAdminEmail),
		SenderEmail:          str(ctxSenderEmail),
		SenderDomain:         strings.ToLower(str(ctxSenderDomain)),
		PortalURL:            strings.TrimRight(str(ctxPortalURL), "/"),
		ConsoleDomain:        strings.TrimSuffix(strings.ToLower(str(ctxConsoleDomain)), "."),
		CertificateArn:       str(ctxCertificateArn),
		DomainPrefix:         str(ctxDomainPrefix),
		SweepInterval:        str(ctxSweepInterval),
		CursorSecretVersion:  str(ctxCursorSecretVersion),
		InvitationTTL:        str(ctxInvitationTTL),
		InvitationReminder:   str(ctxInvitationReminder),
		ReinviteCooldown:     str(ctxReinviteCooldown),
		AccessReminder:       str(ctxAccessReminder),
		TechnicianAccess:     str(ctxTechnicianAccess),
		InviteRateLimit:      str(ctxInviteRateLimit),
		ImportSendRate:       str(ctxImportSendRate),
		PublicRateLimit:      str(ctxPublicRateLimit),
		Stage:                str(ctxStage),
		OriginSecretVersion:  str(ctxOriginSecretVersion),
		OriginSecretPrevious: str(ctxOriginSecretPrev),
		AlarmEmail:           str(ctxAlarmEmail),
	}
	origins, err := stringList(lookup(ctxAllowedOrigins))
	if err != nil {
		errs = append(errs, fmt.Errorf("context %s: %w", ctxAllowedOrigins, err))
	}
	s.AllowedOrigins = origins
	if v := str(ctxLogRetentionDays); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("context %s=%q is not a number of days", ctxLogRetentionDays, v))
		}
		s.LogRetentionDays = n
	}
	for key, dst := range map[string]*int{ctxWafInvitationLimit: &s.WafInvitationLimit, ctxWafAPILimit: &s.WafAPILimit} {
		if v := str(key); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("context %s=%q is not a whole number", key, v))
			}
			*dst = n
		}
	}
	if v := str(ctxCognitoEmailViaSES); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("context %s=%q is not true or false", ctxCognitoEmailViaSES, v))
		}
		s.CognitoEmailViaSES = b
	}
	if len(errs) > 0 {
		return s, errors.Join(errs...)
	}
	s.applyDefaults()
	return s, s.Validate()
}

// stringList accepts a JSON list (from cdk.json), a JSON list in a string,
// or a comma-separated string (from -c).
func stringList(v any) ([]string, error) {
	var items []string
	switch v := v.(type) {
	case nil:
		return nil, nil
	case []any:
		for _, x := range v {
			s, ok := x.(string)
			if !ok {
				return nil, fmt.Errorf("%v is not a string", x)
			}
			items = append(items, s)
		}
	case []string:
		items = v
	case string:
		v = strings.TrimSpace(v)
		if strings.HasPrefix(v, "[") {
			if err := json.Unmarshal([]byte(v), &items); err != nil {
				return nil, fmt.Errorf("not a JSON list of strings: %w", err)
			}
		} else {
			items = strings.Split(v, ",")
		}
	default:
		return nil, fmt.Errorf("must be a list or a comma-separated string, not %T", v)
	}
	var out []string
	for _, s := range items {
		if s = strings.TrimRight(strings.TrimSpace(s), "/"); s != "" {
			out = append(out, s)
		}
	}
	return out, nil
}

func (s *Settings) applyDefaults() {
	if s.SenderEmail == "" && s.SenderDomain != "" {
		s.SenderEmail = "no-reply@" + s.SenderDomain
	}
	if s.PortalURL == "" && s.ConsoleDomain != "" {
		s.PortalURL = "https://" + s.ConsoleDomain
	}
	if len(s.AllowedOrigins) == 0 && s.PortalURL != "" && checkWebURL(s.PortalURL, true) == nil {
		if u, err := url.Parse(s.PortalURL); err == nil {
			s.AllowedOrigins = []string{u.Scheme + "://" + u.Host}
		}
	}
	if s.SweepInterval == "" {
		s.SweepInterval = DefaultSweepInterval
	}
	if s.LogRetentionDays == 0 {
		s.LogRetentionDays = DefaultLogRetentionDays
	}
	if s.WafInvitationLimit == 0 {
		s.WafInvitationLimit = DefaultWafInvitationLimit
	}
	if s.WafAPILimit == 0 {
		s.WafAPILimit = DefaultWafAPILimit
	}
}

// MainStackName is the main stack's name: PortalAccess, or PortalAccess-<stage>.
func (s Settings) MainStackName() string { return staged("PortalAccess", s.Stage) }

// EdgeStackName is the name of the stack in us-east-1 that holds the AWS
// WAF web ACL of the distribution.
func (s Settings) EdgeStackName() string { return staged("PortalAccessEdge", s.Stage) }

func staged(name, stage string) string {
	if stage == "" {
		return name
	}
	return name + "-" + stage
}

var (
	// A Cognito domain prefix: lower-case letters, digits and hyphens, not
	// starting or ending with a hyphen, without the reserved words.
	domainPrefixRE = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$`)
	scheduleRE     = regexp.MustCompile(`^(rate|cron)\(.+\)$`)
	// A stage: short, lower case, and fit for every name it goes into
	// (stack names, the managed login's domain prefix, log group names).
	stageRE = regexp.MustCompile(`^[a-z][a-z0-9]{0,11}$`)
	// A Secrets Manager version id (a UUID as put-secret-value makes it).
	secretVersionRE = regexp.MustCompile(`^[A-Za-z0-9-]{32,64}$`)
	hostnameRE      = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$`)
	// CloudFront takes certificates from ACM in us-east-1 only.
	certificateArnRE = regexp.MustCompile(`^arn:aws[a-z-]*:acm:us-east-1:[0-9]{12}:certificate/[0-9a-f-]+$`)
)

// Validate checks the settings that the deployer gives; a missing required
// value stops synth with a message that names it.
func (s Settings) Validate() error {
	var errs []error
	if s.AdminEmail == "" {
		errs = append(errs, missing(ctxAdminEmail, "the first operator admin's e-mail address, e.g. -c adminEmail=you@example.com"))
	} else if !isAddress(s.AdminEmail) {
		errs = append(errs, fmt.Errorf("context %s=%q is not one e-mail address", ctxAdminEmail, s.AdminEmail))
	}
	switch {
	case s.SenderEmail == "":
		errs = append(errs, missing(ctxSenderEmail, "the From address of invitation e-mails, e.g. -c senderEmail=no-reply@example.com (or give -c senderDomain=example.com)"))
	case !isAddress(s.SenderEmail):
		errs = append(errs, fmt.Errorf("context %s=%q is not one e-mail address", ctxSenderEmail, s.SenderEmail))
	case s.SenderDomain != "" && !strings.HasSuffix(strings.ToLower(s.SenderEmail), "@"+s.SenderDomain):
		errs = append(errs, fmt.Errorf("context %s=%q is not an address of %s=%q", ctxSenderEmail, s.SenderEmail, ctxSenderDomain, s.SenderDomain))
	}
	if s.SenderDomain != "" && !hostnameRE.MatchString(s.SenderDomain) {
		errs = append(errs, fmt.Errorf("context %s=%q is not a domain name", ctxSenderDomain, s.SenderDomain))
	}
	// No portalUrl: the console's CloudFront address, known at deploy.
	if s.PortalURL != "" {
		if err := checkWebURL(s.PortalURL, true); err != nil {
			errs = append(errs, fmt.Errorf("context %s=%q %w", ctxPortalURL, s.PortalURL, err))
		}
	}
	switch {
	case (s.ConsoleDomain == "") != (s.CertificateArn == ""):
		errs = append(errs, fmt.Errorf("context %s and %s go together: the console's domain name and its certificate", ctxConsoleDomain, ctxCertificateArn))
	case s.ConsoleDomain == "":
	case !hostnameRE.MatchString(s.ConsoleDomain):
		errs = append(errs, fmt.Errorf("context %s=%q is not a domain name", ctxConsoleDomain, s.ConsoleDomain))
	case !certificateArnRE.MatchString(s.CertificateArn):
		errs = append(errs, fmt.Errorf("context %s=%q is not the ARN of an ACM certificate in us-east-1 (CloudFront uses no other region)", ctxCertificateArn, s.CertificateArn))
	case s.PortalURL != "https://"+s.ConsoleDomain:
		// The distribution serves the console at the root of its domain.
		errs = append(errs, fmt.Errorf("context %s=%q must be https://%s (or left out) when %s is set", ctxPortalURL, s.PortalURL, s.ConsoleDomain, ctxConsoleDomain))
	}
	for _, o := range s.AllowedOrigins {
		if err := checkWebURL(o, false); err != nil {
			errs = append(errs, fmt.Errorf("context %s: %q %w", ctxAllowedOrigins, o, err))
		}
	}
	if p := s.DomainPrefix; p != "" {
		if !domainPrefixRE.MatchString(p) || strings.Contains(p, "aws") || strings.Contains(p, "amazon") || strings.Contains(p, "cognito") {
			errs = append(errs, fmt.Errorf("context %s=%q must be 1 to 63 lower-case letters, digits and hyphens, without \"aws\", \"amazon\" or \"cognito\"", ctxDomainPrefix, p))
		}
	}
	if s.Stage != "" && (!stageRE.MatchString(s.Stage) || strings.Contains(s.Stage, "aws") || strings.Contains(s.Stage, "amazon") || strings.Contains(s.Stage, "cognito")) {
		errs = append(errs, fmt.Errorf("context %s=%q must be 1 to 12 lower-case letters and digits, starting with a letter, without \"aws\", \"amazon\" or \"cognito\"", ctxStage, s.Stage))
	}
	for key, v := range map[string]string{ctxCursorSecretVersion: s.CursorSecretVersion, ctxOriginSecretVersion: s.OriginSecretVersion, ctxOriginSecretPrev: s.OriginSecretPrevious} {
		if v != "" && !secretVersionRE.MatchString(v) {
			errs = append(errs, fmt.Errorf("context %s=%q is not a secret version id (the VersionId that put-secret-value prints)", key, v))
		}
	}
	if s.OriginSecretPrevious != "" && s.OriginSecretVersion == "" {
		errs = append(errs, fmt.Errorf("context %s needs %s: the previous version is accepted beside the pinned current one", ctxOriginSecretPrev, ctxOriginSecretVersion))
	}
	if s.OriginSecretPrevious != "" && s.OriginSecretPrevious == s.OriginSecretVersion {
		errs = append(errs, fmt.Errorf("context %s is %s itself", ctxOriginSecretPrev, ctxOriginSecretVersion))
	}
	if s.AlarmEmail != "" && !isAddress(s.AlarmEmail) {
		errs = append(errs, fmt.Errorf("context %s=%q is not one e-mail address", ctxAlarmEmail, s.AlarmEmail))
	}
	for key, n := range map[string]int{ctxWafInvitationLimit: s.WafInvitationLimit, ctxWafAPILimit: s.WafAPILimit} {
		if n < minWafLimit || n > maxWafLimit {
			errs = append(errs, fmt.Errorf("context %s=%d must be between %d and %d requests (AWS WAF's bounds)", key, n, minWafLimit, maxWafLimit))
		}
	}
	if s.WafInvitationLimit > s.WafAPILimit {
		errs = append(errs, fmt.Errorf("context %s (%d) must not exceed %s (%d): the invitation routes are part of the API", ctxWafInvitationLimit, s.WafInvitationLimit, ctxWafAPILimit, s.WafAPILimit))
	}
	if !scheduleRE.MatchString(s.SweepInterval) {
		errs = append(errs, fmt.Errorf("context %s=%q is not a schedule expression such as rate(1 minute)", ctxSweepInterval, s.SweepInterval))
	}
	if _, ok := retentionDays[s.LogRetentionDays]; !ok {
		errs = append(errs, fmt.Errorf("context %s=%d is not one of CloudWatch Logs' retention periods: %s", ctxLogRetentionDays, s.LogRetentionDays, retentionChoices()))
	}
	dur := func(key, v string, def time.Duration) time.Duration {
		if v == "" {
			return def
		}
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			errs = append(errs, fmt.Errorf("context %s=%q is not a duration such as 168h or 90s", key, v))
			return def
		}
		return d
	}
	ttl := dur(ctxInvitationTTL, s.InvitationTTL, config.DefaultInvitationTTL)
	reminder := dur(ctxInvitationReminder, s.InvitationReminder, config.DefaultInvitationReminder)
	dur(ctxReinviteCooldown, s.ReinviteCooldown, config.DefaultReinviteCooldown)
	dur(ctxAccessReminder, s.AccessReminder, config.DefaultAccessReminder)
	dur(ctxTechnicianAccess, s.TechnicianAccess, 0)
	for key, v := range map[string]string{ctxInviteRateLimit: s.InviteRateLimit, ctxPublicRateLimit: s.PublicRateLimit, ctxImportSendRate: s.ImportSendRate} {
		if n, err := strconv.Atoi(v); v != "" && (err != nil || n < 1) {
			errs = append(errs, fmt.Errorf("context %s=%q is not a positive whole number", key, v))
		}
	}
	if reminder >= ttl {
		// The functions would refuse to start (shared/config).
		errs = append(errs, fmt.Errorf("context %s (%s) must be shorter than %s (%s)", ctxInvitationReminder, reminder, ctxInvitationTTL, ttl))
	}
	sort.Slice(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
	return errors.Join(errs...)
}

func missing(key, what string) error {
	return fmt.Errorf("context %s is required: %s", key, what)
}

func isAddress(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && a.Name == ""
}

// checkWebURL accepts https URLs, and http ones only for localhost (Cognito
// accepts no other plain-http redirect). An origin has no path.
func checkWebURL(s string, pathAllowed bool) error {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return errors.New("is not an absolute URL without query or fragment")
	}
	local := u.Hostname() == "localhost"
	if u.Scheme != "https" && !(u.Scheme == "http" && local) {
		return errors.New("must use https (plain http only for localhost)")
	}
	if !pathAllowed && u.Path != "" {
		return errors.New("is not an origin (scheme://host[:port], no path)")
	}
	return nil
}
