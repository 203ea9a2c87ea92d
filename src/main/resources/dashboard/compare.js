// A finished job beside its previous run (GET /jobs/{id}/compare: the same schedule's, else the
// same name's): figures with deltas, how many URLs changed how, and the URLs that changed.
import { getJson, request } from './api.js';
import { el, table, fmtMs, fmtNumber, fmtSpeedup, message } from './dom.js';

const FIGURES = [['wallMs', 'Wall time', fmtMs], ['sumLatencyMs', 'Sum of latencies', fmtMs],
  ['speedup', 'Speedup', fmtSpeedup], ['p50LatencyMs', 'Latency p50', fmtMs], ['p95LatencyMs', 'Latency p95', fmtMs],
  ['p99LatencyMs', 'Latency p99', fmtMs], ['failureRate', 'Failure rate', (v) => (v == null ? '–' : `${(v * 100).toFixed(2)} %`)],
  ['failed', 'Failed URLs', fmtNumber]];
const delta = (v, fmt) => (v == null ? '–' : v > 0 ? `+${fmt(v)}` : v < 0 ? `−${fmt(-v)}` : '0');
const SHOWN = 50;

/** Fills `holder` with the comparison of job `id`, if it has a previous run. */
export async function showComparison(holder, id, signal) {
  let c;
  try {
    c = await getJson(`/jobs/${encodeURIComponent(id)}/compare`, signal);
  } catch (e) {
    holder.replaceChildren(message(e.status === 404 ? 'No earlier run of this job to compare with.'
      : e.status === 409 ? 'Compared once the job has finished.' : e.message, 'notice'));
    return;
  }
  const figures = table(`This run against ${c.with.id}`, ['Figure', 'This run', 'Previous run', 'Change'],
    FIGURES.map(([key, label, fmt]) => {
      const f = c.figures[key];
      return [label, f.job == null ? '–' : fmt(f.job), f.with == null ? '–' : fmt(f.with), delta(f.delta, fmt)];
    }), { numeric: [1, 2, 3] });
  const counts = Object.entries(c.urls).filter(([, n]) => n > 0);
  const changed = await request(`/jobs/${encodeURIComponent(id)}/compare/urls?only=changed`, { signal });
  const lines = (await changed.text()).split('\n').filter(Boolean).slice(0, SHOWN).map((line) => JSON.parse(line));
  holder.replaceChildren(
    el('p', {}, 'Previous run: ', el('a', { href: `#/jobs/${c.with.id}` }, `${c.with.name} (${c.with.id})`)),
    figures,
    el('p', { id: 'compare-counts' }, counts.map(([k, n]) => `${fmtNumber(n)} ${k}`).join(' · ')),
    lines.length === 0 ? el('p', { class: 'muted' }, 'No URL changed.')
      : table(`URLs that changed (the first ${SHOWN})`, ['URL', 'Change', 'Before', 'Now', 'Latency change'],
        lines.map((u) => [el('span', { class: 'url' }, u.url), u.change,
          u.with ? `${u.with.state} ${u.with.httpStatus ?? ''}` : '–', u.job ? `${u.job.state} ${u.job.httpStatus ?? ''}` : '–',
          u.latencyDeltaMs == null ? '–' : delta(u.latencyDeltaMs, fmtMs)]), { numeric: [4] }));
  holder.dataset.changed = String(counts.filter(([k]) => k !== 'same').reduce((a, [, n]) => a + n, 0));
}
