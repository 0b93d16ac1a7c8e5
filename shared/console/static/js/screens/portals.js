// Portal setups (#/c/<id>/portals): a customer's portals, by name. Each is
// a relying party of the user pool, and its card shows what whoever builds
// the portal needs to sign its users in (client id, issuer, discovery URL,
// redirect URIs, endpoints), each with a Copy button, and links to the
// users who reach it. Operator admins add, edit (If-Match: the version the
// card was drawn from) and delete setups here.
import { t, formatTime } from '../i18n.js';
import { h, field, notice, announce, confirmAction, restoreFocus, uid } from '../dom.js';
import * as api from '../api.js';
import { isOperatorAdmin } from '../access.js';
import { customerName, portalsOf } from '../data.js';
import { safeURL, formDialog, idempotency, errorNotice } from '../ui.js';
import { isStale } from './person.js';

const enc = encodeURIComponent;

export async function render({ cid, redraw }) {
  const [name, items] = await Promise.all([customerName(cid), portalsOf(cid)]);
  const admin = isOperatorAdmin();
  const ctx = { cid, redraw };
  const actions = admin
    ? h('div', { class: 'toolbar-actions' }, h('button', { type: 'button', class: 'primary', id: 'new-portal', onclick: () => portalDialog(ctx) }, t('portals.new')))
    : null;
  return h('section', {},
    h('div', { class: 'title-row' }, h('h1', { tabindex: '-1' }, t('portals.heading', { customer: name })), actions),
    h('p', { class: 'muted' }, t('portals.intro')),
    items.length
      ? h('ul', { class: 'setups', id: 'portals', 'aria-label': t('nav.portals') }, items.map((p) => setupCard(ctx, p, admin)))
      : h('p', { class: 'muted empty', id: 'portals' }, t('portals.empty')));
}

// setupCard is portal setup p: its address, sign-in details and actions.
function setupCard(ctx, p, admin) {
  const headingId = uid('setup');
  const si = p.signIn || {};
  const users = `#/c/${enc(ctx.cid)}/portals/${enc(p.id)}/users`;
  return h('li', { class: 'card setup', dataset: { id: p.id, name: p.name }, 'aria-labelledby': headingId },
    h('h2', { id: headingId }, p.name),
    h('p', { class: 'url' }, h('a', { href: safeURL(p.url), rel: 'noopener noreferrer', target: '_blank' }, p.url)),
    h('h3', {}, t('portals.signIn')),
    h('dl', { class: 'details' },
      si.clientId
        ? detail('client-id', t('portals.clientId'), si.clientId)
        : h('div', { class: 'detail', dataset: { detail: 'client-id' } }, h('dt', {}, t('portals.clientId')), h('dd', { class: 'muted' }, t('portals.registering'))),
      detail('issuer', t('portals.issuer'), si.issuer),
      detail('discovery', t('portals.discovery'), si.discoveryUrl),
      detail('redirect-uris', t('portals.redirectUris'), (p.redirectUris || []).join('\n'))),
    h('details', { class: 'endpoints' },
      h('summary', {}, t('portals.endpoints')),
      h('dl', { class: 'details' },
        detail('authorization', t('portals.authorization'), si.authorizationEndpoint),
        detail('token', t('portals.token'), si.tokenEndpoint),
        detail('logout', t('portals.logout'), si.logoutEndpoint),
        detail('ui-locales', t('portals.uiLocales'), si.uiLocales))),
    h('p', { class: 'muted when' }, t('portals.changed', { time: formatTime(p.updatedAt || p.createdAt) })),
    h('div', { class: 'action-buttons' },
      h('a', { class: 'button secondary small', href: users, dataset: { action: 'users' }, 'aria-label': t('portals.usersLabel', { name: p.name }) }, t('portals.users')),
      admin ? h('button', {
        type: 'button', class: 'secondary small', dataset: { action: 'edit' }, 'aria-label': t('portals.editLabel', { name: p.name }),
        onclick: () => portalDialog(ctx, p),
      }, t('act.edit')) : null,
      admin ? h('button', {
        type: 'button', class: 'danger small', dataset: { action: 'delete' }, 'aria-label': t('portals.deleteLabel', { name: p.name }),
        onclick: () => deleteSetup(ctx, p),
      }, t('act.delete')) : null));
}

// detail is one sign-in detail: its label, its value as code, and a Copy
// button.
function detail(key, label, value) {
  const text = value == null ? '' : String(value);
  const code = h('code', { class: 'value' }, text);
  const copy = h('button', {
    type: 'button', class: 'secondary small copy', dataset: { copy: key }, 'aria-label': t('portals.copyLabel', { what: label }),
    onclick: () => copyText(copy, code, text, label),
  }, t('portals.copy'));
  return h('div', { class: 'detail', dataset: { detail: key } }, h('dt', {}, label), h('dd', {}, code, copy));
}

// copyText puts text on the clipboard and says so on the button (the
// other Copy buttons say Copy again). Where the browser will not, the text
// is selected for the person to copy themselves.
async function copyText(button, code, text, label) {
  for (const b of document.querySelectorAll('button.copy')) b.textContent = t('portals.copy');
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    const range = document.createRange();
    range.selectNodeContents(code);
    const sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
    notice(t('portals.copyManually'), 'error');
    return;
  }
  button.textContent = t('portals.copied');
  announce(t('portals.copiedSay', { what: label }));
}

// redirectField is the redirect URIs, one per line.
function redirectField(p) {
  return field({
    label: t('portals.redirectUris'), name: 'redirectUris', type: 'textarea', value: p ? (p.redirectUris || []).join('\n') : '',
    hint: t('portals.redirectHint'), attrs: { rows: '3', spellcheck: 'false', autocomplete: 'off' },
  });
}

const lines = (s) => s.split('\n').map((l) => l.trim()).filter(Boolean);

// portalDialog adds a portal setup to the customer, or, with p, edits
// that one: only what changed is sent, with If-Match the version the card
// shows. Then the screen is drawn again (ctx.redraw).
function portalDialog(ctx, p) {
  const form = h('form', { id: 'portal-form', novalidate: true },
    field({ label: t('portals.name'), name: 'name', value: p ? p.name : '', attrs: { required: true, maxlength: '100' } }),
    field({ label: t('portals.url'), name: 'url', type: 'url', value: p ? p.url : '', hint: t('portals.urlHint'), attrs: { required: true, inputmode: 'url', spellcheck: 'false' } }),
    redirectField(p));
  formDialog({
    heading: p ? t('portals.editHeading', { name: p.name }) : t('portals.new'), form, submitText: t('save'),
    async submit() {
      const name = form.elements.name.value.trim();
      const url = form.elements.url.value.trim();
      const redirectUris = lines(form.elements.redirectUris.value);
      if (!p) {
        const body = { name, url };
        if (redirectUris.length) body.redirectUris = redirectUris;
        const { data } = await api.post(`/v1/customers/${enc(ctx.cid)}/portals`, body, { headers: idempotency() });
        await ctx.redraw();
        notice(t('portals.done', { name: data.name }));
        restoreFocus();
        return true;
      }
      const body = {};
      if (name !== p.name) body.name = name;
      if (url !== p.url) body.url = url;
      // Untouched, the redirect URIs are not sent: a setup on the default
      // (<url>/) then keeps the default of its new address.
      if (redirectUris.join('\n') !== (p.redirectUris || []).join('\n')) body.redirectUris = redirectUris;
      if (!Object.keys(body).length) return true;
      const { data } = await api.patch(`/v1/customers/${enc(ctx.cid)}/portals/${enc(p.id)}`, body, { headers: { 'If-Match': `"${p.version}"` } });
      await ctx.redraw();
      notice(t('portals.saved', { name: data.name }));
      restoreFocus(p.id, 'edit');
      return true;
    },
    onProblem(e, dialog) {
      if (!p || !isStale(e)) return false;
      dialog.close('stale');
      stale(ctx, p, e);
      return true;
    },
  });
}

// stale says that setup p changed or went away meanwhile, and shows the
// list as it now is.
async function stale(ctx, p, e) {
  await ctx.redraw();
  if (e.status === 404 || e.status === 412) notice(t('portals.stale'), 'error');
  else errorNotice(e);
  restoreFocus(p.id, 'edit');
}

// deleteSetup deletes setup p once confirmed by name.
async function deleteSetup(ctx, p) {
  if (!(await confirmAction(t('portals.confirmDelete', { name: p.name })))) return;
  try {
    await api.del(`/v1/customers/${enc(ctx.cid)}/portals/${enc(p.id)}`);
  } catch (e) {
    if (e.status === 404) { await stale(ctx, p, e); return; }
    errorNotice(e);
    return;
  }
  await ctx.redraw();
  notice(t('portals.deleted', { name: p.name }));
  restoreFocus();
}
