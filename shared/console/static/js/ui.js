// The pieces the screens are made of, beyond dom.js: paged tables, the form
// dialog, error notices, a change overtaken (staleReload), a confirmed
// delete on a version (deleteConfirmed), safe links and idempotency keys.
import { t } from './i18n.js';
import { h, notice, openDialog, uid, clearFieldErrors, confirmAction, restoreFocus } from './dom.js';
import * as api from './api.js';

// ---- lists --------------------------------------------------------------------

// pager keeps the cursors of the pages seen, for Previous and Next. load
// (cursor, current) draws the page at a cursor and returns the next page's
// cursor (null: the last page), or undefined when it could not (the page
// stays where it was). Only the newest load may draw: current() is false
// once another was asked for (a filter changed again, Next clicked twice),
// and load then draws nothing and says nothing, so that a slow answer to an
// older question never replaces the answer to a newer one.
export function pager(load) {
  const cursors = [null];
  let index = 0;
  let next = null;
  let asked = 0;
  const prevBtn = h('button', { type: 'button', class: 'secondary small', 'data-page': 'prev' }, t('paging.prev'));
  const nextBtn = h('button', { type: 'button', class: 'secondary small', 'data-page': 'next' }, t('paging.next'));
  const label = h('span', { class: 'muted' });
  const nav = h('nav', { class: 'pager', 'aria-label': t('paging.label') }, prevBtn, label, nextBtn);
  const update = () => {
    prevBtn.disabled = index === 0;
    nextBtn.disabled = !next;
    label.textContent = t('paging.page', { n: index + 1 });
    nav.hidden = index === 0 && !next;
  };
  const go = async (i) => {
    const mine = ++asked;
    const current = () => mine === asked;
    const res = await load(cursors[i], current);
    if (!current() || res === undefined) return;
    index = i;
    next = res;
    if (next && cursors.length === index + 1) cursors.push(next);
    else if (next) cursors[index + 1] = next;
    update();
  };
  prevBtn.addEventListener('click', () => go(index - 1));
  nextBtn.addEventListener('click', () => go(index + 1));
  return {
    nav,
    reload: () => go(index),
    reset: () => { cursors.length = 1; return go(0); },
  };
}

export function table(columns, rows, { empty, caption, id }) {
  if (!rows.length) return h('p', { class: 'muted empty', id }, empty);
  return h('table', { class: 'list', id },
    caption ? h('caption', { class: 'visually-hidden' }, caption) : null,
    h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, rows));
}

// cell is a table cell; label is its column's heading (shown beside the
// value on a phone).
export function cell(label, ...content) { return h('td', { dataset: { label } }, ...content); }

// ---- messages and links -------------------------------------------------------

// errorNotice says what went wrong; a 401 has already ended the session.
export function errorNotice(p) {
  if (p && p.status === 401) return;
  notice(api.describe(p), 'error');
}

// staleReload answers a change that someone else's change overtook (412,
// 404, concurrent_change): the open dialogs close, the screen is drawn again
// with what is there now, and message (or else the problem's own text) says
// so. It answers false for any other problem, which is the caller's.
export function staleReload(p, redraw, message) {
  if (!p || (p.status !== 412 && p.code !== 'concurrent_change' && p.status !== 404)) return false;
  for (const d of document.querySelectorAll('dialog[open]')) d.close();
  redraw().then(() => notice(message || api.describe(p), 'error'));
  return true;
}

// deleteConfirmed deletes the item at path, on its version, once the user
// answers yes to question: the screen is drawn again and done says what
// happened; focus (or else restoreFocus) puts the focus back. A change that
// overtook it is answered as staleReload does, with stale.
export async function deleteConfirmed({ question, path, version, redraw, done, stale, focus }) {
  if (!(await confirmAction(question))) return;
  try {
    await api.del(path, { headers: { 'If-Match': `"${version}"` } });
  } catch (p) {
    if (!staleReload(p, redraw, stale)) errorNotice(p);
    return;
  }
  await redraw();
  notice(done);
  if (focus) focus();
  else restoreFocus();
}

// safeURL is u when it is an http(s) URL, else '#'.
export function safeURL(u) {
  try {
    const p = new URL(u);
    return p.protocol === 'https:' || p.protocol === 'http:' ? p.href : '#';
  } catch { return '#'; }
}

// ---- dialogs ------------------------------------------------------------------

export function idempotency() {
  return { 'Idempotency-Key': crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random()}` };
}

// formDialog shows form in a modal dialog with Save and Cancel; submit
// returns true to close it. The API's answers are shown in the form.
// danger makes Save the red button of a change that cannot be undone (made
// so from the start: a class changed once shown would fade from one to
// the other).
export function formDialog({ heading, form, submitText, submit, aliases, onProblem, danger = false }) {
  const headingId = uid('dialog');
  const save = h('button', { type: 'submit', class: danger ? 'danger' : 'primary', 'data-role': 'submit' }, submitText);
  const cancel = h('button', { type: 'button', class: 'secondary', 'data-role': 'cancel' }, t('cancel'));
  form.append(h('div', { class: 'buttons' }, save, cancel));
  const dialog = h('dialog', { 'aria-labelledby': headingId, class: 'form-dialog' }, h('h2', { id: headingId }, heading), form);
  cancel.addEventListener('click', () => dialog.close('cancel'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearFieldErrors(form);
    save.disabled = true;
    try {
      if (await submit({ dialog, save, cancel })) dialog.close('done');
    } catch (p) {
      if (p && p.status === 401) return;
      if (onProblem && onProblem(p, dialog)) return;
      api.showProblem(form, p, aliases);
    } finally {
      save.disabled = false;
    }
  });
  // The first field to fill in (the mode radios of "Add users" come before it).
  const first = form.querySelector('input:not([type=hidden]):not([type=radio]):not([type=checkbox]), textarea, select');
  openDialog(dialog, { focus: first });
  return dialog;
}
