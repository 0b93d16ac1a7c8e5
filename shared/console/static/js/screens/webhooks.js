// A customer's webhook subscriptions (#/c/<id>/webhooks) and one's
// delivery log (#/c/<id>/webhooks/<webhookId>), issue 16. Operator admins
// and the customer's portal admins add endpoints with the event types they
// want, change, pause and resume them, renew their secret and delete them;
// a secret is shown once, when it is made (add, new secret), in a dialog
// of its own, and never again. The API pauses an endpoint that keeps
// failing; the list says so.
import '../i18n-webhooks.js';
import { t, has, formatTime } from '../i18n.js';
import { h, replace, field, notice, announce, uid, openDialog, confirmAction, setFieldError, setFormError } from '../dom.js';
import * as api from '../api.js';
import { customerName } from '../data.js';
import { table, cell, formDialog, idempotency, errorNotice, pager, staleReload as uiStaleReload, deleteConfirmed } from '../ui.js';
import { actionWords } from './audit.js';

const enc = encodeURIComponent;

// EVENT_TYPES are the event types of the events' schema
// (shared/events/schema/v1.json), in its order: what a subscription may
// name (a test holds them to the API's list).
export const EVENT_TYPES = [
  'customer.created', 'customer.updated', 'customer.offboarded',
  'address.created', 'address.updated', 'address.deleted',
  'service_agreement.created', 'service_agreement.updated', 'service_agreement.deleted',
  'portal.created', 'portal.updated', 'portal.deleted', 'portal.registered',
  'role.created', 'role.updated', 'role.deleted',
  'user.invited', 'user.reinvited', 'user.reminder_sent', 'user.invitation_accepted', 'user.invitation_expired',
  'user.updated', 'user.enabled', 'user.disabled', 'user.deleted', 'user.access_reminder_sent', 'user.access_expired',
  'operator.invited', 'operator.reinvited', 'operator.reminder_sent', 'operator.invitation_accepted', 'operator.invitation_expired',
  'operator.updated', 'operator.enabled', 'operator.disabled', 'operator.deleted',
  'operator.access_reminder_sent', 'operator.access_expired',
  'operator.mfa_enrolled', 'operator.mfa_reset', 'operator.mfa_lapsed',
  'subscription.created', 'subscription.updated', 'subscription.deleted', 'subscription.secret_rotated', 'subscription.paused',
];

// groups are the event types' families, in the schema's order.
const groups = () => [...new Set(EVENT_TYPES.map((e) => e.split('.')[0]))];

// typeWords says an event type in words, without its family (the group
// or the code beside it names that).
function typeWords(type) {
  const [, ...rest] = type.split('.');
  const verb = rest.join('.');
  if (has(`action.${type}`)) return t(`action.${type}`);
  if (has(`action.${verb}`)) return t(`action.${verb}`);
  return actionWords(type);
}

const hooksOf = (cid) => `/v1/customers/${enc(cid)}/webhooks`;
const ifMatch = (w) => ({ 'If-Match': `"${w.version}"` });

// status is what a subscription's row says it is: active, paused (by a
// person) or failing (paused by the system, its deliveries kept failing).
function status(w) {
  if (!w.paused) return 'active';
  return w.pausedReason ? 'failing' : 'paused';
}

// ---- the list -----------------------------------------------------------------

export async function render({ cid, redraw }) {
  const base = hooksOf(cid);
  const [name, res] = await Promise.all([customerName(cid), api.get(base)]);
  const items = res.data.items;
  const cols = [t('wh.url'), t('wh.events'), t('wh.status'), t('wh.description'), t('col.actions')];
  const rows = items.map((w) => h('tr', { dataset: { id: w.id, url: w.url, status: status(w) } },
    cell(cols[0], h('span', { class: 'wh-url' }, w.url)),
    cell(cols[1], w.eventTypes.length
      ? h('ul', { class: 'wh-types' }, w.eventTypes.map((e) => h('li', {}, h('code', {}, e))))
      : h('span', { class: 'wh-all' }, t('wh.allEvents'))),
    cell(cols[2], statusCell(w)),
    cell(cols[3], w.description || t('none')),
    cell(cols[4], h('div', { class: 'action-buttons' },
      h('button', { type: 'button', class: 'secondary small', dataset: { action: 'edit' }, 'aria-label': t('wh.editLabel', { url: w.url }),
        onclick: () => webhookDialog(base, w, redraw) }, t('wh.edit')),
      h('button', { type: 'button', class: 'secondary small', dataset: { action: 'pause' }, 'aria-label': t(w.paused ? 'wh.resumeLabel' : 'wh.pauseLabel', { url: w.url }),
        onclick: () => pauseOrResume(base, w, redraw) }, t(w.paused ? 'wh.resume' : 'wh.pause')),
      h('a', { class: 'button secondary small', href: `#/c/${enc(cid)}/webhooks/${enc(w.id)}`, dataset: { action: 'deliveries' },
        'aria-label': t('wh.deliveriesLabel', { url: w.url }) }, t('wh.deliveries')),
      h('button', { type: 'button', class: 'secondary small', dataset: { action: 'rotate' }, 'aria-label': t('wh.rotateLabel', { url: w.url }),
        onclick: () => rotate(base, w, redraw) }, t('wh.rotate')),
      h('button', { type: 'button', class: 'danger small', dataset: { action: 'delete' }, 'aria-label': t('wh.deleteLabel', { url: w.url }),
        onclick: () => remove(base, w, redraw) }, t('wh.delete'))))));
  return h('section', { class: 'webhooks' },
    h('div', { class: 'title-row' }, h('h1', { tabindex: '-1' }, t('wh.heading', { customer: name })),
      h('button', { type: 'button', class: 'primary', id: 'add-webhook', onclick: () => webhookDialog(base, null, redraw) }, t('wh.add'))),
    h('p', { class: 'intro' }, t('wh.intro')),
    table(cols, rows, { empty: t('wh.empty'), caption: t('nav.webhooks'), id: 'webhooks' }),
    items.length ? h('p', { class: 'muted', id: 'webhooks-count' }, t('wh.howMany', { n: items.length })) : null);
}

// statusCell is the status badge and, under it, why it is paused, how
// many deliveries failed in a row, and until when a rotated-out secret
// still signs.
function statusCell(w) {
  const s = status(w);
  const since = formatTime(w.failingSince);
  const label = { active: 'wh.active', paused: 'wh.paused', failing: 'wh.pausedFailing' }[s];
  let note = null;
  if (s === 'failing') note = t('wh.failingNote', { n: w.failures, since });
  else if (s === 'paused') note = t('wh.pausedNote');
  else if (w.failures > 0) note = t(w.failures === 1 ? 'wh.failuresNoteOne' : 'wh.failuresNote', { n: w.failures, since });
  return h('div', { class: 'wh-status' },
    h('span', { class: `badge wh-${s}` }, t(label)),
    note ? h('p', { class: 'wh-note' }, note) : null,
    w.previousSecretUntil ? h('p', { class: 'wh-note muted' }, t('wh.previousNote', { until: formatTime(w.previousSecretUntil) })) : null);
}

// typePicker is the fieldset of event types, those of chosen ticked;
// chosen empty is All events (and the types are not shown).
function typePicker(chosen) {
  const hintId = uid('types-hint');
  const errId = uid('types-error');
  const allId = uid('types-all');
  const all = h('input', { type: 'checkbox', name: 'allEvents', id: allId, checked: chosen.length === 0 });
  const list = h('div', { class: 'wh-choices', id: 'type-choices', hidden: chosen.length === 0 },
    groups().map((g) => h('fieldset', { class: 'wh-group' }, h('legend', {}, t(`whgroup.${g}`)),
      EVENT_TYPES.filter((e) => e.startsWith(`${g}.`)).map((e) => {
        const id = uid('type');
        return h('div', { class: 'check' },
          h('input', { type: 'checkbox', name: 'eventTypes', value: e, id, checked: chosen.includes(e) }),
          h('label', { for: id, title: typeWords(e) }, h('code', {}, e)));
      }))));
  all.addEventListener('change', () => { list.hidden = all.checked; });
  return h('fieldset', { class: 'field wh-types-field', id: 'type-picker', dataset: { field: 'eventTypes' }, 'aria-describedby': `${hintId} ${errId}` },
    h('legend', {}, t('wh.events')),
    h('p', { class: 'hint', id: hintId }, t('wh.eventsHint')),
    h('div', { class: 'check all-events' }, all, h('label', { for: allId }, t('wh.allEvents'))),
    list,
    h('p', { class: 'field-error', id: errId, hidden: true }));
}

// chosenTypes is what the picker says, as the API takes it: [] for all
// events, else the types ticked, sorted.
function chosenTypes(form) {
  if (form.elements.allEvents.checked) return [];
  return [...form.querySelectorAll('input[name=eventTypes]:checked')].map((i) => i.value).sort();
}

// webhookDialog adds a webhook (w null), then shows its secret once, or
// changes one's URL, event types and description, on its version.
function webhookDialog(base, w, redraw) {
  const form = h('form', { id: 'webhook-form', novalidate: true },
    field({ label: t('wh.url'), name: 'url', type: 'url', value: w ? w.url : '', hint: t('wh.urlHint'),
      attrs: { required: true, maxlength: '2000', autocomplete: 'off', spellcheck: 'false', placeholder: 'https://' } }),
    typePicker(w ? w.eventTypes : []),
    field({ label: `${t('wh.description')} ${t('optional')}`, name: 'description', type: 'textarea', hint: t('wh.descriptionHint'), attrs: { rows: '2', maxlength: '200' } }));
  form.elements.description.value = w ? w.description || '' : '';
  let made = null;
  const dialog = formDialog({
    heading: w ? t('wh.editHeading', { url: w.url }) : t('wh.addHeading'), form, submitText: t('save'),
    async submit() {
      const url = form.elements.url.value.trim();
      const eventTypes = chosenTypes(form);
      const description = form.elements.description.value.trim();
      let bad = false;
      if (!url) { setFieldError(form, 'url', t('wh.urlRule')); bad = true; }
      if (!form.elements.allEvents.checked && !eventTypes.length) { setFieldError(form, 'eventTypes', t('wh.eventsRule')); bad = true; }
      if (bad) {
        setFormError(form, t('err.fields'));
        form.querySelector('[aria-invalid="true"]')?.focus();
        return false;
      }
      if (!w) {
        const body = { url, eventTypes };
        if (description) body.description = description;
        const { data } = await api.post(base, body, { headers: idempotency() });
        made = data;
        await redraw();
        notice(t('wh.added', { url: data.url }));
        return true;
      }
      const body = {};
      if (url !== w.url) body.url = url;
      if (eventTypes.join(' ') !== [...w.eventTypes].sort().join(' ')) body.eventTypes = eventTypes;
      if (description !== (w.description || '')) body.description = description;
      if (!Object.keys(body).length) return true;
      const { data } = await api.patch(`${base}/${enc(w.id)}`, body, { headers: ifMatch(w) });
      await redraw();
      notice(t('wh.changed', { url: data.url }));
      focusRow(w.id, 'edit');
      return true;
    },
    onProblem(p) {
      if (p && p.code === 'limit_reached') {
        setFormError(form, t('wh.limit'));
        return true;
      }
      if (p && p.status === 400 && p.errors.length) {
        for (const e of p.errors) {
          const top = String(e.field).split(/[.[]/)[0];
          if (top === 'url') setFieldError(form, 'url', has(`wh.url.${e.code}`) ? t(`wh.url.${e.code}`) : t('wh.urlRule'));
          if (top === 'eventTypes') setFieldError(form, 'eventTypes', t('wh.eventsRule'));
          if (top === 'description') setFieldError(form, 'description', t('wh.descriptionRule'));
        }
        if (form.querySelector('[aria-invalid="true"]')) {
          setFormError(form, t('err.fields'));
          form.querySelector('[aria-invalid="true"]').focus();
          return true;
        }
      }
      return staleReload(p, redraw);
    },
  });
  // The secret is shown once the form's dialog has closed (and given the
  // focus back), in a dialog of its own.
  dialog.addEventListener('close', async () => {
    if (!made) return;
    await showSecret(made.secret, t('wh.secretCreated', { url: made.url }));
    focusRow(made.id, 'edit');
  });
}

// showSecret shows a secret once, with a button that copies it; it
// resolves when the dialog is closed. The secret is in this dialog only,
// which is removed when it closes.
function showSecret(secret, message) {
  const headingId = uid('secret');
  const inputId = uid('secret-value');
  const result = h('p', { class: 'wh-copy-result', id: 'copy-result', role: 'status', 'aria-live': 'polite' });
  const input = h('input', { type: 'text', id: inputId, readonly: true, value: secret, class: 'wh-secret', spellcheck: 'false', autocomplete: 'off' });
  const copy = h('button', { type: 'button', class: 'secondary', id: 'copy-secret' }, t('wh.copy'));
  copy.addEventListener('click', async () => {
    let ok = false;
    try {
      await navigator.clipboard.writeText(secret);
      ok = true;
    } catch {
      input.focus();
      input.select();
    }
    result.textContent = t(ok ? 'wh.copied' : 'wh.copyFailed');
    result.className = `wh-copy-result ${ok ? 'ok' : 'error'}`;
  });
  const done = h('button', { type: 'submit', class: 'primary', id: 'secret-done' }, t('wh.secretDone'));
  const dialog = h('dialog', { class: 'form-dialog wh-secret-dialog', id: 'secret-dialog', 'aria-labelledby': headingId, 'aria-describedby': `${headingId}-once` },
    h('form', { method: 'dialog' },
      h('h2', { id: headingId }, t('wh.secretHeading')),
      h('p', {}, message),
      h('p', { class: 'wh-once', id: `${headingId}-once` }, t('wh.secretOnce')),
      h('div', { class: 'field' }, h('label', { for: inputId }, t('wh.secret')),
        h('div', { class: 'wh-secret-row' }, input, copy)),
      result,
      h('div', { class: 'buttons' }, done)));
  return openDialog(dialog, { focus: copy });
}

// focusRow puts the focus on a button of a subscription's row (after the
// list was drawn again, or a dialog closed).
function focusRow(id, action) {
  const row = document.querySelector(`main [data-id="${CSS.escape(id)}"]`);
  const target = row && row.querySelector(`[data-action="${CSS.escape(action)}"]`);
  if (target) target.focus();
}

async function pauseOrResume(base, w, redraw) {
  const paused = !w.paused;
  try {
    await api.patch(`${base}/${enc(w.id)}`, { paused }, { headers: ifMatch(w) });
  } catch (p) {
    if (!staleReload(p, redraw)) errorNotice(p);
    return;
  }
  await redraw();
  notice(t(paused ? 'wh.pausedDone' : 'wh.resumedDone', { url: w.url }));
  focusRow(w.id, 'pause');
}

// rotate makes a new secret once confirmed (the old one signs 24 h more),
// then shows it once.
async function rotate(base, w, redraw) {
  if (!(await confirmAction(t('wh.confirmRotate', { url: w.url })))) return;
  let data;
  try {
    ({ data } = await api.post(`${base}/${enc(w.id)}/rotate-secret`, undefined, { headers: ifMatch(w) }));
  } catch (p) {
    if (!staleReload(p, redraw)) errorNotice(p);
    return;
  }
  const until = formatTime(data.previousSecretUntil);
  await redraw();
  notice(t('wh.rotated', { url: w.url, until }));
  await showSecret(data.secret, t('wh.secretRotated', { url: w.url, until }));
  focusRow(w.id, 'rotate');
}

function remove(base, w, redraw) {
  return deleteConfirmed({
    question: t('wh.confirmDelete', { url: w.url }),
    path: `${base}/${enc(w.id)}`, version: w.version, redraw, done: t('wh.deleted', { url: w.url }), stale: t('wh.stale'),
    focus: () => document.getElementById('add-webhook')?.focus(),
  });
}

// staleReload is ui.js's, with the webhooks' own words.
function staleReload(p, redraw) { return uiStaleReload(p, redraw, t('wh.stale')); }

// ---- the delivery log -----------------------------------------------------------

export async function renderDeliveries({ cid, wid }) {
  const base = `${hooksOf(cid)}/${enc(wid)}`;
  const [name, res] = await Promise.all([customerName(cid), api.get(base)]);
  const w = res.data;
  const results = h('div', { class: 'results', id: 'deliveries-results', 'aria-live': 'polite' });
  const page = pager((cursor, current) => loadDeliveries(base, results, cursor, current));
  await page.reset();
  const refresh = h('button', { type: 'button', class: 'secondary', id: 'refresh-deliveries' }, t('wh.refresh'));
  refresh.addEventListener('click', async () => {
    refresh.disabled = true;
    await page.reload();
    refresh.disabled = false;
    announce(t('wh.logShown', { n: results.querySelectorAll('tbody tr').length }));
  });
  return h('section', { class: 'webhook-log' },
    h('p', { class: 'back' }, h('a', { href: `#/c/${enc(cid)}/webhooks`, id: 'back-to-webhooks' }, t('wh.back', { customer: name }))),
    h('div', { class: 'title-row' }, h('h1', { tabindex: '-1' }, t('wh.logHeading', { url: w.url })), refresh),
    h('div', { class: 'wh-log-status', id: 'webhook-status' }, statusCell(w)),
    h('p', { class: 'intro' }, t('wh.logIntro')),
    results, page.nav);
}

// result says how a delivery went: the receiver's status, or why it
// failed.
function result(d) {
  if (d.ok) return h('span', { class: 'badge wh-ok' }, t('wh.ok', { status: d.status }));
  if (d.status) return h('span', { class: 'badge wh-failed' }, t('wh.failedStatus', { status: d.status }));
  const why = has(`wh.why.${d.error}`) ? t(`wh.why.${d.error}`) : String(d.error || '?');
  return h('span', { class: 'badge wh-failed' }, t('wh.failed', { why }));
}

// loadDeliveries draws the page of deliveries at cursor into results, if
// it is still the current one (see pager).
async function loadDeliveries(base, results, cursor, current) {
  const cols = [t('wh.event'), t('wh.attempt'), t('wh.result'), t('wh.when'), t('wh.nextRetry')];
  const q = new URLSearchParams({ limit: '25' });
  if (cursor) q.set('cursor', cursor);
  let data;
  results.setAttribute('aria-busy', 'true');
  try {
    ({ data } = await api.get(`${base}/deliveries?${q}`));
  } catch (p) {
    if (current()) errorNotice(p);
    return undefined;
  } finally {
    results.removeAttribute('aria-busy');
  }
  if (!current()) return undefined;
  replace(results, table(cols, data.items.map((d) => h('tr', { dataset: { event: d.eventId, type: d.eventType, ok: String(d.ok) } },
    cell(cols[0], h('span', { class: 'wh-event' }, typeWords(d.eventType), ' ', h('code', {}, d.eventType)),
      h('span', { class: 'muted wh-event-id' }, d.eventId)),
    cell(cols[1], String(d.attempt)),
    cell(cols[2], result(d)),
    cell(cols[3], h('time', { datetime: d.at }, formatTime(d.at))),
    cell(cols[4], d.nextRetry ? h('time', { datetime: d.nextRetry }, formatTime(d.nextRetry)) : t('none')))),
  { empty: t('wh.logEmpty'), caption: t('wh.deliveries'), id: 'deliveries' }));
  return data.nextCursor;
}
