// Customers (#/customers, operators): the list of customers, paged, each
// a link to its users; operator admins create customers here.
import { t, formatTime } from '../i18n.js';
import { h, replace, field } from '../dom.js';
import * as api from '../api.js';
import { state } from '../state.js';
import { isOperatorAdmin } from '../access.js';
import { pager, table, cell, errorNotice, formDialog, idempotency } from '../ui.js';

const enc = encodeURIComponent;

export async function render() {
  const results = h('div', { class: 'results', 'aria-live': 'polite' });
  const page = pager((cursor) => loadPage(results, cursor));
  await page.reset();
  const actions = isOperatorAdmin()
    ? h('div', { class: 'toolbar-actions' }, h('button', { type: 'button', class: 'primary', id: 'new-customer', onclick: newCustomerDialog }, t('customers.new')))
    : null;
  return h('section', {},
    h('div', { class: 'title-row' }, h('h1', { tabindex: '-1' }, t('customers.heading')), actions),
    results, page.nav);
}

// loadPage draws the page of customers at cursor into results (see pager).
async function loadPage(results, cursor) {
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
}

// newCustomerDialog creates a customer, then opens its users.
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
