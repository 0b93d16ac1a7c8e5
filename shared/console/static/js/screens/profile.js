// A customer's organization profile (#/c/<id>/profile): the seed's
// "Change the service information". Its addresses, which the customer's
// portal admins and operators add, change and delete; its service
// agreements, which operators keep and portal admins read; and, for
// operator admins, the customer itself: its name and language, and
// offboarding it (after typing its name), which opens the job's progress.
import '../i18n-profile.js';
import { t } from '../i18n.js';
import { h, field, notice, restoreFocus, setFieldError } from '../dom.js';
import * as api from '../api.js';
import { state } from '../state.js';
import { isOperator, isOperatorAdmin } from '../access.js';
import { table, cell, formDialog, idempotency, staleReload, deleteConfirmed } from '../ui.js';
import { countries, countryName } from '../countries.js';

const enc = encodeURIComponent;
const KINDS = ['actual', 'legal', 'shipping'];

export async function render({ cid, redraw }) {
  const base = `/v1/customers/${enc(cid)}`;
  const [cu, addresses, agreements] = await Promise.all([
    api.get(base), api.get(`${base}/addresses`), api.get(`${base}/service-agreements`)]);
  const customer = { ...cu.data, etag: cu.etag };
  state.customers.names.set(customer.id, customer.name);
  return h('section', { class: 'profile' },
    h('h1', { tabindex: '-1' }, t('profile.heading', { customer: customer.name })),
    isOperatorAdmin() ? customerPanel(customer, redraw) : null,
    addressesPanel(base, addresses.data.items, redraw),
    agreementsPanel(base, agreements.data.items, redraw),
    isOperatorAdmin() ? offboardPanel(customer) : null);
}

// ---- the customer ---------------------------------------------------------------

function customerPanel(cu, redraw) {
  return h('section', { class: 'panel profile-part', 'aria-labelledby': 'customer-heading' },
    h('div', { class: 'title-row' }, h('h2', { id: 'customer-heading' }, t('profile.customer')),
      h('button', { type: 'button', class: 'secondary', id: 'edit-customer', onclick: () => customerDialog(cu, redraw) }, t('profile.edit'))),
    h('dl', { class: 'facts' },
      h('dt', {}, t('profile.name')), h('dd', { id: 'customer-name' }, cu.name),
      h('dt', {}, t('profile.language')), h('dd', { id: 'customer-locale' }, t(`locale.${cu.locale}`))));
}

function customerDialog(cu, redraw) {
  const locale = h('select', {}, ['en', 'nl'].map((l) => h('option', { value: l, selected: l === cu.locale }, t(`locale.${l}`))));
  const form = h('form', { id: 'customer-form', novalidate: true },
    field({ label: t('profile.name'), name: 'name', value: cu.name, attrs: { required: true, maxlength: '100', autocomplete: 'organization' } }),
    field({ label: t('profile.language'), name: 'locale', control: locale }));
  formDialog({
    heading: t('profile.edit'), form, submitText: t('save'),
    async submit() {
      const body = { name: form.elements.name.value.trim(), locale: form.elements.locale.value };
      const { data } = await api.patch(`/v1/customers/${enc(cu.id)}`, body, { headers: { 'If-Match': cu.etag } });
      state.customers.names.set(data.id, data.name);
      for (const c of state.customers.items) if (c.id === data.id) c.name = data.name;
      state.switcherKey = '';
      await redraw();
      notice(t('profile.saved', { name: data.name }));
      restoreFocus();
      return true;
    },
  });
}

// ---- addresses ------------------------------------------------------------------

// oneLine is an address on one line, as a person reads it.
function oneLine(a) {
  return [...a.lines, [a.postalCode, a.city].join(' '), a.region, countryName(a.country)].filter(Boolean).join(', ');
}

function addressesPanel(base, items, redraw) {
  const cols = [t('addresses.kind'), t('addresses.label'), t('addresses.address'), t('col.actions')];
  const rows = items.map((a) => {
    const what = a.label || oneLine(a);
    return h('tr', { dataset: { id: a.id } },
      cell(cols[0], t(`kind.${a.kind}`)),
      cell(cols[1], a.label || t('none')),
      cell(cols[2], h('span', { class: 'address' }, oneLine(a))),
      cell(cols[3], h('div', { class: 'action-buttons' },
        h('button', { type: 'button', class: 'secondary small', 'data-action': 'edit', 'aria-label': t('profile.changeWhat', { what }),
          onclick: () => addressDialog(base, a, redraw) }, t('profile.change')),
        h('button', { type: 'button', class: 'danger small', 'data-action': 'delete', 'aria-label': t('profile.deleteWhat', { what }),
          onclick: () => deleteAddress(base, a, redraw) }, t('profile.delete')))));
  });
  return h('section', { class: 'profile-part', 'aria-labelledby': 'addresses-heading' },
    h('div', { class: 'title-row' }, h('h2', { id: 'addresses-heading' }, t('addresses.heading')),
      h('button', { type: 'button', class: 'primary', id: 'add-address', onclick: () => addressDialog(base, null, redraw) }, t('addresses.add'))),
    table(cols, rows, { empty: t('addresses.empty'), caption: t('addresses.heading'), id: 'addresses' }));
}

// addressDialog adds an address (a null) or changes one, on its version.
function addressDialog(base, a, redraw) {
  const kind = h('select', { required: true }, KINDS.map((k) => h('option', { value: k, selected: a ? a.kind === k : k === 'actual' }, t(`kind.${k}`))));
  const country = h('select', { required: true, autocomplete: 'country' },
    h('option', { value: '' }, t('addresses.chooseCountry')),
    countries().map(([code, name]) => h('option', { value: code, selected: a ? a.country === code : false }, name)));
  const form = h('form', { id: 'address-form', novalidate: true },
    field({ label: t('addresses.kind'), name: 'kind', control: kind }),
    field({ label: `${t('addresses.label')} ${t('optional')}`, name: 'label', value: a ? a.label || '' : '', hint: t('addresses.labelHint'), attrs: { maxlength: '64' } }),
    field({ label: t('addresses.lines'), name: 'lines', type: 'textarea', hint: t('addresses.linesHint'), attrs: { rows: '3', required: true, autocomplete: 'street-address' } }),
    field({ label: t('addresses.postalCode'), name: 'postalCode', value: a ? a.postalCode : '', attrs: { required: true, maxlength: '16', autocomplete: 'postal-code' } }),
    field({ label: t('addresses.city'), name: 'city', value: a ? a.city : '', attrs: { required: true, maxlength: '100', autocomplete: 'address-level2' } }),
    field({ label: `${t('addresses.region')} ${t('optional')}`, name: 'region', value: a ? a.region || '' : '', attrs: { maxlength: '100', autocomplete: 'address-level1' } }),
    field({ label: t('addresses.country'), name: 'country', control: country }));
  if (a) form.elements.lines.value = a.lines.join('\n');
  formDialog({
    heading: a ? t('addresses.edit') : t('addresses.add'), form, submitText: t('save'),
    async submit() {
      const el = form.elements;
      const body = {
        kind: el.kind.value, label: el.label.value.trim(),
        lines: el.lines.value.split('\n').map((l) => l.trim()).filter(Boolean),
        postalCode: el.postalCode.value.trim(), city: el.city.value.trim(), region: el.region.value.trim(), country: el.country.value,
      };
      if (!body.country) {
        setFieldError(form, 'country', t('field.country'));
        form.elements.country.focus();
        return false;
      }
      if (a) await api.patch(`${base}/addresses/${enc(a.id)}`, body, { headers: { 'If-Match': `"${a.version}"` } });
      else await api.post(`${base}/addresses`, body, { headers: idempotency() });
      await redraw();
      notice(a ? t('addresses.changed') : t('addresses.added'));
      restoreFocus(a ? a.id : null, 'edit');
      return true;
    },
    onProblem: (p) => staleReload(p, redraw),
  });
}

function deleteAddress(base, a, redraw) {
  return deleteConfirmed({
    question: t('addresses.confirmDelete', { address: a.label || oneLine(a) }),
    path: `${base}/addresses/${enc(a.id)}`, version: a.version, redraw, done: t('addresses.deleted'),
  });
}

// ---- service agreements ---------------------------------------------------------

function agreementsPanel(base, items, redraw) {
  const writes = isOperator();
  const cols = [t('agreements.name'), t('agreements.reference'), t('agreements.startsOn'), t('agreements.endsOn'), t('agreements.status')];
  if (writes) cols.push(t('col.actions'));
  const rows = items.map((g) => h('tr', { dataset: { id: g.id, status: g.status } },
    cell(cols[0], g.name),
    cell(cols[1], g.reference),
    cell(cols[2], h('time', { datetime: g.startsOn }, formatDay(g.startsOn))),
    cell(cols[3], h('time', { datetime: g.endsOn }, formatDay(g.endsOn))),
    cell(cols[4], h('span', { class: `badge agreement-${g.status}` }, t(`agreement.${g.status}`))),
    writes ? cell(cols[5], h('div', { class: 'action-buttons' },
      h('button', { type: 'button', class: 'secondary small', 'data-action': 'edit', 'aria-label': t('profile.changeWhat', { what: g.name }),
        onclick: () => agreementDialog(base, g, redraw) }, t('profile.change')),
      h('button', { type: 'button', class: 'danger small', 'data-action': 'delete', 'aria-label': t('profile.deleteWhat', { what: g.name }),
        onclick: () => deleteAgreement(base, g, redraw) }, t('profile.delete')))) : null));
  return h('section', { class: 'profile-part', 'aria-labelledby': 'agreements-heading' },
    h('div', { class: 'title-row' }, h('h2', { id: 'agreements-heading' }, t('agreements.heading')),
      writes ? h('button', { type: 'button', class: 'primary', id: 'add-agreement', onclick: () => agreementDialog(base, null, redraw) }, t('agreements.add')) : null),
    h('p', { class: 'muted' }, t('agreements.intro')),
    table(cols, rows, { empty: t('agreements.empty'), caption: t('agreements.heading'), id: 'agreements' }));
}

// formatDay shows a calendar day (YYYY-MM-DD) in the user's locale.
function formatDay(day) {
  const [y, m, d] = String(day).split('-').map(Number);
  if (!y || !m || !d) return day;
  try {
    return new Intl.DateTimeFormat(navigator.languages && navigator.languages.length ? [...navigator.languages] : undefined,
      { dateStyle: 'medium', timeZone: 'UTC' }).format(Date.UTC(y, m - 1, d));
  } catch { return day; }
}

function agreementDialog(base, g, redraw) {
  const form = h('form', { id: 'agreement-form', novalidate: true },
    field({ label: t('agreements.name'), name: 'name', value: g ? g.name : '', attrs: { required: true, maxlength: '100' } }),
    field({ label: t('agreements.reference'), name: 'reference', value: g ? g.reference : '', attrs: { required: true, maxlength: '64' } }),
    field({ label: t('agreements.startsOn'), name: 'startsOn', type: 'date', value: g ? g.startsOn : '', attrs: { required: true } }),
    field({ label: t('agreements.endsOn'), name: 'endsOn', type: 'date', value: g ? g.endsOn : '', attrs: { required: true } }));
  formDialog({
    heading: g ? t('agreements.edit') : t('agreements.add'), form, submitText: t('save'),
    async submit() {
      const el = form.elements;
      const body = { name: el.name.value.trim(), reference: el.reference.value.trim(), startsOn: el.startsOn.value, endsOn: el.endsOn.value };
      const { data } = g
        ? await api.patch(`${base}/service-agreements/${enc(g.id)}`, body, { headers: { 'If-Match': `"${g.version}"` } })
        : await api.post(`${base}/service-agreements`, body, { headers: idempotency() });
      await redraw();
      notice(g ? t('agreements.changed', { name: data.name }) : t('agreements.added', { name: data.name }));
      restoreFocus(g ? g.id : null, 'edit');
      return true;
    },
    onProblem: (p) => staleReload(p, redraw),
  });
}

function deleteAgreement(base, g, redraw) {
  return deleteConfirmed({
    question: t('agreements.confirmDelete', { name: g.name }),
    path: `${base}/service-agreements/${enc(g.id)}`, version: g.version, redraw, done: t('agreements.deleted', { name: g.name }),
  });
}

// ---- offboarding ----------------------------------------------------------------

function offboardPanel(cu) {
  return h('section', { class: 'panel danger-zone profile-part', 'aria-labelledby': 'offboard-heading' },
    h('h2', { id: 'offboard-heading' }, t('offboard.heading')),
    h('p', {}, t('offboard.explain', { customer: cu.name })),
    h('button', { type: 'button', class: 'danger', id: 'offboard', onclick: () => offboardDialog(cu) }, t('offboard.button', { customer: cu.name })));
}

// offboardDialog asks for the customer's name, typed, before the delete;
// then the job's progress is shown.
function offboardDialog(cu) {
  const form = h('form', { id: 'offboard-form', novalidate: true },
    h('p', {}, t('offboard.explain', { customer: cu.name })),
    field({ label: t('offboard.confirmLabel', { customer: cu.name }), name: 'confirm', attrs: { required: true, autocomplete: 'off', spellcheck: 'false' } }));
  formDialog({
    heading: t('offboard.heading'), form, submitText: t('offboard.submit'), danger: true,
    async submit() {
      if (form.elements.confirm.value.trim() !== cu.name) {
        setFieldError(form, 'confirm', t('offboard.mismatch'));
        form.elements.confirm.focus();
        return false;
      }
      const { data } = await api.del(`/v1/customers/${enc(cu.id)}`);
      // The customer is gone for every call from now on.
      state.customers.items = state.customers.items.filter((c) => c.id !== cu.id);
      if (state.currentCustomer === cu.id) state.currentCustomer = null;
      state.navKey = '';
      state.switcherKey = '';
      location.hash = `#/jobs/${enc(data.job.id)}`;
      return true;
    },
  });
}
