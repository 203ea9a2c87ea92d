// Stats: percentiles of wall time and latency, success rate and the slowest hosts of a window
// (GET /stats).
import { getJson, query } from './api.js';
import { el, table, fmtMs, fmtNumber, fmtSpeedup, showError } from './dom.js';
import { windowForm } from './window-form.js';

function figure(label, value) {
  return el('div', { class: 'figure' }, el('dt', {}, label), el('dd', {}, value));
}

export function mount(container) {
  const abort = new AbortController();
  const status = el('div', { id: 'stats-status' });
  const holder = el('div', { id: 'stats' });

  async function load(win) {
    try {
      const s = await getJson(`/stats${query(win)}`, abort.signal);
      status.replaceChildren();
      const pct = (p) => [fmtMs(p.p50), fmtMs(p.p95), fmtMs(p.p99), fmtMs(p.max)];
      holder.replaceChildren(
        el('dl', { class: 'figures' },
          figure('Jobs', `${fmtNumber(s.jobs.total)} (${fmtNumber(s.jobs.running)} running)`),
          figure('URLs', fmtNumber(s.urls.total)),
          figure('Success rate', s.urls.successRate == null ? '–' : `${(s.urls.successRate * 100).toFixed(2)} %`),
          figure('Speedup', fmtSpeedup(s.speedup)),
          figure('Time saved', fmtMs(s.savedMs))),
        table('Percentiles', ['Of', 'Count', 'p50', 'p95', 'p99', 'max'], [
          ['Wall time of finished jobs', fmtNumber(s.wallMs.jobs), ...pct(s.wallMs)],
          ['Latency of fetched URLs', fmtNumber(s.latencyMs.urls), ...pct(s.latencyMs)],
        ], { numeric: [1, 2, 3, 4, 5] }),
        s.slowestHosts.length === 0 ? el('p', { class: 'muted' }, 'No URL was fetched in this window.')
          : table('Slowest hosts (highest p95 latency first)', ['Host', 'URLs', 'Failed', 'p50', 'p95', 'p99', 'max'],
            s.slowestHosts.map((h) => [h.host, fmtNumber(h.urls), fmtNumber(h.failed), ...pct(h)]),
            { numeric: [1, 2, 3, 4, 5, 6] }));
      holder.dataset.hosts = String(s.slowestHosts.length);
    } catch (e) {
      showError(status, e);
    }
  }

  const { form, start } = windowForm('stats', load, { days: 1 });
  container.append(el('h1', {}, 'Stats'), el('section', { class: 'card' }, form), status, holder);
  start();
  return () => abort.abort();
}
