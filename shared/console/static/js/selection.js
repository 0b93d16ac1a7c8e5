// Acting on a selection of a customer's users (seed 002, "Select the
// needed users → Send invites"): a checkbox on each row of the list
// (people.js), "select all on this page", an action bar that appears with a
// selection (send invitations, enable, disable, delete), one confirmation
// naming how many users it touches, then one POST …/users/actions and each
// user's outcome (done, refused and why, not found), and the list loaded
// again. A selection is of the page shown: going to another page or
// another category leaves out who is no longer shown.
import './i18n-roles.js';
import { t, has } from './i18n.js';
import { h, replace, announce, notice, confirmAction, uid } from './dom.js';
import * as api from './api.js';
import { idempotency } from './ui.js';

const ACTIONS = ['reinvite', 'enable', 'disable', 'delete'];

// plural is key's text for n: key.one or key.other.
const plural = (key, n) => t(`${key}.${n === 1 ? 'one' : 'other'}`, { n });

// selection keeps who is selected and draws the checkboxes, the bar and
// the outcomes. path is the actions route; reload() loads the list's page
// again. Its parts:
//   bar, outcomes     the action bar and the outcomes panel, placed once
//   allToggle         "select all on this page", placed once
//   shown(people)     called with each page before it is drawn
//   headerCell()      the checkboxes' column head
//   rowCell(p)        person p's checkbox cell
export function selection({ path, reload }) {
  const selected = new Map(); // id → e-mail, in the order ticked
  let people = [];
  // "Select all on this page" stands above the table, labelled, so that it
  // is there on a phone too (where the table's head is not shown).
  const allBox = h('input', { type: 'checkbox', id: 'select-all' });
  const allToggle = h('div', { class: 'check select-all', id: 'select-all-line' }, allBox, h('label', { for: 'select-all' }, t('sel.all')));
  allBox.addEventListener('change', () => {
    for (const p of people) toggle(p, allBox.checked);
    for (const box of document.querySelectorAll('#people input[name=select]')) box.checked = allBox.checked;
    update();
  });
  const countText = h('p', { class: 'selection-count', id: 'selection-count', 'aria-live': 'polite' });
  const buttons = ACTIONS.map((a) => h('button', {
    type: 'button', class: `${a === 'delete' ? 'danger' : 'secondary'} small`, dataset: { bulk: a },
    onclick: () => run(a),
  }, t(`sel.${a}`)));
  const clearButton = h('button', { type: 'button', class: 'link', id: 'selection-clear', onclick: () => { clear(); allBox.focus(); } }, t('sel.clear'));
  const bar = h('div', { class: 'selection-bar', id: 'selection-bar', role: 'region', 'aria-label': t('sel.bar'), hidden: true },
    countText, h('div', { class: 'action-buttons' }, buttons), clearButton);
  // The outcomes are announced through the live region (announce) and the
  // focus goes to their heading.
  const outcomes = h('section', { class: 'panel selection-outcomes', id: 'selection-outcomes', hidden: true });

  // update shows the bar when someone is selected, with how many, and the
  // header's box ticked, unticked or in between.
  const update = () => {
    const n = selected.size;
    bar.hidden = n === 0;
    countText.textContent = n ? plural('sel.count', n) : '';
    const onPage = people.filter((p) => selected.has(p.id)).length;
    allBox.checked = onPage > 0 && onPage === people.length;
    allBox.indeterminate = onPage > 0 && onPage < people.length;
  };
  const clear = () => {
    selected.clear();
    for (const box of document.querySelectorAll('#people input[name=select]')) box.checked = false;
    update();
  };
  const toggle = (p, on) => {
    if (on) selected.set(p.id, p.email);
    else selected.delete(p.id);
  };

  // run does action to the selected users once confirmed, and shows each
  // one's outcome.
  async function run(action) {
    const ids = [...selected.keys()];
    if (!ids.length) return;
    const emails = new Map(selected);
    if (!(await confirmAction(t(`sel.confirm.${action}`, { users: plural('sel.users', ids.length) })))) return;
    for (const b of buttons) b.disabled = true;
    let data;
    try {
      ({ data } = await api.post(path, { action, userIds: ids }, { headers: idempotency() }));
    } catch (p) {
      for (const b of buttons) b.disabled = false;
      if (p && p.status === 401) return;
      notice(t('sel.failed', { reason: api.describe(p) }), 'error');
      return;
    }
    for (const b of buttons) b.disabled = false;
    selected.clear();
    showOutcomes(action, data.results, emails);
    outcomes.querySelector('h2').focus(); // the list below is drawn again meanwhile
    await reload();
    update();
  }

  function showOutcomes(action, results, emails) {
    const n = (o) => results.filter((r) => r.outcome === o).length;
    const headingId = uid('outcomes');
    const summary = t('sel.summary', { done: n('done'), refused: n('refused'), missing: n('not_found') });
    replace(outcomes,
      h('div', { class: 'title-row' },
        h('h2', { id: headingId, tabindex: '-1' }, t(`sel.heading.${action}`)),
        h('button', { type: 'button', class: 'link', id: 'outcomes-close', onclick: () => { outcomes.hidden = true; document.querySelector('main h1')?.focus(); } }, t('close'))),
      h('p', { class: 'summary' }, summary),
      h('ul', { class: 'outcomes' }, results.map((r) => h('li', { class: `outcome ${r.outcome}`, dataset: { id: r.userId, outcome: r.outcome, code: r.code || '' } },
        h('span', { class: 'email' }, emails.get(r.userId) || r.userId), ' — ', outcomeWords(action, r)))));
    outcomes.setAttribute('aria-labelledby', headingId);
    outcomes.hidden = false;
    announce(`${t(`sel.heading.${action}`)}. ${summary}`);
  }

  return {
    bar,
    outcomes,
    allToggle,
    shown(list) {
      people = list;
      // Who is no longer shown (another page, deleted, moved out of the
      // category) is no longer selected.
      const ids = new Set(list.map((p) => p.id));
      for (const id of [...selected.keys()]) if (!ids.has(id)) selected.delete(id);
      allToggle.hidden = !list.length;
      update();
    },
    headerCell() {
      return h('span', { class: 'visually-hidden' }, t('sel.column'));
    },
    rowCell(p) {
      const box = h('input', { type: 'checkbox', name: 'select', value: p.id, checked: selected.has(p.id), 'aria-label': t('sel.one', { email: p.email }) });
      box.addEventListener('change', () => { toggle(p, box.checked); update(); });
      return h('td', { class: 'select', dataset: { label: t('sel.column') } }, box);
    },
  };
}

// outcomeWords says one user's outcome of action: done, refused with the
// reason its code gives, or not found.
function outcomeWords(action, r) {
  if (r.outcome === 'done') return t(`sel.done.${action}`);
  if (r.outcome === 'not_found') return t('sel.not_found');
  const code = r.code || '';
  let reason;
  if (has(`sel.why.${code}.${action}`)) reason = t(`sel.why.${code}.${action}`);
  else if (has(`sel.why.${code}`)) reason = t(`sel.why.${code}`);
  else reason = t('sel.why.other', { code: code || '?' });
  return t('sel.refused', { reason });
}
