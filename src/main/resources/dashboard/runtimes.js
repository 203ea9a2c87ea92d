// Runtimes: for the finished jobs of a window, grouped by name, each run's wall time against the
// sum of its URLs' latencies (what fetching one by one would have taken) and the speedup, so a
// regression of a nightly job shows as a jump. From GET /jobs (every page) and GET /stats.
import { getJson, query } from './api.js';
import { el, table, fmtMs, fmtNumber, fmtSpeedup, message, showError } from './dom.js';
import { runtimeChart } from './charts.js';
import { windowForm } from './window-form.js';

const MAX_PAGES = 10; // 10,000 jobs
const MAX_CHARTS = 12;

const median = (values) => {
  const sorted = values.filter((v) => v != null).sort((a, b) => a - b);
  return sorted.length ? sorted[Math.ceil(sorted.length / 2) - 1] : null; // nearest rank, as /stats
};

export function mount(container) {
  const abort = new AbortController();
  let charts = [];
  const status = el('div', { id: 'runtimes-status' });
  const overall = el('p', { id: 'runtimes-overall' });
  const groupsHolder = el('div', { id: 'runtimes', data: { charts: '0', points: '0' } });

  async function load(win) {
    charts.forEach((stop) => stop());
    charts = [];
    groupsHolder.replaceChildren();
    status.replaceChildren(message('Loading…', 'notice'));
    try {
      const jobs = [];
      let cursor = null;
      for (let page = 0; page < MAX_PAGES; page++) {
        const body = await getJson(`/jobs${query({ ...win, limit: 1000, cursor })}`, abort.signal);
        jobs.push(...body.jobs);
        cursor = body.nextCursor;
        if (!cursor) break;
      }
      const stats = await getJson(`/stats${query(win)}`, abort.signal);
      overall.textContent = stats.wallMs.jobs === 0 ? ''
        : `${fmtNumber(stats.wallMs.jobs)} finished jobs took ${fmtMs(stats.wallMs.sum)}; one URL at a time they `
          + `would have taken ${fmtMs(stats.wallMs.sumLatencyMs)}: concurrency made them ${fmtSpeedup(stats.speedup)} `
          + `faster and saved ${fmtMs(stats.savedMs)}.`;
      const finished = jobs.filter((j) => j.state !== 'RUNNING' && j.wallMs > 0);
      const byName = new Map();
      for (const j of finished) {
        const name = j.name || '(no name)';
        if (!byName.has(name)) byName.set(name, []);
        byName.get(name).push(j);
      }
      const groups = [...byName.entries()].sort((a, b) => b[1].length - a[1].length);
      status.replaceChildren(groups.length === 0 ? message('No finished jobs in this window.', 'notice')
        : groups.length > MAX_CHARTS ? message(`The ${MAX_CHARTS} names with the most runs of ${groups.length}; `
          + 'narrow the window or the name to see others.', 'notice') : '');
      groupsHolder.append(table('Runs by job name', ['Name', 'Runs', 'Median wall time', 'Median sum of latencies',
        'Median speedup', 'Latest wall time'], groups.map(([name, runs]) => [name, fmtNumber(runs.length),
        fmtMs(median(runs.map((r) => r.wallMs))), fmtMs(median(runs.map((r) => r.sumLatencyMs))),
        fmtSpeedup(median(runs.map((r) => r.speedup))), fmtMs(runs[0].wallMs)]), { numeric: [1, 2, 3, 4, 5] }));
      let points = 0;
      for (const [name, runs] of groups.slice(0, MAX_CHARTS)) {
        const ordered = [...runs].sort((a, b) => Date.parse(a.submittedAt) - Date.parse(b.submittedAt));
        const holder = el('div', { class: 'chart runtime-chart', role: 'img',
          'aria-label': `Runtimes of ${name}: ${ordered.length} runs, wall time, sum of latencies and speedup` });
        groupsHolder.append(el('section', { class: 'card' }, el('h2', {}, name), holder));
        charts.push(runtimeChart(holder, ordered));
        points += ordered.length;
      }
      groupsHolder.dataset.charts = String(charts.length);
      groupsHolder.dataset.points = String(points);
    } catch (e) {
      showError(status, e);
    }
  }

  const { form, start } = windowForm('runtimes', load, { days: 7 });
  container.append(el('h1', {}, 'Runtimes'),
    el('p', { class: 'muted' }, 'Wall time of each finished run against the sum of its URLs\' latencies '
      + '(what fetching them one at a time would have taken), and the speedup, by job name.'),
    el('section', { class: 'card' }, form), status, overall, groupsHolder);
  start();
  return () => { abort.abort(); charts.forEach((stop) => stop()); };
}
