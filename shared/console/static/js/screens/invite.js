// Inviting users to a customer: one person, or a pasted list of addresses
// (the bulk invitation), each with the same rights; the invitation sent
// now, or not yet ("add now, invite later": sent from the list later).
import { t } from '../i18n.js';
import { h, replace, announce, field, uid } from '../dom.js';
import * as api from '../api.js';
import { formDialog, idempotency } from '../ui.js';
import { inviteeFields, inviteeEmail, invite, userRightsFields, userRights } from './person.js';

// inviteDialog invites users to base, the users' path, with a choice of
// the customer's portals and roles (catalogue); page is the list's
// (people.js), loaded again after. A list's outcomes are shown in the
// dialog, which then only closes.
export function inviteDialog({ base, portals, catalogue, page }) {
  const modeName = uid('mode');
  const oneRadio = h('input', { type: 'radio', name: 'mode', value: 'one', id: `${modeName}-one`, checked: true });
  const manyRadio = h('input', { type: 'radio', name: 'mode', value: 'many', id: `${modeName}-many` });
  const one = h('div', { class: 'group', id: 'add-one' }, inviteeFields());
  const many = h('div', { class: 'group', id: 'add-many', hidden: true },
    field({ label: t('add.list'), name: 'list', type: 'textarea', hint: t('add.listHint'), attrs: { rows: '6', spellcheck: 'false' } }));
  const results = h('div', { class: 'bulk-results', id: 'bulk-results', 'aria-live': 'polite' });
  const form = h('form', { id: 'add-form', novalidate: true },
    h('fieldset', { class: 'choice' }, h('legend', {}, t('add.mode')),
      h('label', { for: oneRadio.id }, oneRadio, ' ', t('add.one')),
      h('label', { for: manyRadio.id }, manyRadio, ' ', t('add.many'))),
    one, many,
    userRightsFields(portals, catalogue),
    sendNowField(),
    results);
  let dialogRef = null;
  const sync = () => {
    const isMany = manyRadio.checked;
    one.hidden = isMany;
    many.hidden = !isMany;
    const now = form.elements.sendInvitation.checked;
    const key = now ? (isMany ? 'add.submitMany' : 'add.submit') : (isMany ? 'later.submitMany' : 'later.submit');
    if (dialogRef && !finished) dialogRef.querySelector('[data-role=submit]').textContent = t(key);
  };
  oneRadio.addEventListener('change', sync);
  manyRadio.addEventListener('change', sync);
  form.elements.sendInvitation.addEventListener('change', sync);
  let finished = false;
  dialogRef = formDialog({
    heading: t('add.heading'), form, submitText: t('add.submit'), aliases: { emails: 'list' },
    async submit(buttons) {
      if (finished) return true;
      if (!manyRadio.checked) return inviteOne(base, form, page);
      finished = await inviteMany(base, form, results, buttons, page);
      return false;
    },
  });
  sync();
}

// sendNowField is the choice to send the invitation now (ticked) or to
// add the people now and invite them later.
function sendNowField() {
  const id = uid('send-now');
  return h('div', { class: 'field check send-now', dataset: { field: 'sendInvitation' } },
    h('input', { type: 'checkbox', name: 'sendInvitation', id, checked: true, 'aria-describedby': `${id}-hint` }),
    h('label', { for: id }, t('later.send')),
    h('p', { class: 'hint', id: `${id}-hint` }, t('later.hint')),
    h('p', { class: 'field-error', hidden: true }));
}

// common is what every invitation of the form gives: the rights, and
// sendInvitation false when it is not sent now.
function common(form) {
  const body = userRights(form);
  if (!form.elements.sendInvitation.checked) body.sendInvitation = false;
  return body;
}

// inviteOne invites the one person of the form; true when done.
async function inviteOne(base, form, page) {
  const email = inviteeEmail(form);
  if (!email) return false;
  return invite(base, { email, ...common(form) }, form, page);
}

// inviteMany invites the pasted list and shows the outcomes in results;
// the dialog's Save becomes Close. true when the list was sent.
async function inviteMany(base, form, results, { save, cancel }, page) {
  const emails = parseEmails(form.elements.list.value);
  if (!emails.length) { api.showProblem(form, new api.Problem(400, { errors: [{ field: 'emails', code: 'required' }] }), { emails: 'list' }); return false; }
  const rights = common(form);
  const outcomes = await bulkInvite(`${base}/bulk`, emails, rights);
  showBulkResults(results, outcomes, rights.sendInvitation !== false);
  save.textContent = t('close');
  cancel.hidden = true;
  page.reload();
  save.focus();
  return true;
}

// parseEmails splits a pasted list on new lines, commas, semicolons and
// spaces, and drops repeats (ignoring case).
export function parseEmails(s) {
  const seen = new Set();
  const out = [];
  for (const raw of s.split(/[\s,;]+/)) {
    const e = raw.replace(/^<|>$/g, '').trim();
    if (!e || seen.has(e.toLowerCase())) continue;
    seen.add(e.toLowerCase());
    out.push(e);
  }
  return out;
}

// bulkInvite posts emails to path in chunks of 100, with the same rights
// (common), and returns each address's outcome. A chunk that fails counts
// as failed for each of its addresses, unless the form must say why.
async function bulkInvite(path, emails, common) {
  const outcomes = [];
  for (let i = 0; i < emails.length; i += 100) {
    const chunk = emails.slice(i, i + 100);
    try {
      const { data } = await api.post(path, { emails: chunk, ...common }, { headers: idempotency() });
      outcomes.push(...data.results.map((r) => ({ email: r.email, outcome: r.outcome })));
    } catch (p) {
      if (p.status === 401) throw p;
      if (p.status === 400 && p.errors.some((e) => !String(e.field).startsWith('emails'))) throw p; // roles, portals: for the form
      outcomes.push(...chunk.map((email) => ({ email, outcome: 'failed', reason: api.describe(p) })));
    }
  }
  return outcomes;
}

// showBulkResults shows each address's outcome; sent says whether the
// invitations went out now (else the people were added for later).
function showBulkResults(box, outcomes, sent) {
  const n = (o) => outcomes.filter((r) => r.outcome === o).length;
  const words = (r) => {
    if (r.outcome === 'failed') return t('outcome.failed', { reason: r.reason });
    if (r.outcome === 'invited' && !sent) return t('outcome.added');
    return t(`outcome.${r.outcome}`);
  };
  replace(box,
    h('h3', {}, t('add.results')),
    h('p', { class: 'summary' }, t(sent ? 'add.summary' : 'later.summary', { invited: n('invited'), already: n('already_member'), invalid: n('invalid') + n('failed') })),
    h('ul', { class: 'outcomes' }, outcomes.map((r) => h('li', { class: `outcome ${r.outcome}`, dataset: { email: r.email, outcome: r.outcome } },
      h('span', { class: 'email' }, r.email), ' — ', words(r)))));
  announce(box.querySelector('.summary').textContent);
}
