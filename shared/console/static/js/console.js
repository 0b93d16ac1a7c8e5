// The web console's shell and router: sign-in, then what /v1/me allows —
// an operator's customers and operators, a portal admin's users, a portal
// user's own memberships. Screens are chosen by the URL fragment
// (#/c/<id>/users …), so the console is plain static files.
//
// To add a screen:
//   1. Write js/screens/<name>.js. It exports render(ctx), which returns
//      the screen (a <section> with one <h1 tabindex="-1">) or a promise of
//      it, and attaches its own event handlers. ctx holds the route's
//      parameters (cid for :cid), query (the fragment's URLSearchParams)
//      and redraw() (draws the current screen again). Its shared state, if
//      any outlives the screen, is a documented field of state.js.
//   2. Add it to ROUTES below: the fragment's leading parts (':cid' names a
//      customer and makes it the current one), who may see it, its name.
//   3. Give it a nav link, if it has one, in header.js's navLinks; its
//      texts go in i18n.js (en and nl); add a modulepreload in index.html.
import { t } from './i18n.js';
import { h, replace, notice, clearNotice } from './dom.js';
import * as api from './api.js';
import * as auth from './auth.js';
import { loadConfig } from './config.js';
import { state } from './state.js';
import { isOperator, isOperatorAdmin, adminMemberships, canManage, canWebhooks } from './access.js';
import { renderBareHeader, renderHeader, loadSwitcher } from './header.js';
import * as signin from './screens/signin.js';
import * as mfa from './screens/mfa.js';
import * as home from './screens/home.js';
import * as customers from './screens/customers.js';
import * as users from './screens/users.js';
import * as portals from './screens/portals.js';
import * as portalUsers from './screens/portal-users.js';
import * as audit from './screens/audit.js';
import * as operators from './screens/operators.js';
import * as profile from './screens/profile.js';
import * as job from './screens/job.js';
import * as providerAudit from './screens/provider-audit.js';
import * as imports from './screens/import.js';
import * as roles from './screens/roles.js';
import * as webhooks from './screens/webhooks.js';

// ROUTES: the first whose path begins the fragment and that allows the
// person signed in is drawn; else home. A path's ':x' part matches any
// one part, as ctx.x.
const ROUTES = [
  { path: ['customers'], screen: 'customers', allowed: isOperator, render: customers.render },
  { path: ['operators'], screen: 'operators', allowed: isOperatorAdmin, render: operators.render },
  { path: ['audit'], screen: 'provider-audit', allowed: isOperatorAdmin, render: providerAudit.render },
  { path: ['jobs', ':id'], screen: 'job', allowed: isOperatorAdmin, render: job.render },
  { path: ['c', ':cid', 'profile'], screen: 'profile', allowed: ({ cid }) => canManage(cid), render: profile.render },
  { path: ['c', ':cid', 'portals', ':pid', 'users'], screen: 'portals', allowed: ({ cid }) => canManage(cid), render: portalUsers.render },
  { path: ['c', ':cid', 'portals'], screen: 'portals', allowed: ({ cid }) => canManage(cid), render: portals.render },
  { path: ['c', ':cid', 'roles'], screen: 'roles', allowed: ({ cid }) => canManage(cid), render: roles.render },
  { path: ['c', ':cid', 'webhooks', ':wid'], screen: 'webhooks', allowed: ({ cid }) => canWebhooks(cid), render: webhooks.renderDeliveries },
  { path: ['c', ':cid', 'webhooks'], screen: 'webhooks', allowed: ({ cid }) => canWebhooks(cid), render: webhooks.render },
  { path: ['c', ':cid', 'import'], screen: 'import', allowed: ({ cid }) => canManage(cid), render: imports.render },
  { path: ['c', ':cid', 'audit'], screen: 'audit', allowed: ({ cid }) => canManage(cid), render: audit.render },
  { path: ['c', ':cid'], screen: 'users', allowed: ({ cid }) => canManage(cid), render: users.render },
];
const HOME = { path: [], screen: 'home', allowed: () => true, render: home.render };

const main = document.getElementById('main');

// ---- start --------------------------------------------------------------------

async function boot() {
  document.title = t('app.name');
  document.getElementById('skip').textContent = t('skip');
  try {
    state.cfg = await loadConfig();
  } catch {
    replace(main, h('p', { class: 'notice error', role: 'alert' }, t('err.config')));
    return;
  }
  auth.configure(state.cfg);
  api.configure({ base: state.cfg.apiUrl, token: auth.accessToken, onUnauthorized: sessionEnded });
  let flash = auth.takeFlash();
  if (state.cfg.mode === 'aws') {
    try { await auth.completeManagedLogin(); } catch { flash = { text: t('signin.incomplete'), kind: 'error' }; }
  }
  if (!auth.signedIn()) {
    showSignIn(flash);
    return;
  }
  await start();
}

async function start() {
  state.ended = false;
  renderBare(t('loading'));
  try {
    state.me = (await api.get('/v1/me')).data;
  } catch (p) {
    if (p.status !== 401) {
      replace(main, h('p', { class: 'notice error', role: 'alert' }, api.describe(p)),
        h('button', { type: 'button', class: 'secondary', onclick: start }, t('retry')));
    }
    return;
  }
  if (state.me.operator && state.me.operator.mfaRequired) {
    // Operators set up an authenticator app before anything else.
    renderBareHeader();
    await mfa.render({ onEnrolled: start, onSignOut: signOutClicked });
    return;
  }
  if (!state.currentCustomer) {
    const first = adminMemberships()[0];
    state.currentCustomer = first ? first.customerId : null;
  }
  for (const m of state.me.memberships) state.customers.names.set(m.customerId, m.customerName);
  window.addEventListener('hashchange', onHashChange);
  await route(false);
  if (isOperator()) loadSwitcher();
}

function showSignIn(flash) {
  signin.render(flash, { onSignedIn: start });
}

// sessionEnded runs on any 401: the token expired, or the user was
// disabled or deleted.
async function sessionEnded() {
  if (state.ended) return;
  teardown();
  if (await auth.signOut({ text: t('signin.ended'), kind: 'error' })) return; // AWS: off to the managed logout
  showSignIn(auth.takeFlash());
}

async function signOutClicked() {
  teardown();
  if (await auth.signOut({ text: t('signin.signedOut'), kind: 'ok' })) return;
  showSignIn(auth.takeFlash());
}

function teardown() {
  state.ended = true;
  state.me = null;
  state.currentCustomer = null;
  state.nextNotice = null;
  state.customers.items = []; state.customers.next = null; state.customers.loaded = false; state.customers.failed = false;
  state.customers.names.clear();
  state.renderSeq++; // a screen still loading is not drawn
  window.removeEventListener('hashchange', onHashChange);
  closeDialogs();
}

function closeDialogs() {
  for (const d of document.querySelectorAll('dialog[open]')) d.close();
}

function renderBare(text) {
  renderBareHeader();
  replace(main, h('p', { class: 'muted', 'aria-busy': 'true' }, text));
}

// ---- routing ------------------------------------------------------------------

function onHashChange() { route(true); }

// parseHash reads the fragment: its path's parts, decoded, and its query.
// parts is null when a part is not valid percent-encoding (a mangled or
// hand-made link): such a fragment names no screen.
function parseHash() {
  const raw = location.hash.replace(/^#/, '');
  const [path, query] = raw.split('?');
  const parts = [];
  for (const part of path.split('/').filter(Boolean)) {
    try { parts.push(decodeURIComponent(part)); } catch { return { parts: null, query: new URLSearchParams() }; }
  }
  return { parts, query: new URLSearchParams(query || '') };
}

// match is the parameters of route for the fragment's parts, or null when
// its path does not begin them.
function match(route, parts) {
  const params = {};
  for (const [i, part] of route.path.entries()) {
    if (part.startsWith(':')) {
      if (!parts[i]) return null;
      params[part.slice(1)] = parts[i];
    } else if (parts[i] !== part) {
      return null;
    }
  }
  return params;
}

// pick is the route the fragment's parts lead to, and its parameters (home
// for parts null).
function pick(parts) {
  for (const r of parts ? ROUTES : []) {
    const params = match(r, parts);
    if (params && r.allowed(params)) return { route: r, params };
  }
  return { route: HOME, params: {} };
}

// route draws the screen the fragment names; moveFocus puts the focus on
// its heading (a new screen, not the first).
async function route(moveFocus) {
  if (!state.me) return;
  clearNotice();
  closeDialogs();
  const { parts, query } = parseHash();
  const seq = ++state.renderSeq;
  const { route: r, params } = pick(parts);
  if (params.cid) state.currentCustomer = params.cid;
  state.currentScreen = r.screen;
  renderHeader(r.screen, { onSignOut: signOutClicked });
  replace(main, h('p', { class: 'muted', 'aria-busy': 'true' }, t('loading')));
  try {
    const view = await r.render({ ...params, query, redraw: () => route(false) });
    if (seq !== state.renderSeq || !state.me) return; // another screen was asked for meanwhile
    replace(main, view);
  } catch (p) {
    if (seq !== state.renderSeq || !state.me || p.status === 401) return;
    replace(main, h('p', { class: 'notice error', role: 'alert' }, api.describe(p)));
    return;
  }
  const h1 = main.querySelector('h1');
  if (moveFocus && h1) h1.focus();
  if (state.nextNotice) {
    notice(state.nextNotice);
    state.nextNotice = null;
  }
  if (h1) document.title = `${h1.textContent} – ${t('app.name')}`;
}

boot();
