// Small DOM helpers: elements from plain values (text is always set as text,
// never parsed as HTML), the live region, dialogs and field errors.
import { t } from './i18n.js';

// h('button', {class: 'x', onclick: fn}, 'text', child, ...) makes an element.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'value' || k === 'checked' || k === 'selected') el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

let seq = 0;
export function uid(prefix) { return `${prefix}-${++seq}`; }

// announce says something to screen readers (the live region).
export function announce(text) {
  const live = document.getElementById('live');
  if (!live) return;
  live.textContent = '';
  // A new text node in a later task is announced even when it repeats.
  setTimeout(() => { live.textContent = text; }, 30);
}

// notice shows a message at the top of the main area and announces it.
export function notice(text, kind = 'ok') {
  const main = document.getElementById('main');
  let box = document.getElementById('notice');
  if (!box) {
    box = h('div', { id: 'notice', tabindex: '-1' });
    main.prepend(box);
  }
  box.className = `notice ${kind}`;
  box.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  replace(box, h('p', {}, text), h('button', {
    type: 'button', class: 'link', onclick: () => box.remove(),
  }, t('close')));
  if (kind !== 'error') announce(text);
}

export function clearNotice() { document.getElementById('notice')?.remove(); }

// openDialog shows a modal <dialog>; focus moves into it and, when it closes,
// back to the element that had it. It resolves with the dialog's returnValue.
export function openDialog(dialog, { focus } = {}) {
  const opener = document.activeElement;
  const item = opener && opener.closest ? opener.closest('[data-id]') : null;
  const rowId = item ? item.dataset.id : null;
  const action = opener && opener.dataset ? opener.dataset.action : null;
  document.body.append(dialog);
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => {
      dialog.remove();
      if (opener && opener.isConnected && typeof opener.focus === 'function') opener.focus();
      else restoreFocus(rowId, action);
      resolve(dialog.returnValue);
    }, { once: true });
    dialog.showModal();
    if (focus) focus.focus();
  });
}

// restoreFocus puts the focus back where it was when the list it was in has
// been drawn again: the same button of the same row (or card: the element
// with data-id), or else the message that says what happened, or else the
// heading.
export function restoreFocus(rowId, action) {
  const active = document.activeElement;
  if (active && active !== document.body && active.isConnected) return;
  const row = rowId ? document.querySelector(`main [data-id="${CSS.escape(rowId)}"]`) : null;
  const target = (row && ((action && row.querySelector(`[data-action="${CSS.escape(action)}"]`)) || row.querySelector('button')))
    || document.getElementById('notice') || document.querySelector('main h1');
  if (target) target.focus();
}

// confirmAction asks "Are you sure…?" with Yes and No; No has the focus.
export async function confirmAction(message) {
  const headingId = uid('confirm');
  const no = h('button', { type: 'submit', value: 'no', class: 'secondary', id: 'confirm-no' }, t('no'));
  const yes = h('button', { type: 'submit', value: 'yes', class: 'primary', id: 'confirm-yes' }, t('yes'));
  const dialog = h('dialog', { class: 'confirm', 'aria-labelledby': headingId },
    h('form', { method: 'dialog' },
      h('h2', { id: headingId }, t('confirm.heading')),
      h('p', { class: 'confirm-message' }, message),
      h('div', { class: 'buttons' }, yes, no)));
  return (await openDialog(dialog, { focus: no })) === 'yes';
}

// field makes a labelled input with room for a hint and an error message.
export function field({ label, name, type = 'text', value, hint, attrs = {}, control }) {
  const id = attrs.id || uid(`f-${name}`);
  const hintId = hint ? `${id}-hint` : undefined;
  const errId = `${id}-error`;
  const input = control || h(type === 'textarea' ? 'textarea' : 'input', {
    ...attrs, id, name, type: type === 'textarea' ? undefined : type, value,
  });
  input.id = id;
  input.name = name;
  input.setAttribute('aria-describedby', [hintId, errId].filter(Boolean).join(' '));
  return h('div', { class: 'field', dataset: { field: name } },
    h('label', { for: id }, label),
    hint ? h('p', { class: 'hint', id: hintId }, hint) : null,
    input,
    h('p', { class: 'field-error', id: errId, hidden: true }));
}

// setFieldError shows message next to the field named name inside form
// (or clears it when message is empty).
export function setFieldError(form, name, message) {
  const box = form.querySelector(`[data-field="${CSS.escape(name)}"]`);
  if (!box) return false;
  const err = box.querySelector('.field-error');
  const input = box.querySelector('input, textarea, select');
  err.textContent = message || '';
  err.hidden = !message;
  if (input) {
    if (message) input.setAttribute('aria-invalid', 'true');
    else input.removeAttribute('aria-invalid');
  }
  return true;
}

export function clearFieldErrors(form) {
  for (const box of form.querySelectorAll('[data-field]')) setFieldError(form, box.dataset.field, '');
  const msg = form.querySelector('.form-error');
  if (msg) { msg.textContent = ''; msg.hidden = true; }
}

// setFormError shows a message for the whole form (role=alert).
export function setFormError(form, message) {
  let msg = form.querySelector('.form-error');
  if (!msg) {
    msg = h('p', { class: 'form-error', role: 'alert' });
    form.prepend(msg);
  }
  msg.textContent = message;
  msg.hidden = !message;
  // A long form's dialog may be scrolled down to its buttons: the message
  // at its top is brought into view (the first field in error is focused
  // after, and scrolled to if it is further down).
  if (message) form.closest('dialog')?.scrollTo(0, 0);
}

export function focusFirstInvalid(form) {
  const el = form.querySelector('[aria-invalid="true"]');
  if (el) el.focus();
}
