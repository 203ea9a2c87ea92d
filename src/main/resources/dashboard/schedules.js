// Schedules: every schedule with its timing, next firing and latest firings (#/schedules), and
// one schedule's runs over time (#/schedules/{id}): each run's wall time against the sum of its
// URLs' latencies and its speedup, from GET /jobs?scheduleId=..., then its firings.
import { getJson, query } from './api.js';
import { el, table, fmtMs, fmtTime, fmtSpeedup, message, showError } from './dom.js';
import { runtimeChart } from './charts.js';

const timing = (s) => (s.every ? `every ${s.every}` : `cron ${s.cron} (${s.zone})`);

export function mount(container, { id }) {
  const abort = new AbortController();
  const status = el('div', { id: 'schedules-status' });
  let stopChart = null;
  if (!id) {
    const holder = el('div', { id: 'schedules', data: { rows: '0' } });
    container.append(el('h1', {}, 'Schedules'),
      el('p', { class: 'muted' }, 'Jobs submitted again and again: POST /schedules (see the README, "Schedules").'),
      status, holder);
    getJson('/schedules', abort.signal).then((body) => {
      const rows = body.schedules.map((s) => [el('a', { href: `#/schedules/${s.id}` }, s.name || s.id),
        timing(s), s.paused ? 'paused' : fmtTime(s.nextRunAt), String(s.lastRuns.length),
        s.lastJobId ? el('a', { href: `#/jobs/${s.lastJobId}` }, 'latest job') : '–']);
      holder.replaceChildren(rows.length === 0 ? message('No schedules yet.', 'notice')
        : table('Schedules', ['Name', 'When', 'Next run', 'Firings kept', 'Latest'], rows, { numeric: [3] }));
      holder.dataset.rows = String(rows.length);
    }).catch((e) => showError(status, e));
    return () => abort.abort();
  }

  const title = el('h1', {}, 'Schedule');
  const meta = el('p', { class: 'muted', id: 'schedule-meta' });
  const chartHolder = el('div', { class: 'chart runtime-chart', id: 'schedule-chart', role: 'img',
    'aria-label': 'Runs of this schedule: wall time, sum of latencies and speedup', data: { points: '0' } });
  const runsHolder = el('div', { id: 'schedule-runs' });
  container.append(el('p', {}, el('a', { href: '#/schedules' }, '← All schedules')), title, meta, status,
    el('section', { class: 'card', 'aria-labelledby': 'schedule-chart-title' },
      el('h2', { id: 'schedule-chart-title' }, 'Runs over time'), chartHolder),
    el('section', { class: 'card', 'aria-labelledby': 'schedule-runs-title' },
      el('h2', { id: 'schedule-runs-title' }, 'Latest firings'), runsHolder));
  (async () => {
    try {
      const s = await getJson(`/schedules/${encodeURIComponent(id)}`, abort.signal);
      title.textContent = s.name || 'Schedule';
      meta.textContent = `${timing(s)} · overlap ${s.overlap} · catch-up ${s.catchUp} · `
        + (s.paused ? 'paused' : `next run ${fmtTime(s.nextRunAt)}`);
      runsHolder.replaceChildren(s.lastRuns.length === 0 ? message('No firing yet.', 'notice')
        : table('Latest firings', ['Due', 'Outcome', 'Job'], [...s.lastRuns].reverse().map((r) => [
          fmtTime(r.scheduledFor), r.outcome, r.jobId ? el('a', { href: `#/jobs/${r.jobId}` }, r.jobId) : '–'])));
      const body = await getJson(`/jobs${query({ scheduleId: id, limit: 1000 })}`, abort.signal);
      const runs = body.jobs.filter((j) => j.state !== 'RUNNING' && j.wallMs > 0)
        .sort((a, b) => Date.parse(a.submittedAt) - Date.parse(b.submittedAt));
      chartHolder.dataset.points = String(runs.length);
      if (runs.length === 0) chartHolder.replaceChildren(message('No finished run yet.', 'notice'));
      else stopChart = runtimeChart(chartHolder, runs);
    } catch (e) {
      showError(status, e);
    }
  })();
  return () => { abort.abort(); if (stopChart) stopChart(); };
}
