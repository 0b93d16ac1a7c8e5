// Package app puts the use cases together: from the configuration, the
// store and the clients a function has, it makes each area's service. The
// use cases themselves live in the packages below it, one per area, each
// declaring the few store methods it uses:
//
//	access        who the caller is, and what they may do
//	members       the life cycle of portal users and operators
//	invitations   inspecting and accepting an invitation
//	customers     customers, the audit trails (a customer's, the provider's), /me
//	profile       a customer's organization profile: addresses, service agreements
//	roles         a customer's role catalogue
//	offboarding   taking a customer away for good, in bounded steps
//	portals       portal setups as relying parties; a portal's own question
//	sweep         the scheduled work
//	delivery      making invitations and sending their e-mails
//	identitysync  bringing a sign-in identity in line with the table
//	idem          idempotency keys
//	check         checking an input's fields, each problem named at once
//	mfa           the operators' second factor (authenticator app)
package app

import (
	"log/slog"
	"time"

	"github.com/portalaccess/portalaccess/shared/app/access"
	"github.com/portalaccess/portalaccess/shared/app/customers"
	"github.com/portalaccess/portalaccess/shared/app/delivery"
	"github.com/portalaccess/portalaccess/shared/app/identitysync"
	"github.com/portalaccess/portalaccess/shared/app/imports"
	"github.com/portalaccess/portalaccess/shared/app/invitations"
	"github.com/portalaccess/portalaccess/shared/app/members"
	"github.com/portalaccess/portalaccess/shared/app/mfa"
	"github.com/portalaccess/portalaccess/shared/app/offboarding"
	"github.com/portalaccess/portalaccess/shared/app/portals"
	"github.com/portalaccess/portalaccess/shared/app/profile"
	"github.com/portalaccess/portalaccess/shared/app/roles"
	"github.com/portalaccess/portalaccess/shared/app/subscriptions"
	"github.com/portalaccess/portalaccess/shared/app/sweep"
	"github.com/portalaccess/portalaccess/shared/config"
	"github.com/portalaccess/portalaccess/shared/identity"
	"github.com/portalaccess/portalaccess/shared/mail"
	"github.com/portalaccess/portalaccess/shared/webhooks"
)

// Store is every port of every area: what a store must do to serve them
// all. The DynamoDB store and the in-memory store both are one.
type Store interface {
	access.Store
	portals.Store
	members.Store
	customers.Store
	invitations.Store
	sweep.Store
	delivery.Store
	delivery.FeedbackStore
	identitysync.Store
	profile.Store
	roles.Store
	offboarding.Store
	subscriptions.Store
	imports.Store
}

// Env is what a function has: its configuration, the store, and the clients
// it links (the others are nil), and the clock.
type Env struct {
	Config   config.Config
	Store    Store
	Identity identity.Provider
	// Clients are the user pool's app clients, for the functions that make
	// portal setups' clients.
	Clients identity.Clients
	// MFA is the operators' second factor in the sign-in system; nil takes
	// Identity's when it has one.
	MFA  identity.MFA
	Mail mail.Sender
	// Queue is the imports' queue, for the function that accepts imports
	// (and the sweep, which queues what a crash left unqueued).
	Queue imports.Queue
	Log   *slog.Logger
	// Now is the business clock (tests move it); nil is the real one.
	Now func() time.Time
}

func (e Env) now() func() time.Time {
	if e.Now != nil {
		return func() time.Time { return e.Now().UTC() }
	}
	return func() time.Time { return time.Now().UTC() }
}

// Access resolves callers.
func (e Env) Access() *access.Resolver {
	return &access.Resolver{Store: e.Store, AppClientID: e.Config.AppClientID, MFAOff: e.Config.OperatorMFAOff, Now: e.now()}
}

// Mailer makes and sends invitations.
func (e Env) Mailer() *delivery.Mailer {
	return &delivery.Mailer{Store: e.Store, Sender: e.Mail, Log: e.Log, Now: e.now(), Config: delivery.Config{
		PortalURL: e.Config.PortalURL, TTL: e.Config.InvitationTTL, Reminder: e.Config.InvitationReminder,
	}}
}

// Syncer brings identities in line; nil without the sign-in client.
func (e Env) Syncer() *identitysync.Syncer {
	if e.Identity == nil {
		return nil
	}
	return &identitysync.Syncer{Store: e.Store, Identities: e.Identity, Log: e.Log, Now: e.now()}
}

// Members runs the life cycle of portal users and operators.
func (e Env) Members() *members.Service {
	return &members.Service{Store: e.Store, Mailer: e.Mailer(), Sync: e.Syncer(), Log: e.Log, Now: e.now(),
		Config: members.Config{ReinviteCooldown: e.Config.ReinviteCooldown, InviteRateLimit: e.Config.InviteRateLimit,
			AccessReminder: e.Config.AccessReminder, TechnicianAccess: e.Config.TechnicianAccess}}
}

// Customers serves customers and portal setups.
func (e Env) Customers() *customers.Service { return &customers.Service{Store: e.Store, Now: e.now()} }

// Portals serves portal setups and portals' questions.
func (e Env) Portals() *portals.Service {
	return &portals.Service{Store: e.Store, Clients: e.Clients, Log: e.Log, Now: e.now(), Config: portals.Config{
		Issuer: e.Config.Issuer, ManagedLoginURL: e.Config.ManagedLoginURL, PasswordAuth: e.Config.PortalPasswordAuth,
	}}
}

// Profile serves customers' organization profiles.
func (e Env) Profile() *profile.Service { return &profile.Service{Store: e.Store, Now: e.now()} }

// Roles serves customers' role catalogues.
func (e Env) Roles() *roles.Service { return &roles.Service{Store: e.Store, Now: e.now()} }

// Offboarding accepts and runs customers' offboardings.
func (e Env) Offboarding() *offboarding.Service {
	return &offboarding.Service{Store: e.Store, Sync: e.Syncer(), Portals: e.Portals(), Log: e.Log, Now: e.now()}
}

// Imports accepts imports, reads them, and works their chunks (the
// consumer): each consumer paces its e-mails at its share of the send rate.
func (e Env) Imports() *imports.Service {
	share := float64(e.Config.ImportSendRate) / float64(max(1, e.Config.ImportConcurrency))
	return &imports.Service{Store: e.Store, Members: e.Members(), Access: e.Access(), Queue: e.Queue,
		Pacer: imports.NewPacer(share), Log: e.Log, Now: e.now()}
}

// Subscriptions serves webhook subscriptions; their secrets are sealed
// with WEBHOOK_KEY (none: creating and rotating refuse).
func (e Env) Subscriptions() *subscriptions.Service {
	return &subscriptions.Service{Store: e.Store, Sealer: e.sealer(), Local: e.Config.WebhookLocal, Now: e.now()}
}

func (e Env) sealer() *webhooks.Sealer {
	if len(e.Config.WebhookKey) == 0 {
		return nil
	}
	s, err := webhooks.NewSealer(e.Config.WebhookKey)
	if err != nil {
		return nil
	}
	return s
}

// Deliverer fans events out to subscriptions and delivers them.
func (e Env) Deliverer() *subscriptions.Deliverer {
	cfg := subscriptions.DefaultDelivery
	cfg.RetryBase, cfg.RetryMax, cfg.PauseAfter = e.Config.WebhookRetryBase, e.Config.WebhookRetryMax, e.Config.WebhookPauseAfter
	cfg.PauseSpan, cfg.Hold = e.Config.WebhookPauseSpan, e.Config.WebhookHold
	return &subscriptions.Deliverer{Store: e.Store, Sealer: e.sealer(), Client: subscriptions.NewClient(e.Config.WebhookLocal),
		Config: cfg, Log: e.Log, Now: e.now()}
}

// Invitations serves invitees.
func (e Env) Invitations() *invitations.Service {
	return &invitations.Service{Store: e.Store, Identity: e.Identity, Sync: e.Syncer(), Log: e.Log, Now: e.now(),
		PublicRateLimit: e.Config.PublicRateLimit}
}

// Feedback records what the mail service reports of invitation e-mails.
func (e Env) Feedback() *delivery.Feedback {
	return &delivery.Feedback{Store: e.Store, Log: e.Log, Now: e.now()}
}

func (e Env) mfa() identity.MFA {
	if e.MFA != nil {
		return e.MFA
	}
	m, _ := e.Identity.(identity.MFA)
	return m
}

// SecondFactor runs the operators' second factor; nil without the sign-in client.
func (e Env) SecondFactor() *mfa.Service {
	m := e.mfa()
	if m == nil {
		return nil
	}
	return &mfa.Service{Store: e.Store, MFA: m, Log: e.Log, Now: e.now()}
}

// Sweeper runs the scheduled work.
func (e Env) Sweeper() *sweep.Sweeper {
	sw := &sweep.Sweeper{Store: e.Store, Mailer: e.Mailer(), Sync: e.Syncer(), Identities: e.Identity, Log: e.Log, Now: e.now()}
	if !e.Config.OperatorMFAOff {
		sw.MFA = e.SecondFactor()
	}
	if e.Clients != nil {
		sw.Portals = e.Portals()
		sw.Jobs = e.Offboarding()
	}
	if e.Queue != nil {
		sw.Imports = e.Imports()
	}
	return sw
}
