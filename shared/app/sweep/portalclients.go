package sweep

import (
	"context"
	"errors"

	"github.com/portalaccess/portalaccess/shared/domain"
	"github.com/portalaccess/portalaccess/shared/errs"
	"github.com/portalaccess/portalaccess/shared/state"
)

// The migration of the portals' app clients. A client made before its
// users' attributes were restricted (identity.PortalWriteAttributes) lets
// a signed-in portal user change their own e-mail in Cognito, the
// membership's key in the table; a setup's later change would set every
// setting again, but many setups never change. The migration walks every
// customer of the listing and sets every setting of each of its setups'
// clients again from the setup as it then is (Portals.Refresh). Where it
// stands is the marker MIGRATION#portal-clients, written after each step:
// a sweep that dies in a step does it again, which sets the same settings
// twice. A client the sign-in system cannot set for now (throttled, as a
// migration of many clients will be) stops the step at its customer, which
// the next run does again; one that cannot be set at all (gone from the
// pool) is logged and left: it blocks no other. Once done, each run reads
// the marker only.
const portalClientsMigration = "portal-clients"

// portalClientsStep is how many customers one step of it reads.
const portalClientsStep = 20

// MigratePortalClients does up to limit customers' worth of the migration
// of the portals' app clients; more says there is work left. Without a
// sign-in system (Portals nil) it waits.
func (s *Sweeper) MigratePortalClients(ctx context.Context, limit int) (more bool, err error) {
	if s.Portals == nil {
		return false, nil
	}
	st := s.Store
	mk, err := st.Migration(ctx, portalClientsMigration)
	if err != nil || mk.Done {
		return false, err
	}
	for ; limit > 0; limit-- {
		page, err := st.ListCustomers(ctx, 1, mk.Customers)
		if err != nil {
			return true, err
		}
		if len(page.Items) == 0 {
			mk = state.Migration{Done: true}
			break
		}
		cu := page.Items[0]
		_, ps, err := st.CustomerWithPortals(ctx, cu.ID)
		if err != nil && !errors.Is(err, state.ErrNotFound) {
			return true, err
		}
		if err := s.refreshClients(ctx, cu.ID, ps); err != nil {
			if perr := st.PutMigration(ctx, portalClientsMigration, mk); perr != nil {
				return true, errors.Join(err, perr)
			}
			return true, err
		}
		if page.Next == nil {
			mk = state.Migration{Done: true}
			break
		}
		mk.Customers = page.Next
	}
	if err := st.PutMigration(ctx, portalClientsMigration, mk); err != nil {
		return true, err
	}
	return !mk.Done, nil
}

// refreshClients sets each of a customer's setups' clients again: an error
// that may pass (errs.Transient, errs.Exhausted) stops it, any other is
// logged and the client left.
func (s *Sweeper) refreshClients(ctx context.Context, customerID string, ps []domain.Portal) error {
	for _, p := range ps {
		if p.ClientID == "" {
			continue // its client is still to be made, with every setting
		}
		err := s.Portals.Refresh(ctx, customerID, p.ID)
		switch k := errs.KindOf(err); {
		case err == nil:
		case k == errs.Transient || k == errs.Exhausted:
			return err
		default:
			s.Log.WarnContext(ctx, "portal's app client not brought in line by the migration", "customerId", customerID, "portal", p.ID, "error", err.Error())
		}
	}
	return nil
}
