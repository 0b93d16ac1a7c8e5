// A customer's role catalogue (#/c/<id>/roles): the roles its users can be
// given (seed 002, "The list of available roles is shown on the Portal
// users detail"). Operators and the customer's portal admins add, rename,
// describe and delete them; a rename shows at once on every user who has
// the role, and a delete removes it from them (the API keeps the roles'
// ids on the users, so neither touches a user).
import '../i18n-roles.js';
import { t } from '../i18n.js';
import { h, field, notice, restoreFocus, setFieldError } from '../dom.js';
import * as api from '../api.js';
import { customerName } from '../data.js';
import { table, cell, formDialog, idempotency, staleReload as uiStaleReload, deleteConfirmed } from '../ui.js';

const enc = encodeURIComponent;

export async function render({ cid, redraw }) {
  const base = `/v1/customers/${enc(cid)}/roles`;
  const [name, res] = await Promise.all([customerName(cid), api.get(base)]);
  const roles = res.data.items;
  const cols = [t('roles.name'), t('roles.description'), t('col.actions')];
  const rows = roles.map((r) => h('tr', { dataset: { id: r.id, name: r.name } },
    cell(cols[0], h('span', { class: 'role-name' }, r.name)),
    cell(cols[1], r.description || t('none')),
    cell(cols[2], h('div', { class: 'action-buttons' },
      h('button', { type: 'button', class: 'secondary small', dataset: { action: 'edit' }, 'aria-label': t('roles.changeLabel', { name: r.name }),
        onclick: () => roleDialog(base, r, redraw) }, t('roles.change')),
      h('button', { type: 'button', class: 'danger small', dataset: { action: 'delete' }, 'aria-label': t('roles.deleteLabel', { name: r.name }),
        onclick: () => deleteRole(base, r, redraw) }, t('roles.delete'))))));
  return h('section', { class: 'roles' },
    h('div', { class: 'title-row' }, h('h1', { tabindex: '-1' }, t('roles.heading', { customer: name })),
      h('button', { type: 'button', class: 'primary', id: 'add-role', onclick: () => roleDialog(base, null, redraw) }, t('roles.add'))),
    h('p', { class: 'intro' }, t('roles.intro')),
    table(cols, rows, { empty: t('roles.empty'), caption: t('nav.roles'), id: 'roles' }),
    roles.length ? h('p', { class: 'muted', id: 'roles-count' }, t('roles.howMany', { n: roles.length })) : null);
}

// roleDialog adds a role (r null) or changes one's name and description,
// on its version.
function roleDialog(base, r, redraw) {
  const form = h('form', { id: 'role-form', novalidate: true },
    field({ label: t('roles.name'), name: 'name', value: r ? r.name : '', hint: t('roles.nameHint'), attrs: { required: true, maxlength: '64', autocomplete: 'off' } }),
    field({ label: `${t('roles.description')} ${t('optional')}`, name: 'description', type: 'textarea', hint: t('roles.descriptionHint'), attrs: { rows: '3', maxlength: '500' } }));
  form.elements.description.value = r ? r.description || '' : '';
  formDialog({
    heading: r ? t('roles.editHeading', { name: r.name }) : t('roles.addHeading'), form, submitText: t('save'),
    async submit() {
      const name = form.elements.name.value.trim();
      const description = form.elements.description.value.trim();
      if (!name) {
        setFieldError(form, 'name', t('roles.nameRule'));
        form.elements.name.focus();
        return false;
      }
      if (!r) {
        const body = { name };
        if (description) body.description = description;
        const { data } = await api.post(base, body, { headers: idempotency() });
        await redraw();
        notice(t('roles.added', { name: data.name }));
        restoreFocus(data.id, 'edit');
        return true;
      }
      const body = {};
      if (name !== r.name) body.name = name;
      if (description !== (r.description || '')) body.description = description;
      if (!Object.keys(body).length) return true;
      const { data } = await api.patch(`${base}/${enc(r.id)}`, body, { headers: { 'If-Match': `"${r.version}"` } });
      await redraw();
      notice(body.name ? t('roles.renamed', { old: r.name, name: data.name }) : t('roles.changed', { name: data.name }));
      restoreFocus(r.id, 'edit');
      return true;
    },
    onProblem(p) {
      if (p && p.code === 'role_exists') {
        setFieldError(form, 'name', t('err.role_exists'));
        form.elements.name.focus();
        return true;
      }
      if (p && p.status === 400 && p.errors.length) {
        for (const e of p.errors) {
          const top = String(e.field).split(/[.[]/)[0];
          if (top === 'name') setFieldError(form, 'name', t('roles.nameRule'));
          if (top === 'description') setFieldError(form, 'description', t('roles.descriptionRule'));
        }
        if (form.querySelector('[aria-invalid="true"]')) {
          form.querySelector('[aria-invalid="true"]').focus();
          return true;
        }
      }
      return staleReload(p, redraw);
    },
  });
}

// deleteRole deletes role r, on its version, once confirmed.
function deleteRole(base, r, redraw) {
  return deleteConfirmed({
    question: t('roles.confirmDelete', { name: r.name }),
    path: `${base}/${enc(r.id)}`, version: r.version, redraw, done: t('roles.deleted', { name: r.name }), stale: t('roles.stale'),
  });
}

// staleReload is ui.js's, with the catalogue's own words.
function staleReload(p, redraw) { return uiStaleReload(p, redraw, t('roles.stale')); }
