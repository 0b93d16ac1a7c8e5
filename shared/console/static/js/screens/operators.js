// Operators (#/operators, operator admins): the provider's own people,
// listed as people.js lists people, each a technician or an admin.
import { t } from '../i18n.js';
import { h, notice } from '../dom.js';
import { cell, errorNotice, formDialog } from '../ui.js';
import { renderPeople } from './people.js';
import { inviteeFields, invite, roleField } from './person.js';

const base = '/v1/operators';

export function render({ query }) {
  const columns = [t('col.role'), t('col.status')];
  return renderPeople({
    base,
    heading: t('operators.heading'),
    addText: t('operators.invite'),
    columns,
    cells: (p, statusCell) => [cell(columns[0], t(`role.${p.role}`)), statusCell],
    add: inviteDialog,
    editFields: (p) => roleField(p.role),
    editChanges: (form, p) => (form.elements.role.value !== p.role ? { role: form.elements.role.value } : {}),
    refused(e) {
      // Operators have their own last admin: the provider's.
      if (e.code === 'last_admin') notice(t('err.last_operator_admin'), 'error');
      else errorNotice(e);
    },
  }, query);
}

// inviteDialog invites an operator (a technician unless chosen otherwise);
// page is the list's, loaded again after.
function inviteDialog(page) {
  const form = h('form', { id: 'add-form', novalidate: true }, inviteeFields(), roleField('technician'));
  formDialog({
    heading: t('operators.inviteHeading'), form, submitText: t('add.submit'),
    async submit() {
      return invite(base, { email: form.elements.email.value.trim(), role: form.elements.role.value }, form, page);
    },
  });
}
