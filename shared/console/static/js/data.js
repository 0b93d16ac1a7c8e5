// Reads of the API that several screens share: customers (kept in
// state.customers for the switcher and the headings) and portal setups.
import { state } from './state.js';
import { lang } from './i18n.js';
import * as api from './api.js';

const enc = encodeURIComponent;

// loadCustomers loads the first page of the operator's customers, once; with
// more, the next page, if there is one.
export async function loadCustomers(more = false) {
  const { customers } = state;
  if (customers.loaded && !more) return;
  if (more && !customers.next) return;
  const q = new URLSearchParams({ limit: '100' });
  if (more) q.set('cursor', customers.next);
  const { data } = await api.get(`/v1/customers?${q}`);
  const known = new Set(customers.items.map((c) => c.id));
  customers.items.push(...data.items.filter((c) => !known.has(c.id)));
  customers.next = data.nextCursor;
  customers.loaded = true;
  for (const c of data.items) customers.names.set(c.id, c.name);
}

// customerName is a customer's name, asked of the API when not yet known.
export async function customerName(cid) {
  const { names } = state.customers;
  if (names.has(cid)) return names.get(cid);
  const { data } = await api.get(`/v1/customers/${enc(cid)}`);
  names.set(cid, data.name);
  return data.name;
}

// byName orders names as a person of the console's language expects
// (ignoring case and accents; "Portal 2" before "Portal 10").
const collator = new Intl.Collator(lang, { sensitivity: 'base', numeric: true });
export const byName = (a, b) => collator.compare(a, b);

// portalsOf is a customer's portal setups, by name (the API's order is no
// order a person would see: the same list must look the same every time);
// setups of the same name by id.
export async function portalsOf(cid) {
  const { data } = await api.get(`/v1/customers/${enc(cid)}/portals`);
  return [...data.items].sort((a, b) => byName(a.name, b.name) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
