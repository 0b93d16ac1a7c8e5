// Importing people from a CSV file (#/c/<id>/import): pick a file, check
// it (the API's dry run: what each row would do), run it, follow the job's
// progress bar until every row has its outcome, download the outcomes.
import '../i18n-import.js';
import { t } from '../i18n.js';
import { h, replace, announce } from '../dom.js';
import * as api from '../api.js';
import { customerName } from '../data.js';
import { state } from '../state.js';
import { table, cell, errorNotice } from '../ui.js';

const enc = encodeURIComponent;
const POLL_MS = 1500;
const SHOWN = 200; // rows of a dry run drawn; the counts cover them all

export async function render({ cid }) {
  const name = await customerName(cid);
  const base = `/v1/customers/${enc(cid)}/imports`;
  const input = h('input', { type: 'file', id: 'import-file', accept: '.csv,text/csv', 'aria-describedby': 'import-intro' });
  const out = h('div', { id: 'import-result', 'aria-live': 'polite' });
  const check = h('button', { type: 'submit', id: 'import-check' }, t('import.check'));
  const form = h('form', { id: 'import-form', novalidate: true },
    h('p', { id: 'import-intro', class: 'muted' }, t('import.intro')),
    h('label', { for: 'import-file' }, t('import.file')), input, h('p', {}, check));
  form.onsubmit = async (ev) => {
    ev.preventDefault();
    const f = input.files && input.files[0];
    if (!f) { replace(out, h('p', { class: 'notice error', role: 'alert' }, t('import.chooseFile'))); return; }
    check.disabled = true;
    replace(out, h('p', { class: 'muted' }, t('import.checking')));
    try {
      const data = await f.text();
      const { data: dry } = await api.post(`${base}?dryRun=true`, undefined, { file: { type: 'text/csv', data } });
      drawDryRun(out, base, dry, data);
    } catch (p) {
      replace(out);
      errorNotice(p);
    } finally {
      check.disabled = false;
    }
  };
  return h('section', {}, h('h1', { tabindex: '-1' }, t('import.heading', { customer: name })), form, out);
}

function outcomeWords(o) { return t(`import.outcome.${o}`); }

function drawDryRun(out, base, dry, data) {
  const cols = [t('import.col.row'), t('import.col.email'), t('import.col.outcome'), t('import.col.reason')];
  const rows = dry.rows.slice(0, SHOWN).map((r) => h('tr', { dataset: { row: String(r.row), outcome: r.outcome } },
    cell(cols[0], String(r.row)), cell(cols[1], r.email), cell(cols[2], outcomeWords(r.outcome)), cell(cols[3], r.reason || '')));
  const run = h('button', { type: 'button', id: 'import-run' }, t('import.run', { n: dry.counts.invite }));
  run.onclick = async () => {
    run.disabled = true;
    try {
      const { data: imp } = await api.post(base, undefined, { file: { type: 'text/csv', data } });
      const progress = h('div', { id: 'import-progress' });
      replace(out, progress);
      follow(base, progress, imp);
    } catch (p) {
      run.disabled = false;
      errorNotice(p);
    }
  };
  replace(out,
    h('p', { class: 'notice info', id: 'import-summary' }, t('import.summary', {
      total: dry.total, invite: dry.counts.invite, already: dry.counts.alreadyMember, invalid: dry.counts.invalid })),
    dry.rows.length > SHOWN ? h('p', { class: 'muted' }, t('import.shown', { n: SHOWN })) : null,
    table(cols, rows, { id: 'import-rows', caption: t('import.file'), empty: '' }),
    dry.counts.invite > 0 ? h('p', {}, run) : h('p', { class: 'muted' }, t('import.nothing')));
}

// follow draws the import's progress and asks again while it runs and this
// screen is shown.
function follow(base, body, imp) {
  const seq = state.renderSeq;
  draw(base, body, imp);
  if (imp.state === 'done') {
    announce(t('import.done', { invited: imp.counts.invited, already: imp.counts.alreadyMember, invalid: imp.counts.invalid }));
    return;
  }
  setTimeout(async () => {
    if (seq !== state.renderSeq || !state.me) return;
    let next = imp;
    try { ({ data: next } = await api.get(`${base}/${enc(imp.id)}`)); } catch { /* again at the next tick */ }
    if (seq !== state.renderSeq) return;
    follow(base, body, next);
  }, POLL_MS);
}

function draw(base, body, imp) {
  const done = imp.state === 'done';
  const download = h('button', { type: 'button', class: 'secondary', id: 'import-download' }, t('import.download'));
  download.onclick = async () => {
    try {
      const { body: csv } = await api.text(`${base}/${enc(imp.id)}/outcomes`, 'text/csv');
      const url = URL.createObjectURL(new Blob([csv], { type: 'text/csv;charset=utf-8' }));
      const a = h('a', { href: url, download: `import-${imp.id}.csv`, hidden: true });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    } catch (p) { errorNotice(p); }
  };
  replace(body,
    h('label', { for: 'import-bar' }, t('import.progress')),
    h('progress', { id: 'import-bar', max: String(imp.total), value: String(imp.done) }),
    h('p', { class: done ? 'notice ok' : 'notice info', id: 'import-state', role: 'status', dataset: { state: imp.state } },
      done ? t('import.done', { invited: imp.counts.invited, already: imp.counts.alreadyMember, invalid: imp.counts.invalid })
        : t('import.running', { done: imp.done, total: imp.total })),
    done ? h('p', {}, download) : null);
}
