// One person's forms, for users and operators alike: who to invite and
// sending the invitation, a user's rights, an operator's role, and the edit
// dialog of a person in the list (people.js).
import { t } from '../i18n.js';
import { h, field, notice, uid } from '../dom.js';
import * as api from '../api.js';
import { formDialog, idempotency, errorNotice } from '../ui.js';
import { rolePicker, chosenRoles, rolesChanged } from '../role-picker.js';

const enc = encodeURIComponent;

// isStale says that a person changed or went away meanwhile (the list is
// then loaded again).
export const isStale = (e) => e.status === 404 || e.status === 412 || e.code === 'concurrent_change';

// ---- inviting ---------------------------------------------------------------------

// inviteeFields are the e-mail address and name of one person to invite.
export function inviteeFields() {
  return [
    field({ label: t('add.email'), name: 'email', type: 'email', attrs: { required: true, autocomplete: 'off', id: 'add-email', spellcheck: 'false' } }),
    field({ label: t('add.name'), name: 'name', hint: t('add.nameHint'), attrs: { maxlength: '100', autocomplete: 'off' } }),
  ];
}

// inviteeEmail is the form's e-mail address, trimmed; when there is none,
// the form says so next to the field and it is ''. The API refuses an
// empty address too, but a person should not have to wait for it.
export function inviteeEmail(form) {
  const email = form.elements.email.value.trim();
  if (!email) api.showProblem(form, new api.Problem(400, { errors: [{ field: 'email', code: 'required' }] }));
  return email;
}

// invite posts body (with the form's name, when given) to base, the list's
// path, then loads the list's page again and says who was invited (or
// added, with body.sendInvitation false: invited later).
export async function invite(base, body, form, page) {
  const nm = form.elements.name.value.trim();
  if (nm) body.name = nm;
  const { data } = await api.post(base, body, { headers: idempotency() });
  await page.reload();
  notice(t(body.sendInvitation === false ? 'later.done' : 'add.done', { email: data.email }));
  return true;
}

// ---- a user's rights and an operator's role ----------------------------------------

// userRightsFields are the admin flag, roles (from catalogue, the
// customer's roles) and portal setups (of the customer's portals) of a
// user, filled in from user p when given.
export function userRightsFields(portals, catalogue, p) {
  const adminId = uid('admin');
  const admin = h('div', { class: 'field check', dataset: { field: 'admin' } },
    h('input', { type: 'checkbox', name: 'admin', id: adminId, checked: !!(p && p.admin) }),
    h('label', { for: adminId }, t('add.admin')),
    h('p', { class: 'field-error', hidden: true }));
  const roles = rolePicker(catalogue, p);
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

// userRights reads the fields of userRightsFields, as the API takes them
// (roles "all" or names of the catalogue).
export function userRights(form) {
  return { admin: form.elements.admin.checked, roles: chosenRoles(form), portalIds: checkedPortals(form) };
}

// userRightsChanges are the rights in form that differ from user p's
// (catalogue: what "all" gives).
export function userRightsChanges(form, p, catalogue) {
  const { admin, roles, portalIds } = userRights(form);
  const body = {};
  if (admin !== p.admin) body.admin = admin;
  if (rolesChanged(roles, p, catalogue)) body.roles = roles;
  if ([...portalIds].sort().join() !== [...p.portalIds].sort().join()) body.portalIds = portalIds;
  return body;
}

function checkedPortals(form) {
  return [...form.querySelectorAll('input[name=portalIds]:checked')].map((i) => i.value);
}

// roleField picks an operator's role.
export function roleField(role) {
  const select = h('select', {},
    h('option', { value: 'technician', selected: role === 'technician' }, t('operators.roleTechnician')),
    h('option', { value: 'admin', selected: role === 'admin' }, t('operators.roleAdmin')));
  return field({ label: t('operators.role'), name: 'role', control: select });
}

// ---- editing ----------------------------------------------------------------------

// localMinute is an RFC 3339 moment as a datetime-local field shows it (the
// browser's time zone, to the minute); '' for none.
function localMinute(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  const two = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}T${two(d.getHours())}:${two(d.getMinutes())}`;
}

// editDialog edits person p of the list (kind and page as in people.js):
// the name, and kind.editFields(p) (or a promise of them: a customer's
// role catalogue is read first); kind.editChanges(form, p) says what of
// those changed. Only what changed is sent, if anything.
export async function editDialog(kind, page, p) {
  let fields;
  try { fields = await kind.editFields(p); } catch (e) { errorNotice(e); return; }
  const form = h('form', { id: 'edit-form', novalidate: true },
    field({ label: t('add.name'), name: 'name', value: p.name, attrs: { required: true, maxlength: '100' } }),
    fields,
    field({ label: t('access.until'), name: 'accessUntil', type: 'datetime-local', value: localMinute(p.accessUntil), hint: t('access.untilHint') }));
  formDialog({
    heading: t('edit.heading', { email: p.email }), form, submitText: t('save'),
    async submit() {
      const body = {};
      const nameValue = form.elements.name.value.trim();
      if (nameValue !== p.name) body.name = nameValue;
      Object.assign(body, kind.editChanges(form, p));
      const until = form.elements.accessUntil.value;
      if (until !== localMinute(p.accessUntil)) body.accessUntil = until ? new Date(until).toISOString() : null;
      if (Object.keys(body).length) {
        await api.patch(`${kind.base}/${enc(p.id)}`, body, { headers: { 'If-Match': `"${p.version}"` } });
        await page.reload();
        notice(t('edit.done', { email: p.email }));
      }
      return true;
    },
    onProblem(e, dialog) {
      if (!isStale(e)) return false;
      dialog.close('stale');
      errorNotice(e);
      page.reload();
      return true;
    },
  });
}
