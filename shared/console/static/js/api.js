// The API client: JSON in and out, the bearer token, and the API's
// problem+json answers turned into plain words.
import { t, has } from './i18n.js';
import { setFieldError, setFormError, clearFieldErrors, focusFirstInvalid } from './dom.js';

let settings = { base: '', token: null, onUnauthorized: () => {} };

// configure sets the API's origin, how to get a fresh access token, and what
// to do when the API answers 401.
export function configure(s) { settings = { ...settings, ...s }; }

export class Problem extends Error {
  constructor(status, body = {}, headers) {
    super(body.detail || body.title || `HTTP ${status}`);
    this.status = status;
    this.code = body.code || '';
    this.errors = Array.isArray(body.errors) ? body.errors : [];
    this.requestId = body.requestId || '';
    this.detail = body.detail || body.title || '';
    const ra = headers && headers.get('Retry-After');
    this.retryAfter = ra && /^\d+$/.test(ra) ? Number(ra) : null;
  }
}

// request calls the API. It returns {data, etag}; it throws a Problem.
export async function request(method, path, { body, file, headers = {}, auth = true } = {}) {
  const h = { Accept: 'application/json, application/problem+json', ...headers };
  if (body !== undefined) h['Content-Type'] = 'application/json';
  if (file !== undefined) h['Content-Type'] = file.type; // a file sent as it is (an import's CSV)
  if (auth) {
    const token = settings.token ? await settings.token() : null;
    if (!token) {
      settings.onUnauthorized();
      throw new Problem(401, { code: 'unauthenticated' });
    }
    h.Authorization = `Bearer ${token}`;
  }
  let res;
  try {
    res = await fetch(settings.base + path, {
      method, headers: h, cache: 'no-store', credentials: 'omit',
      body: file !== undefined ? file.data : body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new Problem(0, { code: 'network' });
  }
  let data = null;
  const type = res.headers.get('Content-Type') || '';
  if (res.status !== 204 && type.includes('json')) {
    try { data = await res.json(); } catch { data = null; }
  }
  if (!res.ok) {
    const p = new Problem(res.status, data || {}, res.headers);
    if (res.status === 401 && auth) settings.onUnauthorized();
    throw p;
  }
  return { data, etag: res.headers.get('ETag') };
}

// text gets a page of an export (CSV) and the Link header to the next one.
export async function text(path, accept) {
  const token = settings.token ? await settings.token() : null;
  if (!token) {
    settings.onUnauthorized();
    throw new Problem(401, { code: 'unauthenticated' });
  }
  let res;
  try {
    res = await fetch(settings.base + path, {
      headers: { Accept: `${accept}, application/problem+json`, Authorization: `Bearer ${token}` },
      cache: 'no-store', credentials: 'omit',
    });
  } catch {
    throw new Problem(0, { code: 'network' });
  }
  if (!res.ok) {
    let data = {};
    try { data = await res.json(); } catch { data = {}; }
    if (res.status === 401) settings.onUnauthorized();
    throw new Problem(res.status, data, res.headers);
  }
  const next = /<([^>]+)>;\s*rel="next"/.exec(res.headers.get('Link') || '');
  return { body: await res.text(), next: next ? next[1] : null };
}

export const get = (path, o) => request('GET', path, o);
export const post = (path, body, o) => request('POST', path, { ...o, body });
export const patch = (path, body, o) => request('PATCH', path, { ...o, body });
export const del = (path, o) => request('DELETE', path, o);

// describe turns a problem into one sentence for a person.
export function describe(p) {
  if (!(p instanceof Problem)) return t('err.other', { detail: String(p && p.message || p) });
  if (p.status === 0) return t('err.network');
  // Retry-After is readable across origins only when the API exposes it (CORS).
  if (p.code === 'reinvite_too_soon') return p.retryAfter === null ? t('err.reinvite_too_soon_later') : t('err.reinvite_too_soon', { seconds: p.retryAfter });
  if (p.code && has(`err.${p.code}`)) return t(`err.${p.code}`);
  switch (p.status) {
    case 400: return p.errors.length ? t('err.fields') : t('err.other', { detail: p.detail });
    case 403: return t('err.forbidden');
    case 404: return t('err.not_found');
    case 412: return t('err.precondition');
    case 429: return t('err.throttled');
    case 503: return t('err.unavailable');
    default:
      if (p.status >= 500) return t('err.server', { id: p.requestId || '?' });
      return t('err.other', { detail: p.detail });
  }
}

// fieldMessage is the text shown next to a field the API named.
function fieldMessage(name, e) {
  if (name === 'password' && e.code === 'required') return t('field.passwordRequired');
  if (has(`field.${name}`)) return t(`field.${name}`);
  return e.message || t('field.required');
}

// showProblem puts the API's field errors next to their fields in form, and
// everything else in the form's message. aliases maps the API's field names
// to the form's (e.g. emails → list).
export function showProblem(form, p, aliases = {}) {
  clearFieldErrors(form);
  let placed = 0;
  for (const e of (p instanceof Problem ? p.errors : [])) {
    const top = String(e.field).split(/[.[]/)[0];
    const name = aliases[top] || top;
    if (setFieldError(form, name, fieldMessage(top, e))) placed++;
  }
  if (p instanceof Problem && p.code === 'already_member' && setFieldError(form, aliases.email || 'email', t('err.already_member'))) placed++;
  if (!placed || (p instanceof Problem && placed < p.errors.length)) setFormError(form, describe(p));
  else setFormError(form, t('err.fields'));
  focusFirstInvalid(form);
}
