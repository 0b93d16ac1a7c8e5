// Home (#/): a greeting; for an operator, their role and a link to the
// customers; for a portal user, each customer they belong to with its
// portals (and, for its admins, a link to its users).
import { t } from '../i18n.js';
import { h } from '../dom.js';
import { state } from '../state.js';
import { isOperator } from '../access.js';
import { safeURL } from '../ui.js';

const enc = encodeURIComponent;

export function render() {
  const { me } = state;
  const parts = [h('h1', { tabindex: '-1' }, t('home.heading')), h('p', {}, t('home.greeting', { name: me.name || me.email }))];
  if (isOperator()) {
    parts.push(h('p', {}, t('home.operator', { role: t(`role.${me.operator.role}`) })),
      h('p', {}, h('a', { href: '#/customers' }, t('home.customersLink'))));
  }
  if (me.memberships.length) {
    parts.push(h('h2', {}, t('home.memberships')));
    parts.push(h('ul', { class: 'cards', id: 'memberships' }, me.memberships.map(membershipCard)));
  } else if (!isOperator()) {
    parts.push(h('p', { id: 'memberships' }, t('home.noMemberships')));
  }
  return h('section', {}, parts);
}

function membershipCard(m) {
  return h('li', { class: 'card', dataset: { customer: m.customerId } },
    h('h3', {}, m.customerName),
    m.admin ? h('p', {}, t('home.admin')) : null,
    m.roles.length ? h('p', {}, t('home.roles', { roles: m.roles.join(', ') })) : null,
    m.portals.length
      ? h('ul', { class: 'portal-links' }, m.portals.map((p) => h('li', {},
        h('a', { href: safeURL(p.url), rel: 'noopener noreferrer', target: '_blank' }, p.name),
        ' ', h('span', { class: 'muted url' }, p.url))))
      : h('p', { class: 'muted' }, t('home.noPortals')),
    m.admin ? h('p', {}, h('a', { href: `#/c/${enc(m.customerId)}/users` }, t('home.manageUsers', { customer: m.customerName }))) : null);
}
