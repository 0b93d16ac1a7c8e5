// The web console: sign-in, then what /v1/me allows — an operator's
// customers and operators, a portal admin's users, a portal user's own
// memberships. Screens are chosen by the URL fragment (#/c/<id>/users …), so
// the console is plain static files.
import { t, formatTime } from './i18n.js';
import {
  h, replace, notice, clearNotice, announce, confirmAction, field, uid,
  setFormError, clearFieldErrors, restoreFocus,
} from './dom.js';
import * as api from './api.js';
import * as auth from './auth.js';
import { loadConfig } from './config.js';
import { state } from './state.js';
import { isOperator, isOperatorAdmin, adminMemberships, canManage } from './access.js';
import { loadCustomers, customerName, portalsOf } from './data.js';
import { pager, table, cell, errorNotice, safeURL, idempotency, formDialog } from './ui.js';
import { renderBareHeader, renderHeader, renderSwitcher } from './header.js';

const main = document.getElementById('main');

const enc = encodeURIComponent;

// ---- start ----------------------------------------------------------------

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
    renderSignIn(flash);
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
  if (!state.currentCustomer) {
    const first = adminMemberships()[0];
    state.currentCustomer = first ? first.customerId : null;
  }
  for (const m of state.me.memberships) state.customers.names.set(m.customerId, m.customerName);
  window.addEventListener('hashchange', onHashChange);
  await route(false);
  if (isOperator()) loadCustomers().then(() => renderSwitcher(), () => {});
}

// sessionEnded runs on any 401: the token expired, or the user was
// disabled or deleted.
async function sessionEnded() {
  if (state.ended) return;
  teardown();
  if (await auth.signOut({ text: t('signin.ended'), kind: 'error' })) return; // AWS: off to the managed logout
  renderSignIn(auth.takeFlash());
}

async function signOutClicked() {
  teardown();
  if (await auth.signOut({ text: t('signin.signedOut'), kind: 'ok' })) return;
  renderSignIn(auth.takeFlash());
}

function teardown() {
  state.ended = true;
  state.me = null;
  state.currentCustomer = null;
  state.nextNotice = null;
  state.customers.items = []; state.customers.next = null; state.customers.loaded = false;
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

// ---- sign-in ----------------------------------------------------------------

// renderSignIn shows the sign-in form, with flash ({text, kind}) above it.
function renderSignIn(flash) {
  document.title = `${t('signin.heading')} – ${t('app.name')}`;
  renderBareHeader();
  const heading = h('h1', { tabindex: '-1' }, t('signin.heading'));
  if (state.cfg.mode === 'aws') {
    replace(main, h('section', { class: 'panel narrow-panel' }, heading,
      h('p', {}, t('signin.awsIntro')),
      h('button', { type: 'button', class: 'primary', id: 'signin-continue', onclick: () => auth.beginManagedLogin() }, t('signin.awsButton'))));
  } else {
    const submit = h('button', { type: 'submit', class: 'primary', id: 'signin-submit' }, t('signin.submit'));
    const form = h('form', { id: 'signin', novalidate: true },
      field({ label: t('signin.email'), name: 'email', type: 'email', attrs: { autocomplete: 'username', required: true, id: 'signin-email' } }),
      field({ label: t('signin.password'), name: 'password', type: 'password', attrs: { autocomplete: 'current-password', required: true } }),
      h('div', { class: 'buttons' }, submit),
      h('p', { class: 'hint' }, t('signin.localNote')));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      clearFieldErrors(form);
      const email = form.elements.email.value;
      const password = form.elements.password.value;
      if (!email.trim() || !password) {
        setFormError(form, t('signin.failed'));
        return;
      }
      submit.disabled = true;
      submit.textContent = t('signin.busy');
      try {
        await auth.signInLocal(email, password);
        form.elements.password.value = '';
        await start();
      } catch (e) {
        submit.disabled = false;
        submit.textContent = t('signin.submit');
        setFormError(form, t(e.kind === 'failed' ? 'signin.failed' : 'signin.error'));
        form.elements.password.focus();
      }
    });
    replace(main, h('section', { class: 'panel narrow-panel' }, heading, form));
  }
  if (flash && flash.text) notice(flash.text, flash.kind === 'ok' ? 'ok' : 'error');
  const email = document.getElementById('signin-email');
  (email || heading).focus();
}

// ---- routing ------------------------------------------------------------------

function onHashChange() { route(true); }

function parseHash() {
  const raw = location.hash.replace(/^#/, '');
  const [path, query] = raw.split('?');
  return { parts: path.split('/').filter(Boolean).map(decodeURIComponent), query: new URLSearchParams(query || '') };
}

async function route(moveFocus) {
  if (!state.me) return;
  clearNotice();
  closeDialogs();
  const { parts, query } = parseHash();
  const seq = ++state.renderSeq;
  let screen = 'home';
  let render = () => screenHome();
  if (parts[0] === 'customers' && isOperator()) {
    screen = 'customers';
    render = () => screenCustomers();
  } else if (parts[0] === 'operators' && isOperatorAdmin()) {
    screen = 'operators';
    render = () => screenPeople({ kind: 'operator', query });
  } else if (parts[0] === 'c' && parts[1] && canManage(parts[1])) {
    state.currentCustomer = parts[1];
    const cid = parts[1];
    if (parts[2] === 'portals') { screen = 'portals'; render = () => screenPortals(cid); }
    else if (parts[2] === 'audit') { screen = 'audit'; render = () => screenAudit(cid); }
    else { screen = 'users'; render = () => screenPeople({ kind: 'user', cid, query }); }
  }
  state.currentScreen = screen;
  renderHeader(screen, { onSignOut: signOutClicked });
  replace(main, h('p', { class: 'muted', 'aria-busy': 'true' }, t('loading')));
  try {
    const view = await render();
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

// ---- home ---------------------------------------------------------------------

function screenHome() {
  const parts = [h('h1', { tabindex: '-1' }, t('home.heading')), h('p', {}, t('home.greeting', { name: state.me.name || state.me.email }))];
  if (isOperator()) {
    parts.push(h('p', {}, t('home.operator', { role: t(`role.${state.me.operator.role}`) })),
      h('p', {}, h('a', { href: '#/customers' }, t('home.customersLink'))));
  }
  if (state.me.memberships.length) {
    parts.push(h('h2', {}, t('home.memberships')));
    parts.push(h('ul', { class: 'cards', id: 'memberships' }, state.me.memberships.map((m) => h('li', { class: 'card', dataset: { customer: m.customerId } },
      h('h3', {}, m.customerName),
      m.admin ? h('p', {}, t('home.admin')) : null,
      m.roles.length ? h('p', {}, t('home.roles', { roles: m.roles.join(', ') })) : null,
      m.portals.length
        ? h('ul', { class: 'portal-links' }, m.portals.map((p) => h('li', {},
          h('a', { href: safeURL(p.url), rel: 'noopener noreferrer', target: '_blank' }, p.name),
          ' ', h('span', { class: 'muted url' }, p.url))))
        : h('p', { class: 'muted' }, t('home.noPortals')),
      m.admin ? h('p', {}, h('a', { href: `#/c/${enc(m.customerId)}/users` }, t('home.manageUsers', { customer: m.customerName }))) : null))));
  } else if (!isOperator()) {
    parts.push(h('p', { id: 'memberships' }, t('home.noMemberships')));
  }
  return h('section', {}, parts);
}

// ---- customers -------------------------------------------------------------------

async function screenCustomers() {
  const results = h('div', { class: 'results', 'aria-live': 'polite' });
  const page = pager(async (cursor) => {
    const q = new URLSearchParams({ limit: '50' });
    if (cursor) q.set('cursor', cursor);
    let data;
    try { ({ data } = await api.get(`/v1/customers?${q}`)); } catch (p) { errorNotice(p); return undefined; }
    for (const c of data.items) state.customers.names.set(c.id, c.name);
    replace(results, table([t('customers.name'), t('customers.locale'), t('customers.created')],
      data.items.map((c) => h('tr', { dataset: { id: c.id } },
        cell(t('customers.name'), h('a', { href: `#/c/${enc(c.id)}/users`, 'aria-label': t('customers.open', { name: c.name }) }, c.name)),
        cell(t('customers.locale'), t(`locale.${c.locale}`)),
        cell(t('customers.created'), formatTime(c.createdAt)))),
      { empty: t('customers.empty'), caption: t('customers.heading'), id: 'customers' }));
    return data.nextCursor;
  });
  await page.reset();
  const actions = isOperatorAdmin()
    ? h('div', { class: 'toolbar-actions' }, h('button', { type: 'button', class: 'primary', id: 'new-customer', onclick: newCustomerDialog }, t('customers.new')))
    : null;
  return h('section', {},
    h('div', { class: 'title-row' }, h('h1', { tabindex: '-1' }, t('customers.heading')), actions),
    results, page.nav);
}

function newCustomerDialog() {
  const localeSelect = h('select', {}, ['en', 'nl'].map((l) => h('option', { value: l }, t(`locale.${l}`))));
  const form = h('form', { id: 'customer-form', novalidate: true },
    field({ label: t('customers.name'), name: 'name', attrs: { required: true, maxlength: '100', autocomplete: 'organization' } }),
    field({ label: t('customers.locale'), name: 'locale', control: localeSelect }));
  formDialog({
    heading: t('customers.new'), form, submitText: t('save'),
    async submit() {
      const body = { name: form.elements.name.value.trim(), locale: form.elements.locale.value };
      const { data } = await api.post('/v1/customers', body, { headers: idempotency() });
      state.customers.names.set(data.id, data.name);
      state.customers.items.push(data);
      state.nextNotice = t('customers.done', { name: data.name });
      location.hash = `#/c/${enc(data.id)}/users`;
      return true;
    },
  });
}

// ---- portal setups ------------------------------------------------------------------

async function screenPortals(cid) {
  const [name, items] = await Promise.all([customerName(cid), portalsOf(cid)]);
  const actions = isOperatorAdmin()
    ? h('div', { class: 'toolbar-actions' }, h('button', { type: 'button', class: 'primary', id: 'new-portal', onclick: () => newPortalDialog(cid) }, t('portals.new')))
    : null;
  return h('section', {},
    h('div', { class: 'title-row' }, h('h1', { tabindex: '-1' }, t('portals.heading', { customer: name })), actions),
    table([t('portals.name'), t('col.url'), t('customers.created')],
      items.map((p) => h('tr', { dataset: { id: p.id } },
        cell(t('portals.name'), p.name),
        cell(t('col.url'), h('a', { href: safeURL(p.url), rel: 'noopener noreferrer', target: '_blank' }, p.url)),
        cell(t('customers.created'), formatTime(p.createdAt)))),
      { empty: t('portals.empty'), caption: t('nav.portals'), id: 'portals' }));
}

function newPortalDialog(cid) {
  const form = h('form', { id: 'portal-form', novalidate: true },
    field({ label: t('portals.name'), name: 'name', attrs: { required: true, maxlength: '100' } }),
    field({ label: t('portals.url'), name: 'url', type: 'url', hint: t('portals.urlHint'), attrs: { required: true, inputmode: 'url' } }));
  formDialog({
    heading: t('portals.new'), form, submitText: t('save'),
    async submit() {
      const body = { name: form.elements.name.value.trim(), url: form.elements.url.value.trim() };
      const { data } = await api.post(`/v1/customers/${enc(cid)}/portals`, body, { headers: idempotency() });
      await route(false);
      notice(t('portals.done', { name: data.name }));
      restoreFocus();
      return true;
    },
  });
}

// ---- audit trail ----------------------------------------------------------------------

function actionWords(action) {
  const [kind, ...rest] = String(action).split('.');
  const verb = rest.join('.');
  let words;
  if (t(`action.${action}`) !== `action.${action}`) words = t(`action.${action}`);
  else if (t(`action.${verb}`) !== `action.${verb}`) words = t(`action.${verb}`);
  else words = action;
  return kind === 'operator' ? t('kind.operator', { what: words }) : words;
}

async function screenAudit(cid) {
  const name = await customerName(cid);
  const results = h('div', { class: 'results', 'aria-live': 'polite' });
  const cols = [t('col.time'), t('col.actor'), t('col.action'), t('col.target')];
  const page = pager(async (cursor) => {
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
  });
  await page.reset();
  return h('section', {}, h('h1', { tabindex: '-1' }, t('audit.heading', { customer: name })), results, page.nav);
}

// ---- users and operators ----------------------------------------------------------------

const CATEGORIES = ['', 'enabled', 'disabled', 'unconfirmed'];

async function screenPeople({ kind, cid, query }) {
  const isUser = kind === 'user';
  const base = isUser ? `/v1/customers/${enc(cid)}/users` : '/v1/operators';
  const [name, portals] = isUser ? await Promise.all([customerName(cid), portalsOf(cid)]) : [null, []];
  const portalNames = new Map(portals.map((p) => [p.id, p.name]));
  let status = CATEGORIES.includes(query.get('status') || '') ? (query.get('status') || '') : '';
  let search = query.get('search') || '';

  const hintId = uid('search-hint');
  const category = h('select', { id: 'category', name: 'status' },
    CATEGORIES.map((c) => h('option', { value: c, selected: c === status }, t(`cat.${c || 'all'}`))));
  const searchInput = h('input', { id: 'search', name: 'search', type: 'search', value: search, autocomplete: 'off', 'aria-describedby': hintId, spellcheck: 'false' });
  const results = h('div', { class: 'results' });
  const count = h('p', { class: 'muted visually-hidden', 'aria-live': 'polite' });

  const cols = isUser
    ? [t('col.email'), t('col.name'), t('col.status'), t('col.admin'), t('col.roles'), t('col.portals'), t('col.invitation'), t('col.actions')]
    : [t('col.email'), t('col.name'), t('col.role'), t('col.status'), t('col.invitation'), t('col.actions')];

  const row = (p) => {
    const label = (a) => t('act.label', { action: t(`act.${a}`), email: p.email });
    const btn = (a, cls = 'secondary') => h('button', {
      type: 'button', class: `${cls} small`, dataset: { action: a }, 'aria-label': label(a),
      onclick: (ev) => (a === 'edit' ? editDialog(p, ev.currentTarget) : act(p, a)),
    }, t(`act.${a}`));
    const acts = [btn('edit')];
    if (p.status === 'disabled') acts.push(btn('enable'));
    if (p.status === 'enabled') acts.push(btn('disable'));
    if (p.status === 'unconfirmed') acts.push(btn('reinvite'));
    acts.push(btn('delete', 'danger'));
    const statusCell = cell(t('col.status'), h('span', { class: `badge ${p.status}` }, t(`status.${p.status}`)));
    const cells = isUser
      ? [
        cell(cols[0], h('span', { class: 'email' }, p.email)),
        cell(cols[1], p.name),
        statusCell,
        cell(cols[3], p.admin ? t('yes') : t('no')),
        cell(cols[4], p.roles.length ? p.roles.join(', ') : t('none')),
        cell(cols[5], p.portalIds.length ? p.portalIds.map((id) => portalNames.get(id) || id).join(', ') : t('none')),
        cell(cols[6], invitation(p)),
      ]
      : [
        cell(cols[0], h('span', { class: 'email' }, p.email)),
        cell(cols[1], p.name),
        cell(cols[2], t(`role.${p.role}`)),
        statusCell,
        cell(cols[4], invitation(p)),
      ];
    return h('tr', { dataset: { id: p.id, email: p.email, status: p.status } }, cells,
      h('td', { class: 'actions', dataset: { label: t('col.actions') } }, h('div', { class: 'action-buttons' }, acts)));
  };

  const page = pager(async (cursor) => {
    const q = new URLSearchParams({ limit: '50' });
    if (status) q.set('status', status);
    if (search) q.set('search', search);
    if (cursor) q.set('cursor', cursor);
    let data;
    results.setAttribute('aria-busy', 'true');
    try {
      ({ data } = await api.get(`${base}?${q}`));
    } catch (p) {
      errorNotice(p);
      return undefined;
    } finally {
      results.removeAttribute('aria-busy');
    }
    replace(results, table(cols, data.items.map(row), {
      empty: t('users.empty'), id: 'people',
      caption: isUser ? t('users.heading', { customer: name }) : t('operators.heading'),
    }));
    count.textContent = t('users.count', { n: data.items.length });
    return data.nextCursor;
  });

  const remember = () => {
    const q = new URLSearchParams();
    if (status) q.set('status', status);
    if (search) q.set('search', search);
    const path = location.hash.replace(/^#/, '').split('?')[0];
    history.replaceState(null, '', `#${path}${q.toString() ? `?${q}` : ''}`);
  };
  category.addEventListener('change', () => { status = category.value; remember(); page.reset(); });
  const searchForm = h('form', { role: 'search', class: 'filters', id: 'filters' },
    h('div', { class: 'field inline' }, h('label', { for: 'category' }, t('users.category')), category),
    h('div', { class: 'field inline grow' },
      h('label', { for: 'search' }, t('users.search')),
      h('div', { class: 'search-row' }, searchInput, h('button', { type: 'submit', class: 'secondary' }, t('users.searchButton'))),
      h('p', { class: 'hint', id: hintId }, t('users.searchHint'))));
  searchForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    search = searchInput.value.trim();
    remember();
    page.reset();
  });

  async function act(p, action) {
    if (!(await confirmAction(t(`confirm.${action}`, { email: p.email })))) return;
    const path = `${base}/${enc(p.id)}`;
    try {
      if (action === 'delete') await api.del(path);
      else await api.post(`${path}/${action}`);
    } catch (e) {
      // Operators have their own last admin: the provider's.
      if (!isUser && e.code === 'last_admin') notice(t('err.last_operator_admin'), 'error');
      else errorNotice(e);
      if (e.status === 404 || e.status === 412 || e.code === 'concurrent_change') page.reload();
      return;
    }
    await page.reload();
    notice(t(`done.${action}`, { email: p.email }));
    restoreFocus(p.id, action);
  }

  function editDialog(p) {
    const form = h('form', { id: 'edit-form', novalidate: true },
      field({ label: t('add.name'), name: 'name', value: p.name, attrs: { required: true, maxlength: '100' } }),
      isUser ? userRightsFields(portals, p) : roleField(p.role));
    formDialog({
      heading: t('edit.heading', { email: p.email }), form, submitText: t('save'),
      async submit() {
        const body = {};
        const nameValue = form.elements.name.value.trim();
        if (nameValue !== p.name) body.name = nameValue;
        if (isUser) {
          const admin = form.elements.admin.checked;
          const roles = parseRoles(form.elements.roles.value);
          const portalIds = checkedPortals(form);
          if (admin !== p.admin) body.admin = admin;
          if (roles.join('\n') !== p.roles.join('\n')) body.roles = roles;
          if ([...portalIds].sort().join() !== [...p.portalIds].sort().join()) body.portalIds = portalIds;
        } else {
          const role = form.elements.role.value;
          if (role !== p.role) body.role = role;
        }
        if (Object.keys(body).length) {
          await api.patch(`${base}/${enc(p.id)}`, body, { headers: { 'If-Match': `"${p.version}"` } });
          await page.reload();
          notice(t('edit.done', { email: p.email }));
        }
        return true;
      },
      onProblem(e, dialog) {
        if (e.status === 412 || e.code === 'concurrent_change' || e.status === 404) {
          dialog.close('stale');
          errorNotice(e);
          page.reload();
          return true;
        }
        return false;
      },
    });
  }

  function addDialog() {
    if (!isUser) return addOperatorDialog();
    const modeName = uid('mode');
    const oneRadio = h('input', { type: 'radio', name: 'mode', value: 'one', id: `${modeName}-one`, checked: true });
    const manyRadio = h('input', { type: 'radio', name: 'mode', value: 'many', id: `${modeName}-many` });
    const one = h('div', { class: 'group', id: 'add-one' },
      field({ label: t('add.email'), name: 'email', type: 'email', attrs: { required: true, autocomplete: 'off', id: 'add-email', spellcheck: 'false' } }),
      field({ label: t('add.name'), name: 'name', hint: t('add.nameHint'), attrs: { maxlength: '100', autocomplete: 'off' } }));
    const many = h('div', { class: 'group', id: 'add-many', hidden: true },
      field({ label: t('add.list'), name: 'list', type: 'textarea', hint: t('add.listHint'), attrs: { rows: '6', spellcheck: 'false' } }));
    const results = h('div', { class: 'bulk-results', id: 'bulk-results', 'aria-live': 'polite' });
    const form = h('form', { id: 'add-form', novalidate: true },
      h('fieldset', { class: 'choice' }, h('legend', {}, t('add.mode')),
        h('label', { for: oneRadio.id }, oneRadio, ' ', t('add.one')),
        h('label', { for: manyRadio.id }, manyRadio, ' ', t('add.many'))),
      one, many,
      userRightsFields(portals),
      results);
    let dialogRef = null;
    const sync = () => {
      const isMany = manyRadio.checked;
      one.hidden = isMany;
      many.hidden = !isMany;
      if (dialogRef) dialogRef.querySelector('[data-role=submit]').textContent = t(isMany ? 'add.submitMany' : 'add.submit');
    };
    oneRadio.addEventListener('change', sync);
    manyRadio.addEventListener('change', sync);
    let finished = false;
    dialogRef = formDialog({
      heading: t('add.heading'), form, submitText: t('add.submit'), aliases: { emails: 'list' },
      async submit({ save, cancel }) {
        if (finished) return true;
        const common = { admin: form.elements.admin.checked, roles: parseRoles(form.elements.roles.value), portalIds: checkedPortals(form) };
        if (!manyRadio.checked) {
          const email = form.elements.email.value.trim();
          if (!email) { api.showProblem(form, new api.Problem(400, { errors: [{ field: 'email', code: 'required' }] })); return false; }
          const body = { email, ...common };
          const nm = form.elements.name.value.trim();
          if (nm) body.name = nm;
          const { data } = await api.post(base, body, { headers: idempotency() });
          await page.reload();
          notice(t('add.done', { email: data.email }));
          return true;
        }
        const emails = parseEmails(form.elements.list.value);
        if (!emails.length) { api.showProblem(form, new api.Problem(400, { errors: [{ field: 'emails', code: 'required' }] }), { emails: 'list' }); return false; }
        const outcomes = await bulkInvite(`${base}/bulk`, emails, common);
        showBulkResults(results, outcomes);
        finished = true;
        save.textContent = t('close');
        cancel.hidden = true;
        page.reload();
        save.focus();
        return false;
      },
    });
    sync();
  }

  function addOperatorDialog() {
    const form = h('form', { id: 'add-form', novalidate: true },
      field({ label: t('add.email'), name: 'email', type: 'email', attrs: { required: true, autocomplete: 'off', id: 'add-email', spellcheck: 'false' } }),
      field({ label: t('add.name'), name: 'name', hint: t('add.nameHint'), attrs: { maxlength: '100', autocomplete: 'off' } }),
      roleField('technician'));
    formDialog({
      heading: t('operators.inviteHeading'), form, submitText: t('add.submit'),
      async submit() {
        const body = { email: form.elements.email.value.trim(), role: form.elements.role.value };
        const nm = form.elements.name.value.trim();
        if (nm) body.name = nm;
        const { data } = await api.post(base, body, { headers: idempotency() });
        await page.reload();
        notice(t('add.done', { email: data.email }));
        return true;
      },
    });
  }

  await page.reset();
  const heading = isUser ? t('users.heading', { customer: name }) : t('operators.heading');
  const addButton = h('button', { type: 'button', class: 'primary', id: 'add-users', onclick: addDialog }, isUser ? t('users.add') : t('operators.invite'));
  return h('section', {},
    h('div', { class: 'title-row' }, h('h1', { tabindex: '-1' }, heading), h('div', { class: 'toolbar-actions' }, addButton)),
    searchForm, count, results, page.nav);
}

function invitation(p) {
  const inv = p.invitation;
  if (!inv || p.status !== 'unconfirmed') return t('none');
  const when = inv.state === 'expired' ? t('inv.expiredAt', { time: formatTime(inv.expiresAt) }) : t('inv.expires', { time: formatTime(inv.expiresAt) });
  return h('div', { class: 'invitation' },
    h('span', { class: `badge inv-${inv.state}` }, t(`inv.${inv.state}`)), ' ',
    h('span', { class: 'when' }, when), h('br'),
    h('span', { class: 'muted' }, `${t('inv.sent', { count: inv.sendCount })} · ${t(`inv.delivery.${inv.delivery}`)}`));
}

function userRightsFields(portals, p) {
  const adminId = uid('admin');
  const admin = h('div', { class: 'field check', dataset: { field: 'admin' } },
    h('input', { type: 'checkbox', name: 'admin', id: adminId, checked: !!(p && p.admin) }),
    h('label', { for: adminId }, t('add.admin')),
    h('p', { class: 'field-error', hidden: true }));
  const roles = field({ label: t('add.roles'), name: 'roles', value: p ? p.roles.join(', ') : '', hint: t('add.rolesHint'), attrs: { autocomplete: 'off' } });
  const chosen = new Set(p ? p.portalIds : []);
  const portalBox = h('fieldset', { class: 'field portals', dataset: { field: 'portalIds' } },
    h('legend', {}, t('add.portals')),
    portals.length
      ? portals.map((ps) => {
        const id = uid('portal');
        return h('div', { class: 'check' },
          h('input', { type: 'checkbox', name: 'portalIds', value: ps.id, id, checked: chosen.has(ps.id) }),
          h('label', { for: id }, ps.name));
      })
      : h('p', { class: 'muted' }, t('add.noPortals')),
    h('p', { class: 'field-error', hidden: true }));
  return [admin, roles, portalBox];
}

function roleField(role) {
  const select = h('select', {},
    h('option', { value: 'technician', selected: role === 'technician' }, t('operators.roleTechnician')),
    h('option', { value: 'admin', selected: role === 'admin' }, t('operators.roleAdmin')));
  return field({ label: t('operators.role'), name: 'role', control: select });
}

function checkedPortals(form) {
  return [...form.querySelectorAll('input[name=portalIds]:checked')].map((i) => i.value);
}

function parseRoles(s) {
  const seen = new Set();
  return s.split(',').map((r) => r.trim()).filter((r) => r && !seen.has(r) && seen.add(r));
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

function showBulkResults(box, outcomes) {
  const n = (o) => outcomes.filter((r) => r.outcome === o).length;
  replace(box,
    h('h3', {}, t('add.results')),
    h('p', { class: 'summary' }, t('add.summary', { invited: n('invited'), already: n('already_member'), invalid: n('invalid') + n('failed') })),
    h('ul', { class: 'outcomes' }, outcomes.map((r) => h('li', { class: `outcome ${r.outcome}`, dataset: { email: r.email, outcome: r.outcome } },
      h('span', { class: 'email' }, r.email), ' — ',
      r.outcome === 'failed' ? t('outcome.failed', { reason: r.reason }) : t(`outcome.${r.outcome}`)))));
  announce(box.querySelector('.summary').textContent);
}

boot();
