// The role picker of the invite, bulk invite and edit dialogs: a user's
// roles are chosen from the customer's catalogue (GET …/roles), one
// checkbox a role, with "all roles" that sends "all" (every role the
// catalogue has at that moment). No free text: a typo cannot make a role.
import './i18n-roles.js';
import { t } from './i18n.js';
import { h, uid } from './dom.js';
import * as api from './api.js';

const enc = encodeURIComponent;

// catalogueOf is customer cid's roles, by name (the API's order).
export async function catalogueOf(cid) {
  const { data } = await api.get(`/v1/customers/${enc(cid)}/roles`);
  return data.items;
}

// rolePicker is the fieldset of the catalogue's roles (catalogue: the
// customer's roles), those of user p (when given) ticked. Roles p holds
// that the catalogue has not (free text from before it) are named below.
export function rolePicker(catalogue, p) {
  const held = new Set(p ? p.roles : []);
  const hintId = uid('roles-hint');
  const allId = uid('roles-all');
  const boxes = catalogue.map((r) => {
    const id = uid('role');
    return h('div', { class: 'check' },
      h('input', { type: 'checkbox', name: 'roles', value: r.name, id, checked: held.has(r.name) }),
      h('label', { for: id }, r.name, r.description ? h('span', { class: 'muted role-description' }, ` — ${r.description}`) : null));
  });
  const inputs = boxes.map((b) => b.querySelector('input'));
  const all = h('input', { type: 'checkbox', name: 'allRoles', id: allId });
  // While "all" is ticked every role is, and cannot be unticked; untick it
  // to choose again, from what was ticked before.
  let before = [];
  all.addEventListener('change', () => {
    if (all.checked) before = inputs.map((i) => i.checked);
    inputs.forEach((i, n) => { i.checked = all.checked || before[n]; i.disabled = all.checked; });
  });
  const known = new Set(catalogue.map((r) => r.name));
  const outside = p ? p.roles.filter((r) => !known.has(r)) : [];
  return h('fieldset', { class: 'field roles', id: 'role-picker', dataset: { field: 'roles' }, 'aria-describedby': hintId },
    h('legend', {}, t('add.roles')),
    h('p', { class: 'hint', id: hintId }, t(catalogue.length ? 'rolepick.hint' : 'rolepick.none')),
    catalogue.length
      ? h('div', { class: 'role-choices' },
        h('div', { class: 'check all-roles' }, all, h('label', { for: allId }, t('rolepick.all', { n: catalogue.length }))),
        boxes)
      : null,
    outside.length ? h('p', { class: 'hint outside-roles' }, t('rolepick.outside', { roles: outside.join(', ') })) : null,
    h('p', { class: 'field-error', hidden: true }));
}

// chosenRoles is what the form's picker says, as the API takes it: "all",
// or the names ticked, in the catalogue's order.
export function chosenRoles(form) {
  const all = form.elements.allRoles;
  if (all && all.checked) return 'all';
  return [...form.querySelectorAll('input[name=roles]:checked')].map((i) => i.value);
}

// rolesChanged says whether chosen (from chosenRoles) differs from the
// roles of the catalogue user p holds; catalogue names what "all" gives.
// Roles p holds from before the catalogue (which the picker cannot show
// ticked) do not make a change: an edit that leaves the roles alone keeps
// them.
export function rolesChanged(chosen, p, catalogue) {
  const known = new Set(catalogue.map((r) => r.name));
  const names = chosen === 'all' ? [...known] : chosen;
  const a = [...names].sort();
  const b = p.roles.filter((r) => known.has(r)).sort();
  return a.join('\n') !== b.join('\n');
}
