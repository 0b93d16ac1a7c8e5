package domain

import (
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Actions on webhook subscriptions, on their customer's trail (or the
// provider's, for operator-wide ones).
const (
	ActionSubscriptionCreated = "subscription.created"
	ActionSubscriptionUpdated = "subscription.updated"
	ActionSubscriptionDeleted = "subscription.deleted"
	ActionSubscriptionRotated = "subscription.secret_rotated"
	// ActionSubscriptionPaused: the deliveries kept failing, so the system
	// paused the subscription.
	ActionSubscriptionPaused = "subscription.paused"
	TargetSubscription       = "subscription"
)

var subscriptionActions = []string{ActionSubscriptionCreated, ActionSubscriptionUpdated, ActionSubscriptionDeleted,
	ActionSubscriptionRotated, ActionSubscriptionPaused}

// PrefixSubscription is the id prefix of webhook subscriptions.
const PrefixSubscription = "whs"

// MaxSubscriptions is how many webhook subscriptions a customer may have.
const MaxSubscriptions = 10

// Subscription is a webhook subscription of a customer: an endpoint and
// the event types it is sent (none listed: every type of the customer).
// Its signing secret is kept sealed (shared/webhooks.Sealer): signing
// needs the secret itself, so it cannot be hashed. After a rotation the
// previous secret signs too, until PreviousUntil.
type Subscription struct {
	Record
	URL   string   `dynamodbav:"url"`
	Types []string `dynamodbav:"types"`
	// Description is the subscriber's note of what the endpoint is.
	Description string `dynamodbav:"description,omitempty"`
	// Paused: nothing is delivered. PausedReason says why when the system
	// paused it (the endpoint kept failing); empty when a person did.
	Paused       bool   `dynamodbav:"paused"`
	PausedReason string `dynamodbav:"pausedReason,omitempty"`
	// Secret and PreviousSecret are sealed.
	Secret         string     `dynamodbav:"secret"`
	PreviousSecret string     `dynamodbav:"previousSecret,omitempty"`
	PreviousUntil  *time.Time `dynamodbav:"previousUntil,omitempty"`
	// Failures counts the deliveries that failed in a row, since
	// FailingSince; a success clears both.
	Failures     int        `dynamodbav:"failures"`
	FailingSince *time.Time `dynamodbav:"failingSince,omitempty"`
}

// Wants reports whether the subscription is sent events of the type.
func (s Subscription) Wants(eventType string) bool {
	if s.Paused {
		return false
	}
	if len(s.Types) == 0 {
		return true
	}
	return slices.Contains(s.Types, eventType)
}

// Secrets are the sealed secrets that sign a delivery at the time: the
// current one, and the previous one during its grace period.
func (s Subscription) Secrets(at time.Time) []string {
	out := []string{s.Secret}
	if s.PreviousSecret != "" && s.PreviousUntil != nil && at.Before(*s.PreviousUntil) {
		out = append(out, s.PreviousSecret)
	}
	return out
}

// Codes of a refused webhook URL.
const (
	CodeWebhookURL        = "invalid_url"     // not an absolute http(s) URL without credentials or fragment
	CodeWebhookHTTPS      = "https_required"  // plain http to anything but localhost
	CodeWebhookPrivateURL = "private_address" // a loopback, private, link-local or unspecified address
)

// CleanWebhookURL checks an endpoint a subscription is to post to: an
// absolute https URL (or, when local, http://localhost and loopback, for
// the sample receiver) of at most 2,000 characters as given and as kept
// (escaped), no user info or
// fragment, no port but one from 1 to 65535 (none can be dialled), and on AWS (local false) no host that is a loopback, private,
// link-local (instance metadata) or unspecified address, so that a
// subscriber cannot make the product call into its own network. Names are
// checked again at delivery, when they resolve. It answers the URL and ""
// or the code of the refusal.
func CleanWebhookURL(raw string, local bool) (string, string) {
	raw = strings.TrimSpace(raw)
	u, err := url.Parse(raw)
	if err != nil || len(raw) > 2000 || !u.IsAbs() || u.Host == "" || u.User != nil || u.Fragment != "" || u.Opaque != "" || !validPort(u.Port()) {
		return "", CodeWebhookURL
	}
	host := strings.ToLower(u.Hostname())
	loopback := host == "localhost" || strings.HasSuffix(host, ".localhost")
	ip, ipErr := netip.ParseAddr(host)
	if ipErr == nil {
		loopback = ip.IsLoopback()
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && local && loopback:
	case u.Scheme == "http":
		return "", CodeWebhookHTTPS
	default:
		return "", CodeWebhookURL
	}
	out := u.String() // escaped, it may be longer than given
	if len(out) > 2000 {
		return "", CodeWebhookURL
	}
	if !local && (loopback || (ipErr == nil && !PublicAddr(ip))) {
		return "", CodeWebhookPrivateURL
	}
	return out, ""
}

// PublicAddr reports whether a delivery may go to the address: not
// loopback, private (RFC 1918, fc00::/7), link-local (169.254/16, where
// instance metadata answers; fe80::/10), multicast or unspecified, nor
// carrier-grade NAT (100.64/10); and an IPv6 address that carries an IPv4
// one to a translator or relay (NAT64 64:ff9b::/96, 6to4 2002::/16) only
// when that IPv4 address is public. The local-use NAT64 prefix
// (64:ff9b:1::/48) reaches the operator's own network: never.
func PublicAddr(ip netip.Addr) bool {
	ip = ip.Unmap()
	if ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsMulticast() || ip.IsUnspecified() || ip.IsInterfaceLocalMulticast() {
		return false
	}
	if ip.Is6() {
		b := ip.As16()
		switch {
		case nat64.Contains(ip):
			return PublicAddr(netip.AddrFrom4([4]byte(b[12:16])))
		case sixToFour.Contains(ip):
			return PublicAddr(netip.AddrFrom4([4]byte(b[2:6])))
		case nat64Local.Contains(ip):
			return false
		}
	}
	for _, p := range notGlobal {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}

// notGlobal are the special-purpose blocks of IANA's registries that are
// not globally reachable, beyond what netip's predicates name: a host there
// is nobody's public receiver. Teredo and the deprecated IPv4-compatible
// form carry an IPv4 address that is not checked, so they are refused too.
var notGlobal = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),       // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),   // shared address space (carrier-grade NAT)
	netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
	netip.MustParsePrefix("192.0.2.0/24"),    // documentation (TEST-NET-1)
	netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
	netip.MustParsePrefix("198.51.100.0/24"), // documentation (TEST-NET-2)
	netip.MustParsePrefix("203.0.113.0/24"),  // documentation (TEST-NET-3)
	netip.MustParsePrefix("240.0.0.0/4"),     // reserved, and the limited broadcast
	netip.MustParsePrefix("::/96"),           // IPv4-compatible (deprecated)
	netip.MustParsePrefix("100::/64"),        // discard-only
	netip.MustParsePrefix("2001::/32"),       // Teredo
	netip.MustParsePrefix("2001:db8::/32"),   // documentation
}

var (
	nat64      = netip.MustParsePrefix("64:ff9b::/96")
	nat64Local = netip.MustParsePrefix("64:ff9b:1::/48")
	sixToFour  = netip.MustParsePrefix("2002::/16")
)

// WebhookDelivery is one attempt to deliver an event to a subscription, as its
// delivery log keeps it (WebhookDeliveryTTL).
type WebhookDelivery struct {
	CustomerID     string `dynamodbav:"customerId"`
	SubscriptionID string `dynamodbav:"subscriptionId"`
	EventID        string `dynamodbav:"eventId"`
	EventType      string `dynamodbav:"eventType"`
	// Attempt counts the tries of this event at this subscription, from 1.
	Attempt int       `dynamodbav:"attempt"`
	At      time.Time `dynamodbav:"at"`
	// OK: the receiver answered 2xx. Status is its HTTP status (0 when it
	// answered none); Error what went wrong, when something did.
	OK     bool   `dynamodbav:"ok"`
	Status int    `dynamodbav:"status"`
	Error  string `dynamodbav:"error,omitempty"`
	// NextRetry is when a failed attempt is tried again.
	NextRetry *time.Time `dynamodbav:"nextRetry,omitempty"`
}

// WebhookDeliveryTTL is how long a delivery log keeps an attempt.
const WebhookDeliveryTTL = 30 * 24 * time.Hour
