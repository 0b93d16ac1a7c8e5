// The audit trail (#/c/<id>/audit): a customer's audit events, paged.
import { t, formatTime } from '../i18n.js';
import { h, replace } from '../dom.js';
import * as api from '../api.js';
import { customerName } from '../data.js';
import { pager, table, cell, errorNotice } from '../ui.js';

const enc = encodeURIComponent;

export async function render({ cid }) {
  const name = await customerName(cid);
  const results = h('div', { class: 'results', 'aria-live': 'polite' });
  const page = pager((cursor) => loadPage(cid, results, cursor));
  await page.reset();
  return h('section', {}, h('h1', { tabindex: '-1' }, t('audit.heading', { customer: name })), results, page.nav);
}

// loadPage draws the page of customer cid's events at cursor into results
// (see pager).
async function loadPage(cid, results, cursor) {
  const cols = [t('col.time'), t('col.actor'), t('col.action'), t('col.target')];
  const q = new URLSearchParams({ limit: '50' });
  if (cursor) q.set('cursor', cursor);
  let data;
  try { ({ data } = await api.get(`/v1/customers/${enc(cid)}/audit-events?${q}`)); } catch (p) { errorNotice(p); return undefined; }
  replace(results, table(cols, data.items.map((e) => h('tr', { dataset: { id: e.id, action: e.action } },
    cell(cols[0], h('time', { datetime: e.at }, formatTime(e.at))),
    cell(cols[1], e.actor.kind === 'system' ? t('audit.system') : (e.actor.email || t('none'))),
    cell(cols[2], actionWords(e.action)),
    cell(cols[3], e.target.email || t('none')))),
  { empty: t('audit.empty'), caption: t('nav.audit'), id: 'audit' }));
  return data.nextCursor;
}

// actionWords says an event's action in words: its own text, else its
// verb's (user.disable → disable), else the action itself; an operator's
// action says so.
function actionWords(action) {
  const [kind, ...rest] = String(action).split('.');
  const verb = rest.join('.');
  let words;
  if (t(`action.${action}`) !== `action.${action}`) words = t(`action.${action}`);
  else if (t(`action.${verb}`) !== `action.${verb}`) words = t(`action.${verb}`);
  else words = action;
  return kind === 'operator' ? t('kind.operator', { what: words }) : words;
}
