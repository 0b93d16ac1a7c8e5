// Signing in and out. Locally: cognito-local's InitiateAuth with the e-mail
// and password. On AWS: Cognito's managed login, authorization code with
// PKCE (S256). Tokens live in sessionStorage (this tab only), never in the
// URL, never in a log.

const SESSION = 'pa.session';
const PKCE = 'pa.pkce';
const FLASH = 'pa.flash';

export class AuthError extends Error {
  constructor(kind) { super(kind); this.kind = kind; } // 'failed' | 'error' | 'incomplete'
}

let cfg = null;
export function configure(config) { cfg = config; }

function load() {
  try { return JSON.parse(sessionStorage.getItem(SESSION) || 'null'); } catch { return null; }
}

function save(s) { sessionStorage.setItem(SESSION, JSON.stringify(s)); }

export function signedIn() { return !!load(); }

function expiry(jwt) {
  try {
    const part = jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(part)).exp * 1000 || 0;
  } catch { return 0; }
}

function store(access, refresh, prior) {
  save({ access, refresh: refresh || (prior && prior.refresh) || null, exp: expiry(access) });
}

function cognitoTarget(target, body, signal) {
  return fetch(cfg.cognitoEndpoint.replace(/\/+$/, '') + '/', {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-amz-json-1.1',
      'X-Amz-Target': `AWSCognitoIdentityProviderService.${target}`,
    },
    body: JSON.stringify(body),
    credentials: 'omit',
    cache: 'no-store',
    signal,
  });
}

// signInLocal signs in against cognito-local. It matches e-mails
// case-sensitively, and the API stores them lower-cased.
export async function signInLocal(email, password) {
  let res;
  try {
    res = await cognitoTarget('InitiateAuth', {
      AuthFlow: 'USER_PASSWORD_AUTH', ClientId: cfg.clientId,
      AuthParameters: { USERNAME: email.trim().toLowerCase(), PASSWORD: password },
    });
  } catch { throw new AuthError('error'); }
  const body = await res.json().catch(() => ({}));
  if (!res.ok) {
    const type = String(body.__type || body.code || res.headers.get('x-amzn-errortype') || '');
    throw new AuthError(/NotAuthorized|UserNotFound|InvalidPassword|PasswordResetRequired|UserNotConfirmed/.test(type) ? 'failed' : 'error');
  }
  // An authenticator app is set up: Cognito asks for its code first.
  if (body.ChallengeName === 'SOFTWARE_TOKEN_MFA' && body.Session) {
    return { session: body.Session, username: email.trim().toLowerCase() };
  }
  const r = body.AuthenticationResult;
  if (!r || !r.AccessToken) throw new AuthError('error');
  store(r.AccessToken, r.RefreshToken);
  return null;
}

// answerCode gives the authenticator app's code that signInLocal's
// challenge asks for. A wrong code is 'failed' (the same challenge takes
// another try); an expired one 'incomplete'.
export async function answerCode(challenge, code) {
  let res;
  try {
    res = await cognitoTarget('RespondToAuthChallenge', {
      ClientId: cfg.clientId, ChallengeName: 'SOFTWARE_TOKEN_MFA', Session: challenge.session,
      ChallengeResponses: { USERNAME: challenge.username, SOFTWARE_TOKEN_MFA_CODE: String(code).trim() },
    });
  } catch { throw new AuthError('error'); }
  const body = await res.json().catch(() => ({}));
  if (!res.ok) {
    const type = String(body.__type || res.headers.get('x-amzn-errortype') || '');
    throw new AuthError(/CodeMismatch/.test(type) ? 'failed' : /NotAuthorized|Expired/.test(type) ? 'incomplete' : 'error');
  }
  const r = body.AuthenticationResult;
  if (!r || !r.AccessToken) throw new AuthError('error');
  store(r.AccessToken, r.RefreshToken);
}

// cognito calls the Cognito API as the signed-in user (their access token
// in the body): setting up an authenticator app. A wrong code is 'failed'.
export async function cognito(target, body) {
  const token = await accessToken();
  let res;
  try { res = await cognitoTarget(target, { ...body, AccessToken: token }); } catch { throw new AuthError('error'); }
  const out = await res.json().catch(() => ({}));
  if (!res.ok) {
    const type = String(out.__type || res.headers.get('x-amzn-errortype') || '');
    throw new AuthError(/CodeMismatch|EnableSoftwareTokenMFA/.test(type) ? 'failed' : 'error');
  }
  return out;
}

function b64url(bytes) {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

// Where the managed login sends people back: the console's own address
// (<origin>/ when it is served at the root).
const redirectURI = () => new URL('./', location.href).href;

// beginManagedLogin sends the browser to Cognito's managed login.
export async function beginManagedLogin() {
  const verifier = b64url(crypto.getRandomValues(new Uint8Array(32)));
  const challenge = b64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
  const state = b64url(crypto.getRandomValues(new Uint8Array(16)));
  sessionStorage.setItem(PKCE, JSON.stringify({ verifier, state, hash: location.hash }));
  const u = new URL(`${cfg.authDomain.replace(/\/+$/, '')}/oauth2/authorize`);
  u.search = new URLSearchParams({
    response_type: 'code', client_id: cfg.clientId, redirect_uri: redirectURI(),
    scope: 'openid email profile aws.cognito.signin.user.admin',
    code_challenge: challenge, code_challenge_method: 'S256', state,
  }).toString();
  location.assign(u.toString());
}

async function tokenEndpoint(params) {
  const res = await fetch(`${cfg.authDomain.replace(/\/+$/, '')}/oauth2/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: cfg.clientId, ...params }).toString(),
    credentials: 'omit',
    cache: 'no-store',
  });
  const body = await res.json().catch(() => ({}));
  if (!res.ok || !body.access_token) throw new AuthError(res.status === 400 ? 'incomplete' : 'error');
  return body;
}

// completeManagedLogin finishes a return from the managed login (?code=…),
// if this is one. It returns true when it signed the user in.
export async function completeManagedLogin() {
  const q = new URLSearchParams(location.search);
  if (!q.has('code') && !q.has('error')) return false;
  const saved = JSON.parse(sessionStorage.getItem(PKCE) || 'null');
  sessionStorage.removeItem(PKCE);
  // The code must not stay in the address bar or the history.
  history.replaceState(null, '', `${location.pathname}${saved && saved.hash ? saved.hash : ''}`);
  if (q.has('error') || !saved || q.get('state') !== saved.state) throw new AuthError('incomplete');
  const body = await tokenEndpoint({
    grant_type: 'authorization_code', code: q.get('code'), redirect_uri: redirectURI(), code_verifier: saved.verifier,
  });
  store(body.access_token, body.refresh_token);
  return true;
}

let refreshing = null;

// accessToken returns a token that is good for at least another minute,
// refreshing it when it is not; null when there is none.
export async function accessToken() {
  const s = load();
  if (!s) return null;
  if (s.exp && s.exp - Date.now() > 60_000) return s.access;
  if (!s.refresh) return s.access; // let the API decide
  refreshing ||= refresh(s).finally(() => { refreshing = null; });
  return refreshing;
}

async function refresh(s) {
  try {
    if (cfg.mode === 'aws') {
      const body = await tokenEndpoint({ grant_type: 'refresh_token', refresh_token: s.refresh });
      store(body.access_token, body.refresh_token, s);
    } else {
      const res = await cognitoTarget('InitiateAuth', {
        AuthFlow: 'REFRESH_TOKEN_AUTH', ClientId: cfg.clientId, AuthParameters: { REFRESH_TOKEN: s.refresh },
      });
      const body = await res.json().catch(() => ({}));
      if (!res.ok || !body.AuthenticationResult) throw new AuthError('failed');
      store(body.AuthenticationResult.AccessToken, body.AuthenticationResult.RefreshToken, s);
    }
    return load().access;
  } catch {
    return s.access; // the API answers 401 if it is no good, and that signs out
  }
}

// revoke ends the refresh token at Cognito, so that a copy of it (a stolen
// session, a shared machine) mints no new access token: on AWS the token
// endpoint's sibling /oauth2/revoke, locally cognito-local's RevokeToken.
// Best effort and quick: signing out never waits on it for long.
async function revoke(refresh) {
  if (!refresh || !cfg) return;
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), 3000);
  try {
    if (cfg.mode === 'aws') {
      await fetch(`${cfg.authDomain.replace(/\/+$/, '')}/oauth2/revoke`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: refresh, client_id: cfg.clientId }).toString(),
        credentials: 'omit', cache: 'no-store', signal: ctl.signal,
      });
    } else {
      await cognitoTarget('RevokeToken', { Token: refresh, ClientId: cfg.clientId }, ctl.signal);
    }
  } catch { /* the token still expires; nothing else to do */ }
  finally { clearTimeout(timer); }
}

// signOut revokes the refresh token and forgets the tokens; on AWS it also
// ends the managed login's session, which comes back to the console. flash
// ({text, kind}) is a message for the sign-in screen. It resolves to true
// when the browser is navigating away.
export async function signOut(flash) {
  const s = load();
  sessionStorage.removeItem(SESSION);
  if (flash) sessionStorage.setItem(FLASH, JSON.stringify(flash));
  else sessionStorage.removeItem(FLASH);
  await revoke(s && s.refresh);
  if (cfg && cfg.mode === 'aws') {
    const u = new URL(`${cfg.authDomain.replace(/\/+$/, '')}/logout`);
    u.search = new URLSearchParams({ client_id: cfg.clientId, logout_uri: redirectURI() }).toString();
    location.assign(u.toString());
    return true; // navigating away
  }
  return false;
}

// takeFlash returns (once) the message left for the sign-in screen, or null.
export function takeFlash() {
  const f = sessionStorage.getItem(FLASH);
  sessionStorage.removeItem(FLASH);
  try { return f ? JSON.parse(f) : null; } catch { return null; }
}
