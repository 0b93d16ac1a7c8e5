// The header: the brand, the customer switcher, who is signed in with the
// sign-out button, and the nav links. The nav links and the switcher are
// drawn again only when what they hold changes (state.navKey and
// state.switcherKey), not on every screen, so that a click on the header
// never lands on an element being replaced.
import { t } from './i18n.js';
import './i18n-profile.js';
import './i18n-import.js';
import './i18n-roles.js';
import './i18n-webhooks.js';
import { h, replace, announce } from './dom.js';
import { state } from './state.js';
import { isOperator, isOperatorAdmin, adminMemberships, canManage, canWebhooks } from './access.js';
import { loadCustomers } from './data.js';
import { errorNotice } from './ui.js';

const top = document.getElementById('top');
const enc = encodeURIComponent;

// renderBareHeader shows the brand alone (signed out, or starting).
export function renderBareHeader() {
  replace(top, h('div', { class: 'bar' }, h('span', { class: 'brand' }, t('app.name'))));
}

// navLinks are the nav's [href, text, screen] for the person signed in.
function navLinks() {
  const links = [['#/', t('nav.home'), 'home']];
  if (isOperator()) links.push(['#/customers', t('nav.customers'), 'customers']);
  const cid = state.currentCustomer;
  if (cid && canManage(cid)) {
    const c = `#/c/${enc(cid)}`;
    links.push([`${c}/users`, t('nav.users'), 'users'], [`${c}/portals`, t('nav.portals'), 'portals'], [`${c}/audit`, t('nav.audit'), 'audit']);
    links.push([`${c}/roles`, t('nav.roles'), 'roles']);
    links.push([`${c}/profile`, t('nav.profile'), 'profile']);
    links.push([`${c}/import`, t('nav.import'), 'import']);
    if (canWebhooks(cid)) links.push([`${c}/webhooks`, t('nav.webhooks'), 'webhooks']);
  }
  if (isOperatorAdmin()) links.push(['#/operators', t('nav.operators'), 'operators']);
  if (isOperatorAdmin()) links.push(['#/audit', t('nav.providerAudit'), 'provider-audit']);
  return links;
}

// renderHeader draws the header for screen (its nav link is the current
// page); onSignOut is what the sign-out button does.
export function renderHeader(screen = state.currentScreen, { onSignOut } = {}) {
  if (!state.me) return;
  const links = navLinks();
  if (!top.querySelector('#signed-in-as')) {
    state.navKey = '';
    state.switcherKey = '';
    replace(top,
      h('div', { class: 'bar' },
        h('a', { class: 'brand', href: '#/' }, t('app.name')),
        h('div', { id: 'switcher-slot' }),
        h('div', { class: 'who' },
          h('span', { class: 'muted', id: 'signed-in-as' }, t('header.signedInAs', { email: state.me.email })),
          h('button', { type: 'button', class: 'secondary small', id: 'sign-out', onclick: onSignOut }, t('header.signOut')))),
      h('nav', { 'aria-label': t('nav.label') }, h('ul', { id: 'nav-links' })));
  }
  const key = links.map((l) => l[0]).join(' ');
  if (key !== state.navKey) {
    state.navKey = key;
    replace(top.querySelector('#nav-links'), links.map(([href, text, name]) => h('li', {}, h('a', { href, dataset: { screen: name } }, text))));
  }
  for (const a of top.querySelectorAll('#nav-links a')) {
    if (a.dataset.screen === screen) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  renderSwitcher();
}

// switcherOptions are the customers to pick from, as [id, name]: an
// operator's customers, or the customers someone is an admin of when more
// than one; the current customer is among them when its name is known.
function switcherOptions() {
  const { customers, currentCustomer } = state;
  let options = [];
  if (isOperator()) options = customers.items.map((c) => [c.id, c.name]);
  else if (adminMemberships().length > 1) options = adminMemberships().map((m) => [m.customerId, m.customerName]);
  if (options.length && currentCustomer && !options.some(([id]) => id === currentCustomer) && customers.names.has(currentCustomer)) {
    options.unshift([currentCustomer, customers.names.get(currentCustomer)]);
  }
  return options;
}

// loadSwitcher loads an operator's customers for the switcher, then draws
// it; when they cannot be loaded, the switcher says so, with a button to
// try again. A 401 has already ended the session.
export async function loadSwitcher() {
  state.customers.failed = false;
  try {
    await loadCustomers();
  } catch (p) {
    if (p && p.status === 401) return;
    if (!state.me) return;
    state.customers.failed = true;
  }
  renderSwitcher();
}

// The switcher lets operators (and admins of several customers) pick a customer.
export function renderSwitcher() {
  const slot = top.querySelector('#switcher-slot');
  if (!slot) return;
  const failed = isOperator() && state.customers.failed && !state.customers.loaded;
  const options = switcherOptions();
  const key = JSON.stringify([options, state.currentCustomer, !!state.customers.next, failed]);
  if (key === state.switcherKey) return;
  state.switcherKey = key;
  if (failed) {
    replace(slot, switcherFailed());
    return;
  }
  if (!options.length) {
    slot.replaceChildren();
    return;
  }
  const id = 'switcher';
  const select = h('select', { id, name: 'customer' },
    h('option', { value: '' }, t('switcher.choose')),
    options.map(([v, name]) => h('option', { value: v, selected: v === state.currentCustomer }, name)));
  select.addEventListener('change', () => {
    if (select.value) location.hash = `#/c/${enc(select.value)}/users`;
  });
  const more = isOperator() && state.customers.next ? moreCustomersButton(id) : null;
  replace(slot, h('div', { class: 'switcher' }, h('label', { for: id }, t('switcher.label')), select, more));
}

// switcherFailed says the operator's customers could not be loaded, with a
// button that tries again (the focus stays on what replaces it).
function switcherFailed() {
  const retry = h('button', {
    type: 'button', class: 'secondary small', id: 'switcher-retry',
    onclick: async () => {
      retry.disabled = true;
      await loadSwitcher();
      retry.disabled = false;
      if (state.customers.failed) announce(t('switcher.failed'));
      document.getElementById(state.customers.failed ? 'switcher-retry' : 'switcher')?.focus();
    },
  }, t('retry'));
  return h('div', { class: 'switcher', id: 'switcher-error', role: 'alert' },
    h('span', { class: 'switcher-failed' }, t('switcher.failed')), retry);
}

// moreCustomersButton loads the operator's next page of customers into the
// switcher (whose id is selectId).
function moreCustomersButton(selectId) {
  return h('button', {
    type: 'button', class: 'secondary small', id: 'more-customers',
    onclick: async () => {
      try { await loadCustomers(true); } catch (p) { errorNotice(p); return; }
      renderSwitcher();
      document.getElementById(state.customers.next ? 'more-customers' : selectId)?.focus();
    },
  }, t('switcher.more'));
}
