// One job: live progress (GET /jobs/{id}/events), the per-URL waterfall, the latency histogram,
// failures grouped by error, and its results page by page, with CSV and NDJSON downloads.
import { request, stream, remove, download } from './api.js';
import { el, progressBar, setProgress, table, fmtMs, fmtNumber, fmtTime, fmtSpeedup, message, showError } from './dom.js';
import { Waterfall } from './waterfall.js';
import { latencyHistogram } from './charts.js';
import { showComparison } from './compare.js';

const PAGE = 25;
const STATE_CODE = { SUCCEEDED: 0, FAILED: 1, CANCELLED: 2 };

export function mount(container, { id }) {
  const abort = new AbortController();
  const path = `/jobs/${encodeURIComponent(id)}`;
  const results = []; // by URL index, as the stream sends them
  let fetched = 0;
  // bars of the waterfall and latencies of the histogram, in arrival order
  let bars = { starts: new Float64Array(1024), latencies: new Float64Array(1024), states: new Uint8Array(1024), count: 0 };
  let latencies = new Float64Array(1024);
  const failures = new Map();

  // ---- layout ----
  const title = el('h1', {}, 'Job');
  const meta = el('p', { class: 'muted', id: 'job-meta' });
  const status = el('div', { id: 'job-status' });
  const cancel = el('button', { type: 'button', id: 'cancel-job', class: 'secondary', hidden: true,
    onclick: async () => {
      cancel.disabled = true;
      try { await remove(path); } catch (e) { if (e.status !== 409) showError(status, e); }
    } }, 'Cancel job');
  const downloads = ['csv', 'ndjson'].map((format) => el('button', { type: 'button', class: 'secondary',
    id: `download-${format}`, onclick: () => download(`${path}/results?format=${format}`, `${id}.${format}`)
      .catch((e) => showError(status, e)) }, `Download ${format.toUpperCase()}`));
  const bar = progressBar('Job progress', 0, { id: 'job-progress' });
  const progressText = el('p', { id: 'progress-text', 'aria-live': 'off' }, 'Waiting for the job…');
  const connection = el('span', { class: 'muted', id: 'connection' });
  const canvas = el('canvas', { id: 'waterfall', role: 'img', 'aria-label': 'Waterfall', data: { bars: '0' } });
  const histogramHolder = el('div', { id: 'histogram', class: 'chart' });
  const histogram = latencyHistogram(histogramHolder);
  const failuresHolder = el('div', { id: 'failures' }, el('p', { class: 'muted' }, 'No failures.'));
  const resultsHolder = el('div', { id: 'results-table' });
  const verdict = el('p', { id: 'job-verdict', hidden: true });
  const compareHolder = el('div', { id: 'compare', data: { changed: '' } },
    el('p', { class: 'muted' }, 'Compared with the previous run once the job has finished.'));
  let compared = false;
  const stateFilter = el('select', { id: 'results-state', onchange: () => { page = 0; renderResults(); } },
    el('option', { value: '' }, 'All'), el('option', { value: 'SUCCEEDED' }, 'Succeeded'),
    el('option', { value: 'FAILED' }, 'Failed'), el('option', { value: 'CANCELLED' }, 'Cancelled'));
  let page = 0;
  const prev = el('button', { type: 'button', class: 'secondary', id: 'results-prev',
    onclick: () => { page--; renderResults(); } }, 'Previous');
  const next = el('button', { type: 'button', class: 'secondary', id: 'results-next',
    onclick: () => { page++; renderResults(); } }, 'Next');
  const pageInfo = el('span', { class: 'muted', id: 'results-page' });

  container.append(
    el('p', {}, el('a', { href: '#/jobs' }, '← All jobs')),
    title, meta, verdict, status,
    el('section', { class: 'card', 'aria-labelledby': 'progress-title' },
      el('h2', { id: 'progress-title' }, 'Progress ', connection), bar, progressText,
      el('div', { class: 'actions' }, cancel, ...downloads)),
    el('section', { class: 'card', 'aria-labelledby': 'waterfall-title' },
      el('h2', { id: 'waterfall-title' }, 'Waterfall'),
      el('p', { class: 'muted' }, 'Each URL from the moment its request went out, as long as its latency, in start order.'),
      el('div', { class: 'canvas-wrap' }, canvas),
      el('ul', { class: 'legend' },
        el('li', { class: 'ok' }, 'succeeded'), el('li', { class: 'failed' }, 'failed'))),
    el('section', { class: 'card', 'aria-labelledby': 'histogram-title' },
      el('h2', { id: 'histogram-title' }, 'Latency'), histogramHolder),
    el('section', { class: 'card', 'aria-labelledby': 'failures-title' },
      el('h2', { id: 'failures-title' }, 'Failures by error'), failuresHolder),
    el('section', { class: 'card', 'aria-labelledby': 'compare-title' },
      el('h2', { id: 'compare-title' }, 'Against the previous run'), compareHolder),
    el('section', { class: 'card', 'aria-labelledby': 'results-title' },
      el('h2', { id: 'results-title' }, 'Results'),
      el('div', { class: 'filters' }, el('div', { class: 'field' },
        el('label', { for: 'results-state' }, 'Show'), stateFilter)),
      resultsHolder, el('div', { class: 'pager' }, prev, pageInfo, next)));

  const waterfall = new Waterfall(canvas);

  // ---- incoming events ----
  function grow(array, size) {
    if (size <= array.length) return array;
    const bigger = new array.constructor(Math.max(size, array.length * 2));
    bigger.set(array);
    return bigger;
  }

  function addResult(r) {
    if (r.state === 'PENDING' || results[r.index]) return; // never twice, even across reconnections
    results[r.index] = r;
    if (r.state !== 'SUCCEEDED' && r.state !== 'FAILED') return; // cancelled: never fetched
    latencies = grow(latencies, fetched + 1);
    latencies[fetched++] = r.latencyMs;
    if (r.startedAt) {
      const n = bars.count;
      bars = { starts: grow(bars.starts, n + 1), latencies: grow(bars.latencies, n + 1),
        states: grow(bars.states, n + 1), count: n + 1 };
      bars.starts[n] = Date.parse(r.startedAt);
      bars.latencies[n] = r.latencyMs;
      bars.states[n] = STATE_CODE[r.state];
    }
    if (r.state === 'FAILED') {
      const key = `${r.errorKind}\u0000${r.error}`;
      const group = failures.get(key) || { kind: r.errorKind, error: r.error, count: 0, example: r.url };
      group.count++;
      failures.set(key, group);
    }
  }

  function showSummary(s) {
    title.textContent = s.name || 'Job';
    document.title = `${s.name || s.id} · fetchrunner`;
    meta.textContent = `${s.id} · ${s.state} · submitted ${fmtTime(s.submittedAt)}`;
    const done = s.succeeded + s.failed + s.cancelled;
    const pct = s.total ? Math.floor((done * 100) / s.total) : 100;
    setProgress(bar, pct);
    bar.dataset.state = s.state;
    const parts = [`${fmtNumber(done)} / ${fmtNumber(s.total)} (${pct} %)`,
      `${fmtNumber(s.succeeded)} ok`, `${fmtNumber(s.failed)} failed`];
    if (s.cancelled) parts.push(`${fmtNumber(s.cancelled)} cancelled`);
    if (s.delayed) parts.push(`${fmtNumber(s.delayed)} delayed by host back-off`);
    if (s.ratePerSecond != null) parts.push(`${s.ratePerSecond} URLs/s`);
    if (s.state === 'RUNNING' && s.etaMs != null) parts.push(`ETA ${fmtMs(s.etaMs)}`);
    if (s.state !== 'RUNNING') parts.push(`wall ${fmtMs(s.wallMs)}, sum of latencies ${fmtMs(s.sumLatencyMs)}, speedup ${fmtSpeedup(s.speedup)}`);
    progressText.textContent = parts.join(' · ');
    cancel.hidden = s.state !== 'RUNNING';
    if (s.verdict) {
      const broken = (s.checks || []).filter((c) => !c.passed)
        .map((c) => `${c.threshold} ${c.measured ?? 'not measured'} (limit ${c.limit})`);
      verdict.hidden = false;
      verdict.className = s.verdict === 'PASSED' ? 'verdict passed' : 'verdict failed';
      verdict.textContent = s.verdict === 'PASSED' ? 'Thresholds: PASSED' : `Thresholds: FAILED · ${broken.join(' · ')}`;
    }
    if (s.state !== 'RUNNING' && !compared) {
      compared = true;
      // the history has the job once the read side caught up: a moment after it ends
      setTimeout(() => showComparison(compareHolder, id, abort.signal).catch(() => {}), 1500);
    }
  }

  // ---- drawing, at most every 500 ms ----
  let timer = null;
  function refresh() {
    if (timer) return;
    timer = setTimeout(() => {
      timer = null;
      waterfall.update(bars);
      if (fetched > 0) histogram.update(latencies, fetched);
      renderFailures();
      renderResults();
    }, 200);
  }

  function renderFailures() {
    if (failures.size === 0) return;
    const groups = [...failures.values()].sort((a, b) => b.count - a.count);
    failuresHolder.replaceChildren(table('Failed URLs grouped by error', ['Kind', 'Error', 'URLs', 'Example'],
      groups.map((g) => [g.kind || '–', g.error || '–', fmtNumber(g.count), g.example]), { numeric: [2] }));
    failuresHolder.dataset.groups = String(groups.length);
  }

  function renderResults() {
    const want = stateFilter.value;
    const shown = [];
    for (const r of results) if (r && (!want || r.state === want)) shown.push(r);
    const pages = Math.max(1, Math.ceil(shown.length / PAGE));
    page = Math.min(Math.max(0, page), pages - 1);
    const rows = shown.slice(page * PAGE, (page + 1) * PAGE).map((r) => [
      String(r.index), el('span', { class: 'url' }, r.url),
      el('span', { class: `state state-${r.state.toLowerCase()}` }, r.state),
      r.httpStatus ?? '–', fmtMs(r.latencyMs), fmtNumber(r.bytes), String(r.attempts), r.error || '']);
    resultsHolder.replaceChildren(shown.length === 0 ? el('p', { class: 'muted' }, 'No results yet.')
      : table('Results by URL index', ['#', 'URL', 'State', 'HTTP', 'Latency', 'Bytes', 'Attempts', 'Error'],
        rows, { numeric: [0, 3, 4, 5, 6] }));
    pageInfo.textContent = `Page ${page + 1} of ${pages} (${fmtNumber(shown.length)} results)`;
    prev.disabled = page === 0;
    next.disabled = page >= pages - 1;
  }

  // The results so far in one answer (GET /jobs/{id}), then the stream from there on: a
  // finished job's stream sends all its results at once, faster than a page can take them
  // (the service drops a stream that falls 32 batches behind), while one JSON document of
  // 100,000 results is parsed in one go. The results recorded so far are the first
  // succeeded + failed of the recording order the stream numbers, so the stream resumes
  // right after them (Last-Event-ID); a result that came both ways is kept once.
  async function start() {
    let after = null;
    try {
      const response = await request(path, { signal: abort.signal });
      if (response.status === 404) {
        status.replaceChildren(message(`No job with id ${id}.`));
        return;
      }
      if (response.ok) {
        const view = await response.json();
        view.results.forEach((r, index) => addResult({ index, ...r }));
        const summary = { ...view };
        delete summary.results;
        showSummary(summary);
        after = String(summary.succeeded + summary.failed);
        refresh();
      }
    } catch (e) {
      if (abort.signal.aborted) return;
      // the stream below sends everything then
    }
    stream(`${path}/events`, {
      signal: abort.signal,
      lastEventId: after,
      ended: (event) => event.type === 'done',
      onState: (state, detail) => {
        connection.textContent = state === 'open' ? '(live)' : state === 'retrying' ? '(reconnecting…)' : '';
        if (state === 'ended' && detail) status.replaceChildren(message(detail));
      },
      onEvent: (event) => {
        if (event.type === 'result') {
          addResult(JSON.parse(event.data));
          refresh();
        } else if (event.type === 'progress' || event.type === 'done') {
          showSummary(JSON.parse(event.data));
          refresh();
        }
      },
    });
  }
  start();

  return () => {
    abort.abort();
    clearTimeout(timer);
    waterfall.destroy();
    histogram.destroy();
  };
}
