// Sign-in: a form for e-mail and password (local mode, cognito-local), or
// a button to Cognito's managed login (aws mode). Drawn by the shell when no
// one is signed in, outside the router.
import { t } from '../i18n.js';
import { h, replace, notice, field, setFormError, clearFieldErrors } from '../dom.js';
import * as auth from '../auth.js';
import { state } from '../state.js';
import { renderBareHeader } from '../header.js';
import { codeForm } from './mfa.js';

const main = document.getElementById('main');

// render shows the sign-in, with flash ({text, kind}) above it; onSignedIn
// runs once the form has signed someone in.
export function render(flash, { onSignedIn }) {
  document.title = `${t('signin.heading')} – ${t('app.name')}`;
  renderBareHeader();
  const heading = h('h1', { tabindex: '-1' }, t('signin.heading'));
  const body = state.cfg.mode === 'aws' ? managedLogin() : passwordForm(onSignedIn);
  replace(main, h('section', { class: 'panel narrow-panel' }, heading, body));
  if (flash && flash.text) notice(flash.text, flash.kind === 'ok' ? 'ok' : 'error');
  const email = document.getElementById('signin-email');
  (email || heading).focus();
}

function managedLogin() {
  return [
    h('p', {}, t('signin.awsIntro')),
    h('button', { type: 'button', class: 'primary', id: 'signin-continue', onclick: () => auth.beginManagedLogin() }, t('signin.awsButton')),
  ];
}

function passwordForm(onSignedIn) {
  const submit = h('button', { type: 'submit', class: 'primary', id: 'signin-submit' }, t('signin.submit'));
  const form = h('form', { id: 'signin', novalidate: true },
    field({ label: t('signin.email'), name: 'email', type: 'email', attrs: { autocomplete: 'username', required: true, id: 'signin-email' } }),
    field({ label: t('signin.password'), name: 'password', type: 'password', attrs: { autocomplete: 'current-password', required: true } }),
    h('div', { class: 'buttons' }, submit),
    h('p', { class: 'hint' }, t('signin.localNote')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearFieldErrors(form);
    const email = form.elements.email.value;
    const password = form.elements.password.value;
    if (!email.trim() || !password) {
      setFormError(form, t('signin.failed'));
      return;
    }
    submit.disabled = true;
    submit.textContent = t('signin.busy');
    try {
      const challenge = await auth.signInLocal(email, password);
      form.elements.password.value = '';
      if (challenge) {
        form.replaceWith(signInCode(challenge, onSignedIn));
        document.getElementById('signin-code').focus();
        return;
      }
      await onSignedIn();
    } catch (e) {
      submit.disabled = false;
      submit.textContent = t('signin.submit');
      setFormError(form, t(e.kind === 'failed' ? 'signin.failed' : 'signin.error'));
      form.elements.password.focus();
    }
  });
  return form;
}

// signInCode asks for the authenticator app's code after the password.
function signInCode(challenge, onSignedIn) {
  return codeForm({
    id: 'signin-mfa', inputId: 'signin-code',
    intro: [h('p', {}, t('mfa.signinIntro'))],
    submit: h('button', { type: 'submit', class: 'primary', id: 'signin-code-submit' }, t('signin.submit')),
    send: async (code) => {
      await auth.answerCode(challenge, code);
      await onSignedIn();
    },
    describe: (e) => t(e.kind === 'failed' ? 'mfa.codeWrong' : e.kind === 'incomplete' ? 'signin.incomplete' : 'signin.error'),
  });
}
