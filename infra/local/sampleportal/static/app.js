// The sample portal: sign in through the managed login with oidc-client-ts
// (authorization code with PKCE), then ask the API who you are here.
// Tokens stay in sessionStorage (this tab); every text goes in with
// textContent, never as HTML.
'use strict';

(() => {
  const nl = (navigator.language || 'en').toLowerCase().startsWith('nl');
  const T = nl ? {
    title: 'Voorbeeldportaal van een klant',
    intro: 'Deze pagina is het portaal van een klant. Je logt in via Portal Access en ziet wat Portal Access over je zegt.',
    signIn: 'Inloggen', askAgain: 'Opnieuw vragen', signOut: 'Uitloggen',
    you: 'Jij', customer: 'Klant', portal: 'Portaal', admin: 'Beheerder', roles: 'Rollen',
    yes: 'ja', no: 'nee', none: 'geen', raw: 'Wat de API antwoordde',
    footer: 'Een voorbeeldportaal van de lokale stack. Het logt in met oidc-client-ts (authorization code met PKCE).',
    setup: (url) => `Maak in de console een portaalinstelling met URL ${url}. Herlaad daarna deze pagina.`,
    noLonger: 'Je kunt niet meer inloggen op dit portaal.',
    noAccess: 'Je account heeft geen toegang tot dit portaal.',
    failed: (what) => `Dat lukte niet (${what}). Probeer het opnieuw.`,
    signInFailed: 'Inloggen is niet gelukt. Probeer het opnieuw.',
    language: (l) => `taal: ${l}`,
  } : {
    title: 'Sample customer portal',
    intro: "This page is a customer's portal. It signs you in through Portal Access and shows what Portal Access says about you.",
    signIn: 'Sign in', askAgain: 'Ask again', signOut: 'Sign out',
    you: 'You', customer: 'Customer', portal: 'Portal', admin: 'Administrator', roles: 'Roles',
    yes: 'yes', no: 'no', none: 'none', raw: 'What the API answered',
    footer: 'A sample portal of the local stack. It signs in with oidc-client-ts (authorization code with PKCE).',
    setup: (url) => `Create a portal setup with URL ${url} in the console. Then reload this page.`,
    noLonger: 'You can no longer sign in to this portal.',
    noAccess: 'Your account has no access to this portal.',
    failed: (what) => `That did not work (${what}). Try again.`,
    signInFailed: 'Signing in did not work. Try again.',
    language: (l) => `language: ${l}`,
  };

  const $ = (id) => document.getElementById(id);
  document.documentElement.lang = nl ? 'nl' : 'en';
  document.title = T.title;
  for (const el of document.querySelectorAll('[data-t]')) {
    const v = T[el.dataset.t];
    if (typeof v === 'string') el.textContent = v;
  }

  function say(text, kind) {
    const m = $('message');
    m.textContent = text || '';
    m.className = kind === 'error' ? 'error' : '';
    m.hidden = !text;
  }

  function show(section) {
    for (const id of ['setup', 'signed-out', 'signed-in']) $(id).hidden = id !== section;
  }

  let mgr = null;
  let cfg = null;

  async function start() {
    const res = await fetch('/config.json', { cache: 'no-store' });
    cfg = await res.json();
    if (!cfg.clientId) {
      $('setup-text').textContent = T.setup(cfg.redirectUri);
      show('setup');
      return;
    }
    mgr = new oidc.UserManager({
      authority: cfg.authority,
      client_id: cfg.clientId,
      redirect_uri: cfg.redirectUri,
      post_logout_redirect_uri: cfg.postLogoutRedirectUri,
      response_type: 'code',
      scope: 'openid email',
      ui_locales: nl ? 'nl' : 'en',
      loadUserInfo: false,
      // cognito-local's refreshed ID tokens carry a new auth_time, which
      // oidc-client-ts refuses: no silent renew; the API's 401 asks again.
      automaticSilentRenew: false,
      monitorSession: false,
      userStore: new oidc.WebStorageStateStore({ store: window.sessionStorage }),
    });
    $('signin').addEventListener('click', () => {
      say('');
      mgr.signinRedirect().catch(() => say(T.signInFailed, 'error'));
    });
    $('ask').addEventListener('click', () => ask());
    $('signout').addEventListener('click', () => signOut());

    // Back from the managed login (?code=…&state=…) or from /logout
    // (?state=…): finish, then take the code out of the address bar.
    const q = new URLSearchParams(location.search);
    if (q.has('code') || q.has('error')) {
      try {
        await mgr.signinRedirectCallback();
      } catch {
        say(T.signInFailed, 'error');
      }
      history.replaceState(null, '', location.pathname);
    } else if (q.has('state')) {
      try { await mgr.signoutRedirectCallback(); } catch { /* an old or foreign state: nothing to finish */ }
      history.replaceState(null, '', location.pathname);
    }
    const user = await mgr.getUser();
    if (!user || user.expired) {
      show('signed-out');
      return;
    }
    show('signed-in');
    await ask();
  }

  async function ask() {
    const user = await mgr.getUser();
    if (!user) {
      show('signed-out');
      return;
    }
    let res;
    try {
      res = await fetch(`${cfg.apiUrl}/v1/portal-access`, {
        headers: { Authorization: `Bearer ${user.access_token}` },
        cache: 'no-store',
        credentials: 'omit',
      });
    } catch {
      say(T.failed('network'), 'error');
      return;
    }
    const body = await res.json().catch(() => null);
    if (res.status === 401) {
      await mgr.removeUser(); // signed out here; the managed login's session is the provider's
      clear();
      say(T.noLonger, 'error');
      show('signed-out');
      return;
    }
    if (res.status === 403 && body && body.code === 'no_portal_access') {
      clear();
      say(T.noAccess, 'error');
      return;
    }
    if (!res.ok || !body) {
      say(T.failed(`HTTP ${res.status}`), 'error');
      return;
    }
    say('');
    render(body);
  }

  function clear() {
    for (const id of ['who', 'customer', 'portal', 'admin', 'roles', 'raw']) $(id).textContent = '';
  }

  function render(a) {
    const u = a.user || {}, c = a.customer || {}, p = a.portal || {};
    $('who').textContent = [u.name, u.email && `<${u.email}>`].filter(Boolean).join(' ') + (u.id ? ` (${u.id})` : '');
    $('customer').textContent = [c.name, c.id && `(${c.id})`, c.locale && T.language(c.locale)].filter(Boolean).join(' ');
    $('portal').textContent = [p.name, p.id && `(${p.id})`, p.url].filter(Boolean).join(' ');
    $('admin').textContent = a.admin ? T.yes : T.no;
    const roles = Array.isArray(a.roles) ? a.roles.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))) : [];
    $('roles').textContent = roles.length ? roles.join(', ') : T.none;
    $('raw').textContent = JSON.stringify(a, null, 2);
  }

  async function signOut() {
    // End the refresh token at the provider, then its session; back here.
    try { await mgr.revokeTokens(['refresh_token']); } catch { /* it expires anyway */ }
    try {
      await mgr.signoutRedirect({
        // Cognito's /logout wants client_id and logout_uri; the stand-in
        // also takes OIDC's post_logout_redirect_uri (with state).
        extraQueryParams: { client_id: cfg.clientId, logout_uri: cfg.postLogoutRedirectUri },
      });
    } catch {
      await mgr.removeUser();
      show('signed-out');
    }
  }

  start().catch(() => say(T.failed('start'), 'error'));
})();
