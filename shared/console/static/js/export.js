// Exports: a whole category of users into one CSV file, page by page
// (up to 1,000 rows a page, each with its header), with a progress bar.
import { h, notice } from './dom.js';
import * as api from './api.js';
import { t } from './i18n.js';

// exportButton downloads what base lists with filter ({status, search}) as
// name.csv.
export function exportButton(base, filter, name) {
  const progress = h('progress', { class: 'export-progress', hidden: true, 'aria-label': t('export.progress') });
  const status = h('span', { class: 'muted', 'aria-live': 'polite' });
  const button = h('button', { type: 'button', class: 'secondary', id: 'export-csv' }, t('export.button'));
  button.onclick = async () => {
    button.disabled = true;
    progress.hidden = false;
    progress.removeAttribute('value'); // moving until the first page says how far
    let rows = 0;
    const parts = [];
    const q = new URLSearchParams();
    if (filter.status) q.set('status', filter.status);
    if (filter.search) q.set('search', filter.search);
    let path = `${base}${q.toString() ? `?${q}` : ''}`;
    try {
      for (let first = true; path; first = false) {
        const page = await api.text(path, 'text/csv');
        const lines = page.body.replace(/\r\n$/, '').split('\r\n');
        // The header once, at the top.
        parts.push(`${(first ? lines : lines.slice(1)).join('\r\n')}\r\n`);
        rows += lines.length - 1;
        status.textContent = t('export.rows', { n: rows });
        path = page.next;
        if (path && !path.startsWith('/')) path = null; // only our own API
      }
      progress.value = progress.max = 1;
      const url = URL.createObjectURL(new Blob(parts, { type: 'text/csv;charset=utf-8' }));
      const a = h('a', { href: url, download: `${name}.csv`, hidden: true });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
      status.textContent = t('export.done', { n: rows });
    } catch (p) {
      notice(api.describe(p), 'error');
      status.textContent = '';
    } finally {
      button.disabled = false;
      progress.hidden = true;
    }
  };
  return h('span', { class: 'export' }, button, progress, status);
}
