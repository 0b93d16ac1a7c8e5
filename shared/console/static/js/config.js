// The settings the server wrote for this deployment (/config.json).
export async function loadConfig() {
  const res = await fetch('/config.json', { cache: 'no-store', credentials: 'omit' });
  if (!res.ok) throw new Error(`config.json: HTTP ${res.status}`);
  const cfg = await res.json();
  cfg.apiUrl = String(cfg.apiUrl || location.origin).replace(/\/+$/, '');
  return cfg;
}
