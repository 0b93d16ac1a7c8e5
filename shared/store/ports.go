package store

import (
	"github.com/portalaccess/portalaccess/shared/app"
	"github.com/portalaccess/portalaccess/shared/app/access"
	"github.com/portalaccess/portalaccess/shared/app/customers"
	"github.com/portalaccess/portalaccess/shared/app/delivery"
	"github.com/portalaccess/portalaccess/shared/app/idem"
	"github.com/portalaccess/portalaccess/shared/app/identitysync"
	"github.com/portalaccess/portalaccess/shared/app/invitations"
	"github.com/portalaccess/portalaccess/shared/app/members"
	"github.com/portalaccess/portalaccess/shared/app/sweep"
)

// The DynamoDB store is every port the use cases declare, checked here when
// it is compiled.
var (
	_ access.Memberships = (*Store)(nil)
	_ members.Store      = (*Store)(nil)
	_ customers.Store    = (*Store)(nil)
	_ invitations.Store  = (*Store)(nil)
	_ sweep.Store        = (*Store)(nil)
	_ delivery.Store     = (*Store)(nil)
	_ identitysync.Store = (*Store)(nil)
	_ idem.Store         = (*Store)(nil)
	_ app.Store          = (*Store)(nil)
)
