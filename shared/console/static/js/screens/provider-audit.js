// The provider's own audit trail (#/audit), for operator admins:
// operators invited, changed and removed; customers created, renamed and
// offboarded (the one event an offboarded customer leaves). Paged, newest
// first, as a customer's trail is.
import '../i18n-profile.js';
import { t, formatTime } from '../i18n.js';
import { h, replace } from '../dom.js';
import * as api from '../api.js';
import { pager, table, cell, errorNotice } from '../ui.js';
import { actionWords } from './audit.js';

export async function render() {
  const results = h('div', { class: 'results', 'aria-live': 'polite' });
  const page = pager((cursor) => loadPage(results, cursor));
  await page.reset();
  return h('section', {},
    h('h1', { tabindex: '-1' }, t('providerAudit.heading')),
    h('p', { class: 'muted' }, t('providerAudit.intro')),
    results, page.nav);
}

async function loadPage(results, cursor) {
  const cols = [t('col.time'), t('col.actor'), t('col.action'), t('col.about')];
  const q = new URLSearchParams({ limit: '50' });
  if (cursor) q.set('cursor', cursor);
  let data;
  try { ({ data } = await api.get(`/v1/audit-events?${q}`)); } catch (p) { errorNotice(p); return undefined; }
  replace(results, table(cols, data.items.map((e) => h('tr', { dataset: { id: e.id, action: e.action } },
    cell(cols[0], h('time', { datetime: e.at }, formatTime(e.at))),
    cell(cols[1], e.actor.kind === 'system' ? t('audit.system') : (e.actor.email || t('none'))),
    cell(cols[2], actionWords(e.action)),
    cell(cols[3], e.target.email || e.target.name || e.target.id))),
  { empty: t('providerAudit.empty'), caption: t('providerAudit.heading'), id: 'provider-audit' }));
  return data.nextCursor;
}
