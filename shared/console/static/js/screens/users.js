// A customer's users (#/c/<id>/users): listed as people.js lists people,
// with their rights (admin, roles, portal setups); invited one by one or as
// a pasted list (invite.js).
import { t } from '../i18n.js';
import { customerName, portalsOf } from '../data.js';
import { cell } from '../ui.js';
import { renderPeople } from './people.js';
import { userRightsFields, userRightsChanges } from './person.js';
import { inviteDialog } from './invite.js';

const enc = encodeURIComponent;

export async function render({ cid, query }) {
  const base = `/v1/customers/${enc(cid)}/users`;
  const [name, portals] = await Promise.all([customerName(cid), portalsOf(cid)]);
  const portalNames = new Map(portals.map((p) => [p.id, p.name]));
  const columns = [t('col.status'), t('col.admin'), t('col.roles'), t('col.portals')];
  return renderPeople({
    base,
    heading: t('users.heading', { customer: name }),
    addText: t('users.add'),
    columns,
    cells: (p, statusCell) => [
      statusCell,
      cell(columns[1], p.admin ? t('yes') : t('no')),
      cell(columns[2], p.roles.length ? p.roles.join(', ') : t('none')),
      cell(columns[3], p.portalIds.length ? p.portalIds.map((id) => portalNames.get(id) || id).join(', ') : t('none')),
    ],
    add: (page) => inviteDialog({ base, portals, page }),
    editFields: (p) => userRightsFields(portals, p),
    editChanges: userRightsChanges,
  }, query);
}
