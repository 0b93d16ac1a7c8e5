// The settings the server wrote for this deployment (config.json, beside
// the pages: every path of the console is relative, so it may live below a
// path of its origin).
export async function loadConfig() {
  const res = await fetch(new URL('config.json', document.baseURI), { cache: 'no-store', credentials: 'omit' });
  if (!res.ok) throw new Error(`config.json: HTTP ${res.status}`);
  const cfg = await res.json();
  cfg.apiUrl = String(cfg.apiUrl || location.origin).replace(/\/+$/, '');
  return cfg;
}
