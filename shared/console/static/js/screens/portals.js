// Portal setups (#/c/<id>/portals): a customer's portals; operator admins
// add portal setups here.
import { t, formatTime } from '../i18n.js';
import { h, field, notice, restoreFocus } from '../dom.js';
import * as api from '../api.js';
import { isOperatorAdmin } from '../access.js';
import { customerName, portalsOf } from '../data.js';
import { table, cell, safeURL, formDialog, idempotency } from '../ui.js';

const enc = encodeURIComponent;

export async function render({ cid, redraw }) {
  const [name, items] = await Promise.all([customerName(cid), portalsOf(cid)]);
  const actions = isOperatorAdmin()
    ? h('div', { class: 'toolbar-actions' }, h('button', { type: 'button', class: 'primary', id: 'new-portal', onclick: () => newPortalDialog(cid, redraw) }, t('portals.new')))
    : null;
  return h('section', {},
    h('div', { class: 'title-row' }, h('h1', { tabindex: '-1' }, t('portals.heading', { customer: name })), actions),
    table([t('portals.name'), t('col.url'), t('customers.created')],
      items.map((p) => h('tr', { dataset: { id: p.id } },
        cell(t('portals.name'), p.name),
        cell(t('col.url'), h('a', { href: safeURL(p.url), rel: 'noopener noreferrer', target: '_blank' }, p.url)),
        cell(t('customers.created'), formatTime(p.createdAt)))),
      { empty: t('portals.empty'), caption: t('nav.portals'), id: 'portals' }));
}

// newPortalDialog adds a portal setup to customer cid, then draws the
// screen again (redraw).
function newPortalDialog(cid, redraw) {
  const form = h('form', { id: 'portal-form', novalidate: true },
    field({ label: t('portals.name'), name: 'name', attrs: { required: true, maxlength: '100' } }),
    field({ label: t('portals.url'), name: 'url', type: 'url', hint: t('portals.urlHint'), attrs: { required: true, inputmode: 'url' } }));
  formDialog({
    heading: t('portals.new'), form, submitText: t('save'),
    async submit() {
      const body = { name: form.elements.name.value.trim(), url: form.elements.url.value.trim() };
      const { data } = await api.post(`/v1/customers/${enc(cid)}/portals`, body, { headers: idempotency() });
      await redraw();
      notice(t('portals.done', { name: data.name }));
      restoreFocus();
      return true;
    },
  });
}
