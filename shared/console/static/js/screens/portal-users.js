// The users of one portal setup (#/c/<id>/portals/<portalId>/users): who
// of the customer's users is linked to it, by e-mail, paged. Each leads to
// the user in the customer's list of users, where they are managed.
import { t } from '../i18n.js';
import { h, replace } from '../dom.js';
import * as api from '../api.js';
import { customerName, portalsOf } from '../data.js';
import { pager, table, cell, errorNotice } from '../ui.js';

const enc = encodeURIComponent;

export async function render({ cid, pid }) {
  const [name, items] = await Promise.all([customerName(cid), portalsOf(cid)]);
  const portal = items.find((p) => p.id === pid);
  if (!portal) throw new api.Problem(404, { code: 'not_found' });
  const results = h('div', { class: 'results', 'aria-live': 'polite' });
  const page = pager((cursor, current) => loadPage(cid, portal, results, cursor, current));
  await page.reset();
  return h('section', {},
    h('p', { class: 'back' }, h('a', { href: `#/c/${enc(cid)}/portals`, id: 'back-to-portals' }, t('portalUsers.back'))),
    h('h1', { tabindex: '-1' }, t('portalUsers.heading', { portal: portal.name })),
    h('p', { class: 'muted' }, t('portalUsers.intro', { customer: name, url: portal.url })),
    results, page.nav);
}

// loadPage draws the page at cursor of the users linked to portal into
// results, if it is still the current one (see pager).
async function loadPage(cid, portal, results, cursor, current) {
  const cols = [t('col.email'), t('col.name'), t('col.status'), t('col.admin'), t('col.roles')];
  const q = new URLSearchParams({ limit: '50' });
  if (cursor) q.set('cursor', cursor);
  let data;
  try {
    ({ data } = await api.get(`/v1/customers/${enc(cid)}/portals/${enc(portal.id)}/users?${q}`));
  } catch (p) {
    if (current()) errorNotice(p);
    return undefined;
  }
  if (!current()) return undefined;
  const find = (email) => `#/c/${enc(cid)}/users?${new URLSearchParams({ search: email })}`;
  replace(results, table(cols, data.items.map((u) => h('tr', { dataset: { id: u.id, email: u.email, status: u.status } },
    cell(cols[0], h('a', { class: 'email', href: find(u.email), 'aria-label': t('portalUsers.open', { email: u.email }) }, u.email)),
    cell(cols[1], u.name),
    cell(cols[2], h('span', { class: `badge ${u.status}` }, t(`status.${u.status}`))),
    cell(cols[3], u.admin ? t('yes') : t('no')),
    cell(cols[4], u.roles.length ? u.roles.join(', ') : t('none')))),
  { empty: t('portalUsers.empty'), caption: t('portalUsers.heading', { portal: portal.name }), id: 'portal-users' }));
  return data.nextCursor;
}
