// Setting up an authenticator app: operators must before anything else
// (GET /v1/me says mfaRequired; every other route answers mfa_required).
// Cognito makes the secret (AssociateSoftwareToken, the user's own token),
// shown as a QR code drawn here in the browser (qrcode-generator, vendored)
// and as text; the app's code verifies it (VerifySoftwareToken); then
// POST /v1/me/mfa makes the product count it. The secret never reaches
// Portal Access's API.
import { t } from '../i18n.js';
import { h, replace, field, setFormError, clearFieldErrors } from '../dom.js';
import * as auth from '../auth.js';
import * as api from '../api.js';
import { state } from '../state.js';
import qrcode from '../../vendor/qrcode-generator-2.0.4.js';

const main = document.getElementById('main');

// otpauth is the key URI authenticator apps read from the QR code.
function otpauth(secret, email) {
  const label = encodeURIComponent(`Portal Access:${email}`);
  return `otpauth://totp/${label}?secret=${encodeURIComponent(secret)}&issuer=${encodeURIComponent('Portal Access')}`;
}

function qrImage(text) {
  const qr = qrcode(0, 'M');
  qr.addData(text);
  qr.make();
  return h('img', { id: 'mfa-qr', src: qr.createDataURL(5, 4), alt: t('mfa.qrAlt'), width: String(qr.getModuleCount() * 5 + 40) });
}

// render draws the enrolment; onEnrolled runs once the product counts the app.
export async function render({ onEnrolled, onSignOut }) {
  document.title = `${t('mfa.heading')} – ${t('app.name')}`;
  const heading = h('h1', { tabindex: '-1' }, t('mfa.heading'));
  const panel = h('section', { class: 'panel narrow-panel', id: 'mfa-setup' }, heading, h('p', {}, t('loading')));
  replace(main, panel);
  let secret;
  try {
    secret = (await auth.cognito('AssociateSoftwareToken', {})).SecretCode;
  } catch {
    replace(panel, heading, h('p', { class: 'notice error', role: 'alert' }, t('signin.error')),
      h('button', { type: 'button', class: 'secondary', onclick: () => render({ onEnrolled, onSignOut }) }, t('retry')));
    return;
  }
  const form = codeForm({
    id: 'mfa-form', inputId: 'mfa-code',
    submit: h('button', { type: 'submit', class: 'primary', id: 'mfa-submit' }, t('mfa.submit')),
    more: [h('button', { type: 'button', class: 'secondary', id: 'mfa-sign-out', onclick: onSignOut }, t('mfa.signOut'))],
    send: async (code) => {
      await auth.cognito('VerifySoftwareToken', { UserCode: code, FriendlyDeviceName: 'Portal Access' });
      await api.post('/v1/me/mfa');
      await onEnrolled();
    },
    describe: (e) => (e instanceof auth.AuthError ? t(e.kind === 'failed' ? 'mfa.codeWrong' : 'signin.error') : api.describe(e)),
  });
  replace(panel, heading,
    h('p', {}, t('mfa.intro')),
    h('ol', {},
      h('li', {}, t('mfa.step1')),
      h('li', {}, t('mfa.step2'), h('div', { class: 'mfa-qr' }, qrImage(otpauth(secret, state.me.email))),
        h('p', { class: 'hint' }, t('mfa.manual'), ' ', h('code', { id: 'mfa-secret' }, secret))),
      h('li', {}, t('mfa.step3'))),
    form);
  heading.focus();
}

// codeForm is a form for an authenticator app's six digits: checked here,
// then given to send; when send fails, describe(error) is shown and the
// field is emptied for another try. intro goes above the field, more
// beside the submit button.
export function codeForm({ id, inputId, intro = [], submit, more = [], send, describe }) {
  const form = h('form', { id, novalidate: true }, ...intro,
    field({ label: t('mfa.code'), name: 'code', type: 'text',
      attrs: { autocomplete: 'one-time-code', inputmode: 'numeric', pattern: '[0-9]{6}', maxlength: '6', required: true, id: inputId } }),
    h('div', { class: 'buttons' }, submit, ...more));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearFieldErrors(form);
    const code = form.elements.code.value.trim();
    if (!/^[0-9]{6}$/.test(code)) {
      setFormError(form, t('mfa.codeFormat'));
      return;
    }
    submit.disabled = true;
    try {
      await send(code);
    } catch (e) {
      submit.disabled = false;
      setFormError(form, describe(e));
      form.elements.code.value = '';
      form.elements.code.focus();
    }
  });
  return form;
}
