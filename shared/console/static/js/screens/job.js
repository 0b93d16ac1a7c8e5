// A job's progress (#/jobs/<id>): today, a customer's offboarding. The
// job runs in the background in steps; this screen shows each step as
// done, now or to do, and what has been removed so far, and follows the
// job (asking again every few seconds while it is shown) until it is done.
import '../i18n-profile.js';
import { t, formatTime } from '../i18n.js';
import { h, replace, announce } from '../dom.js';
import * as api from '../api.js';
import { state } from '../state.js';

const enc = encodeURIComponent;
const POLL_MS = 2000;

export async function render({ id }) {
  const { data } = await api.get(`/v1/jobs/${enc(id)}`);
  const body = h('div', { id: 'job' });
  const heading = h('h1', { tabindex: '-1' }, t('job.heading', { customer: data.customerName }));
  draw(body, data);
  follow(id, body, data);
  return h('section', {}, heading, body);
}

// follow asks for the job again while it runs and this screen is the one
// shown, and says a new step out loud.
function follow(id, body, last) {
  const seq = state.renderSeq;
  if (last.state === 'done') return;
  setTimeout(async () => {
    if (seq !== state.renderSeq || !state.me) return; // left, or signed out
    let job = last;
    try { ({ data: job } = await api.get(`/v1/jobs/${enc(id)}`)); } catch { /* try again at the next tick */ }
    if (seq !== state.renderSeq) return;
    if (job.step !== last.step) {
      announce(job.state === 'done' ? t('job.done', { customer: job.customerName }) : t('job.nowStep', { step: t(`job.step.${job.step}`) }));
    }
    draw(body, job);
    follow(id, body, job);
  }, POLL_MS);
}

function draw(body, job) {
  const steps = job.steps.filter((s) => s !== 'done');
  const at = steps.indexOf(job.step);
  const done = job.state === 'done';
  replace(body,
    h('p', { class: done ? 'notice ok' : 'notice info', id: 'job-state', role: 'status' },
      done ? t('job.done', { customer: job.customerName }) : t('job.running')),
    h('h2', {}, t('job.steps')),
    h('ol', { class: 'steps', id: 'job-steps' }, steps.map((s, i) => {
      const where = done || i < at ? 'done' : i === at ? 'now' : 'later';
      return h('li', { class: `step ${where}`, dataset: { step: s, state: where }, 'aria-current': where === 'now' ? 'step' : null },
        h('span', {}, t(`job.step.${s}`)), ' ',
        h('span', { class: `badge step-${where}` }, t(`job.state${where[0].toUpperCase()}${where.slice(1)}`)));
    })),
    h('h2', {}, t('job.removed')),
    h('dl', { class: 'facts', id: 'job-removed' },
      ['members', 'invitations', 'portals', 'records'].flatMap((k) => [
        h('dt', {}, t(`job.${k}`)), h('dd', { dataset: { count: k } }, String(job.removed[k]))])),
    h('p', { class: 'muted' }, t('job.requested', { who: job.requestedBy.email || job.requestedBy.id, at: formatTime(job.createdAt) })),
    done ? h('p', { class: 'muted' }, t('job.finished', { at: formatTime(job.finishedAt) })) : null,
    done ? h('p', {}, h('a', { href: '#/customers', id: 'to-customers' }, t('job.toCustomers'))) : null);
}
