package memstore

import "github.com/portalaccess/portalaccess/shared/app"

// The in-memory store is every port the use cases declare (app.Store is
// their union; shared/store/ports.go names them one by one).
var _ app.Store = (*Store)(nil)
