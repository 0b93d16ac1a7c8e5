// The list of people that a customer's users (users.js) and the operators
// (operators.js) share: the toolbar (category picker and search, kept in
// the URL's query), the table with each person's buttons, the pager, and
// the row actions (edit, enable, disable, re-invite, delete). What differs
// between the two comes in kind:
//   base        the list's API path; a person is at base/<id>
//   heading     the h1, and the table's caption
//   empty       what the table says when no one matches
//   addText     the add button's text; add(page) opens its dialog
//   columns     the headings of the columns between Name and Invitation
//   cells(p, statusCell)  person p's cells in those columns (statusCell is
//               the status badge's, which each kind places)
//   editFields(p), editChanges(form, p)  the edit dialog's (person.js)
//   refused(e)  optional: says why an action was refused (else errorNotice)
//   actions     optional: the path that acts on a selection (selection.js);
//               with it, each row has a checkbox and the list an action bar
// The category picker shows how many are in each category (the list
// answer's counts, when it has them).
import '../i18n-roles.js';
import { t, formatTime } from '../i18n.js';
import { h, replace, notice, confirmAction, uid, restoreFocus } from '../dom.js';
import * as api from '../api.js';
import { pager, table, cell, errorNotice } from '../ui.js';
import { editDialog, isStale } from './person.js';
import { exportButton } from '../export.js';
import { selection } from '../selection.js';

const CATEGORIES = ['', 'enabled', 'disabled', 'unconfirmed'];
const enc = encodeURIComponent;

// renderPeople is the screen of kind's people, filtered as query says.
export async function renderPeople(kind, query) {
  const status = query.get('status') || '';
  const filter = { status: CATEGORIES.includes(status) ? status : '', search: query.get('search') || '' };
  const filters = toolbar(filter, () => { remember(filter); page.reset(); });
  const results = h('div', { class: 'results' });
  const count = h('p', { class: 'muted visually-hidden', 'aria-live': 'polite' });
  const counts = h('p', { class: 'muted category-counts', id: 'category-counts', hidden: true });
  const page = pager(async (cursor, current) => {
    const res = await fetchPage(kind.base, filter, cursor, results, current);
    if (!res || !current()) return undefined;
    const { data } = res;
    if (sel) sel.shown(data.items);
    replace(results, peopleTable(kind, data.items, page, sel));
    count.textContent = t('users.count', { n: data.items.length });
    showCounts(filters, counts, data.counts);
    return data.nextCursor;
  });
  const sel = kind.actions ? selection({ path: kind.actions, reload: () => page.reload() }) : null;
  await page.reset();
  const addButton = h('button', { type: 'button', class: 'primary', id: 'add-users', onclick: () => kind.add(page) }, kind.addText);
  return h('section', {},
    h('div', { class: 'title-row' }, h('h1', { tabindex: '-1' }, kind.heading),
      h('div', { class: 'toolbar-actions' }, exportButton(kind.base, filter, kind.exportName || 'users'), addButton)),
    filters, counts, sel ? [sel.outcomes, sel.allToggle, sel.bar] : null, count, results, page.nav);
}

// showCounts puts how many people each category has on the picker's
// options and beside it; with no counts (a scope still being counted),
// the options say none.
function showCounts(form, line, counts) {
  for (const o of form.querySelectorAll('#category option')) {
    const name = t(`cat.${o.value || 'all'}`);
    const n = !counts ? null : o.value ? counts[o.value] : counts.enabled + counts.disabled + counts.unconfirmed;
    o.textContent = n === null || n === undefined ? name : t('counts.option', { category: name, n });
  }
  line.hidden = !counts;
  line.textContent = counts ? t('counts.summary', counts) : '';
}

// ---- the toolbar --------------------------------------------------------------------

// toolbar is the category picker and the search form; they change filter
// ({status, search}), then call onChange.
function toolbar(filter, onChange) {
  const hintId = uid('search-hint');
  const category = h('select', { id: 'category', name: 'status' },
    CATEGORIES.map((c) => h('option', { value: c, selected: c === filter.status }, t(`cat.${c || 'all'}`))));
  const searchInput = h('input', { id: 'search', name: 'search', type: 'search', value: filter.search, autocomplete: 'off', 'aria-describedby': hintId, spellcheck: 'false' });
  category.addEventListener('change', () => { filter.status = category.value; onChange(); });
  const form = h('form', { role: 'search', class: 'filters', id: 'filters' },
    h('div', { class: 'field inline' }, h('label', { for: 'category' }, t('users.category')), category),
    h('div', { class: 'field inline grow' },
      h('label', { for: 'search' }, t('users.search')),
      h('div', { class: 'search-row' }, searchInput, h('button', { type: 'submit', class: 'secondary' }, t('users.searchButton'))),
      h('p', { class: 'hint', id: hintId }, t('users.searchHint'))));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    filter.search = searchInput.value.trim();
    onChange();
  });
  return form;
}

// remember puts filter in the URL's query, without a new history entry.
function remember(filter) {
  const q = new URLSearchParams();
  if (filter.status) q.set('status', filter.status);
  if (filter.search) q.set('search', filter.search);
  const path = location.hash.replace(/^#/, '').split('?')[0];
  history.replaceState(null, '', `#${path}${q.toString() ? `?${q}` : ''}`);
}

// ---- the list -----------------------------------------------------------------------

// fetchPage gets the page at cursor of the people at base that filter
// selects; null (and a notice) when it could not. results is busy until
// the current page (see pager) is in: an older one finishing first does
// not end it.
async function fetchPage(base, filter, cursor, results, current) {
  const q = new URLSearchParams({ limit: '50' });
  if (filter.status) q.set('status', filter.status);
  if (filter.search) q.set('search', filter.search);
  if (cursor) q.set('cursor', cursor);
  results.setAttribute('aria-busy', 'true');
  try {
    return await api.get(`${base}?${q}`);
  } catch (p) {
    if (current()) errorNotice(p);
    return null;
  } finally {
    if (current()) results.removeAttribute('aria-busy');
  }
}

// peopleTable is the table of people; with a selection (sel), a column of
// checkboxes first.
function peopleTable(kind, people, page, sel) {
  const cols = [t('col.email'), t('col.name'), ...kind.columns, t('col.invitation'), t('col.actions')];
  if (sel) cols.unshift(sel.headerCell());
  return table(cols, people.map((p) => personRow(kind, p, page, sel)), { empty: kind.empty, id: 'people', caption: kind.heading });
}

function personRow(kind, p, page, sel) {
  const statusCell = cell(t('col.status'), h('span', { class: `badge ${p.status}` }, t(`status.${p.status}`)));
  return h('tr', { dataset: { id: p.id, email: p.email, status: p.status } },
    sel ? sel.rowCell(p) : null,
    cell(t('col.email'), h('span', { class: 'email' }, p.email)),
    cell(t('col.name'), p.name),
    kind.cells(p, statusCell),
    cell(t('col.invitation'), invitation(p)),
    h('td', { class: 'actions', dataset: { label: t('col.actions') } }, h('div', { class: 'action-buttons' }, rowButtons(kind, p, page))));
}

// invitation says where an unconfirmed person's invitation stands.
function invitation(p) {
  const inv = p.invitation;
  if (!inv || p.status !== 'unconfirmed') return t('none');
  if (inv.state === 'not_sent') {
    return h('div', { class: 'invitation' },
      h('span', { class: 'badge inv-not_sent' }, t('inv.not_sent')), h('br'),
      h('span', { class: 'muted' }, t('inv.notSentHint')));
  }
  const when = inv.state === 'expired' ? t('inv.expiredAt', { time: formatTime(inv.expiresAt) }) : t('inv.expires', { time: formatTime(inv.expiresAt) });
  return h('div', { class: 'invitation' },
    h('span', { class: `badge inv-${inv.state}` }, t(`inv.${inv.state}`)), ' ',
    h('span', { class: 'when' }, when), h('br'),
    h('span', { class: `muted delivery-${inv.delivery}`, title: inv.deliveryReason || '' },
      `${t('inv.sent', { count: inv.sendCount })} · ${t(`inv.delivery.${inv.delivery}`)}`),
    inv.undeliverable ? h('p', { class: 'undeliverable', role: 'note' }, t('inv.undeliverable')) : '');
}

// ---- the row actions ----------------------------------------------------------------

// rowButtons are the actions person p's status allows.
// An invitation not sent yet is sent by the re-invite, as "Send invitation".
function rowButtons(kind, p, page) {
  const btn = (a, cls = 'secondary') => h('button', {
    type: 'button', class: `${cls} small`, dataset: { action: a }, 'aria-label': t('act.label', { action: t(`act.${words(p, a)}`), email: p.email }),
    onclick: () => (a === 'edit' ? editDialog(kind, page, p) : act(kind, page, p, a)),
  }, t(`act.${words(p, a)}`));
  const acts = [btn('edit')];
  if (p.status === 'disabled') acts.push(btn('enable'));
  if (p.status === 'enabled') acts.push(btn('disable'));
  if (p.status === 'unconfirmed' && !p.invitation?.undeliverable) acts.push(btn('reinvite'));
  acts.push(btn('delete', 'danger'));
  return acts;
}

// words is the name of action's texts for person p: a re-invite of an
// invitation not sent yet is its first send.
function words(p, action) {
  return action === 'reinvite' && p.invitation && p.invitation.state === 'not_sent' ? 'send' : action;
}

// act does action (enable, disable, reinvite, delete) to person p, once
// confirmed, then loads the page again.
async function act(kind, page, p, action) {
  if (!(await confirmAction(t(`confirm.${words(p, action)}`, { email: p.email })))) return;
  const path = `${kind.base}/${enc(p.id)}`;
  try {
    if (action === 'delete') await api.del(path);
    else await api.post(`${path}/${action}`);
  } catch (e) {
    (kind.refused || errorNotice)(e);
    if (isStale(e)) page.reload();
    return;
  }
  await page.reload();
  notice(t(`done.${words(p, action)}`, { email: p.email }));
  restoreFocus(p.id, action);
}
