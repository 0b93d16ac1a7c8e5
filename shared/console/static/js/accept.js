// The accept-invitation page: /accept-invitation#token=<token>. The token is
// read from the fragment (never sent to a server in a URL, never in a
// Referer) and removed from the address bar at once. It is kept in this
// tab's sessionStorage only until the invitation is used, so that a reload
// still works.
//
// Once accepted, the page offers "Continue to <portal>" for each portal
// setup the invitee is linked to, and goes there at once when there is
// exactly one: the portal then signs them in (its managed login).
import { t, formatTime } from './i18n.js';
import { h, replace, field, setFieldError, clearFieldErrors, setFormError, focusFirstInvalid, announce } from './dom.js';
import * as api from './api.js';
import { loadConfig } from './config.js';
import { safeURL } from './ui.js';
import { byName } from './data.js';

const KEY = 'pa.invitation';
const main = document.getElementById('main');
const top = document.getElementById('top');

function takeToken() {
  const m = /(?:^#|&)token=([^&]*)/.exec(location.hash);
  if (m) {
    history.replaceState(null, '', location.pathname + location.search);
    let token = '';
    try { token = decodeURIComponent(m[1]); } catch { token = ''; }
    if (token) sessionStorage.setItem(KEY, token);
    else sessionStorage.removeItem(KEY);
    return token;
  }
  return sessionStorage.getItem(KEY) || '';
}

function show(...children) {
  replace(main, h('section', { class: 'panel' }, children));
  const h1 = main.querySelector('h1');
  if (h1) {
    document.title = `${h1.textContent} – ${t('app.name')}`;
    h1.focus();
  }
}

function invalid() {
  sessionStorage.removeItem(KEY);
  show(h('h1', { tabindex: '-1' }, t('accept.invalidHeading')),
    h('p', { class: 'notice error', id: 'invalid', role: 'alert' }, t('accept.invalid')));
}

function failed(p) {
  if (p instanceof api.Problem && (p.status === 410 || (p.status === 400 && p.errors.some((e) => e.field === 'token')))) {
    invalid();
    return true;
  }
  return false;
}

// portalsOf are an answer's portals that have an address a link may go
// to, by name.
function portalsOf(answer) {
  return (Array.isArray(answer.portals) ? answer.portals : [])
    .filter((p) => p && safeURL(p.url) !== '#')
    .sort((a, b) => byName(a.name, b.name));
}

function done(result) {
  sessionStorage.removeItem(KEY);
  const portals = portalsOf(result);
  const text = result.signIn === 'existing_account' ? 'accept.doneExisting' : 'accept.doneNew';
  const only = portals.length === 1 ? portals[0] : null;
  show(h('h1', { tabindex: '-1', id: 'done' }, t('accept.doneHeading')),
    h('p', {}, t(text, { email: result.email })),
    only ? h('p', { id: 'going', role: 'status' }, t('accept.going', { portal: only.name })) : null,
    portals.length
      ? h('ul', { class: 'continue', id: 'continue' }, portals.map((p) => h('li', {},
        h('a', { class: 'button primary', href: safeURL(p.url), dataset: { portal: p.id } }, t('accept.continue', { portal: p.name })))))
      : null,
    h('p', {}, h('a', { class: portals.length ? 'button secondary' : 'button primary', href: './', id: 'sign-in-link' },
      t(portals.length ? 'accept.console' : 'accept.signIn'))));
  announce(t('accept.doneHeading'));
  // The page of a used invitation is of no use to come back to: the
  // portal takes its place in the history.
  if (only) location.replace(safeURL(only.url));
}

function passwordForm(token) {
  const policyId = 'password-policy';
  const pw = field({
    label: t('accept.password'), name: 'password', type: 'password',
    attrs: { autocomplete: 'new-password', required: true, minlength: '12', maxlength: '256', id: 'password' },
  });
  const confirm = field({
    label: t('accept.confirm'), name: 'confirm', type: 'password',
    attrs: { autocomplete: 'new-password', required: true, maxlength: '256', id: 'confirm' },
  });
  // The policy is read with the password field.
  const pwInput = pw.querySelector('input');
  pwInput.setAttribute('aria-describedby', `${policyId} ${pwInput.getAttribute('aria-describedby')}`);
  const toggle = h('button', { type: 'button', class: 'secondary small', 'aria-pressed': 'false', id: 'toggle-password' }, t('accept.show'));
  toggle.addEventListener('click', () => {
    const visible = toggle.getAttribute('aria-pressed') !== 'true';
    toggle.setAttribute('aria-pressed', String(visible));
    toggle.textContent = t(visible ? 'accept.hide' : 'accept.show');
    for (const input of form.querySelectorAll('input[name=password], input[name=confirm]')) input.type = visible ? 'text' : 'password';
  });
  const submit = h('button', { type: 'submit', class: 'primary', id: 'accept-submit' }, t('accept.submit'));
  const form = h('form', { id: 'accept-form', novalidate: true },
    h('p', { id: policyId, class: 'policy' }, t('accept.policy')),
    pw, confirm,
    h('div', { class: 'buttons' }, toggle),
    field({ label: t('accept.name'), name: 'name', hint: t('accept.nameHint'), attrs: { autocomplete: 'name', maxlength: '100', id: 'name' } }),
    h('div', { class: 'buttons' }, submit));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearFieldErrors(form);
    const password = form.elements.password.value;
    const length = [...password].length;
    let bad = false;
    if (length < 12) { setFieldError(form, 'password', t(length ? 'accept.tooShort' : 'field.passwordRequired')); bad = true; }
    else if (length > 256) { setFieldError(form, 'password', t('accept.tooLong')); bad = true; }
    if (form.elements.confirm.value !== password) { setFieldError(form, 'confirm', t('accept.mismatch')); bad = true; }
    if (bad) { focusFirstInvalid(form); return; }
    const body = { token, password };
    const name = form.elements.name.value.trim();
    if (name) body.name = name;
    submit.disabled = true;
    submit.textContent = t('accept.busy');
    try {
      const { data } = await api.post('/v1/invitations/accept', body, { auth: false });
      done(data);
    } catch (p) {
      submit.disabled = false;
      submit.textContent = t('accept.submit');
      if (!failed(p)) api.showProblem(form, p);
    }
  });
  return form;
}

function existingForm(token) {
  const button = h('button', { type: 'submit', class: 'primary', id: 'accept-existing' }, t('accept.existingButton'));
  const form = h('form', { id: 'accept-form' }, h('p', {}, t('accept.existing')), h('div', { class: 'buttons' }, button));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    button.disabled = true;
    try {
      const { data } = await api.post('/v1/invitations/accept', { token }, { auth: false });
      done(data);
    } catch (p) {
      button.disabled = false;
      // The account changed meanwhile (removed with the person's last other
      // membership, say): the invitation still works, so ask again how they
      // sign in; a new account needs a password.
      if (p instanceof api.Problem && (p.status === 409 || (p.status === 400 && p.errors.some((e) => e.field === 'password')))) {
        boot(t('accept.changed'));
        return;
      }
      if (!failed(p)) setFormError(form, api.describe(p));
    }
  });
  return form;
}

// boot shows the invitation; notice, when given, says why it is shown again.
async function boot(notice) {
  document.title = `${t('accept.title')} – ${t('app.name')}`;
  replace(top, h('div', { class: 'bar' }, h('a', { class: 'brand', href: './' }, t('app.name'))));
  const token = takeToken();
  replace(main, h('p', { class: 'muted', 'aria-busy': 'true' }, t('accept.checking')));
  if (!token) { invalid(); return; }
  let cfg;
  try { cfg = await loadConfig(); } catch {
    replace(main, h('p', { class: 'notice error', role: 'alert' }, t('err.config')));
    return;
  }
  api.configure({ base: cfg.apiUrl });
  let inv;
  try {
    ({ data: inv } = await api.post('/v1/invitations/inspect', { token }, { auth: false }));
  } catch (p) {
    if (!failed(p)) replace(main, h('p', { class: 'notice error', role: 'alert' }, api.describe(p)));
    return;
  }
  const where = inv.customerName === null
    ? t('accept.toConsole', { email: inv.email })
    : t('accept.toPortal', { customer: inv.customerName, email: inv.email });
  const portals = portalsOf(inv);
  show(h('h1', { tabindex: '-1' }, t('accept.title')),
    notice ? h('p', { class: 'notice info', id: 'accept-again', role: 'status' }, notice) : null,
    h('p', { class: 'invited', id: 'invited' }, where),
    portals.length ? h('p', { id: 'invited-portals' }, t('accept.portals', { portals: portals.map((p) => p.name).join(', ') })) : null,
    h('p', { class: 'muted', id: 'valid-until' }, t('accept.until', { time: formatTime(inv.expiresAt) })),
    inv.existingAccount ? existingForm(token) : passwordForm(token));
}

boot();
