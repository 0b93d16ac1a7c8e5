// A customer's users (#/c/<id>/users): listed as people.js lists people,
// with their rights (admin, roles of the customer's catalogue, portal
// setups); invited one by one or as a pasted list (invite.js), now or
// later; acted on a selection at a time (selection.js).
import { t } from '../i18n.js';
import { customerName, portalsOf, byName } from '../data.js';
import { cell, errorNotice } from '../ui.js';
import { renderPeople } from './people.js';
import { userRightsFields, userRightsChanges } from './person.js';
import { inviteDialog } from './invite.js';
import { catalogueOf } from '../role-picker.js';

const enc = encodeURIComponent;

export async function render({ cid, query }) {
  const base = `/v1/customers/${enc(cid)}/users`;
  const [name, portals] = await Promise.all([customerName(cid), portalsOf(cid)]);
  // The role catalogue, read again each time a dialog opens (a role may
  // have been added since the list was drawn).
  let catalogue = [];
  const freshCatalogue = async () => { catalogue = await catalogueOf(cid); return catalogue; };
  const portalNames = new Map(portals.map((p) => [p.id, p.name]));
  // A user's portal setups, by name, in the order of the customer's list.
  const portalNamesOf = (ids) => ids.map((id) => portalNames.get(id) || id).sort(byName).join(', ');
  const columns = [t('col.status'), t('col.admin'), t('col.roles'), t('col.portals')];
  return renderPeople({
    base,
    exportName: `users-${cid}`,
    heading: t('users.heading', { customer: name }),
    empty: t('users.empty'),
    addText: t('users.add'),
    columns,
    cells: (p, statusCell) => [
      statusCell,
      cell(columns[1], p.admin ? t('yes') : t('no')),
      cell(columns[2], p.roles.length ? p.roles.join(', ') : t('none')),
      cell(columns[3], p.portalIds.length ? portalNamesOf(p.portalIds) : t('none')),
    ],
    async add(page) {
      try { await freshCatalogue(); } catch (e) { errorNotice(e); return; }
      inviteDialog({ base, portals, catalogue, page });
    },
    editFields: async (p) => userRightsFields(portals, await freshCatalogue(), p),
    editChanges: (form, p) => userRightsChanges(form, p, catalogue),
    actions: `${base}/actions`,
  }, query);
}
