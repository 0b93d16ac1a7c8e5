// Reads of the API that several screens share: customers (kept in
// state.customers for the switcher and the headings) and portal setups.
import { state } from './state.js';
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

// portalsOf is a customer's portal setups.
export async function portalsOf(cid) {
  const { data } = await api.get(`/v1/customers/${enc(cid)}/portals`);
  return data.items;
}
