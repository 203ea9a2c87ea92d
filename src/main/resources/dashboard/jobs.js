// Jobs: submit a job by pasting URLs, the jobs running now (live, from GET /events), and the
// history (GET /jobs with its filters and cursor paging), with a cancel button for running jobs.
import { getJson, postJson, remove, query, stream } from './api.js';
import { el, progressBar, table, fmtMs, fmtNumber, fmtTime, fmtSpeedup, isoFromLocal, message, showError } from './dom.js';

const PAGE = 20;

export function mount(container) {
  const abort = new AbortController();
  const running = new Map(); // id -> latest summary
  const ended = new Set(); // ids GET /events said were done (the history may still say RUNNING)
  let cursors = [null]; // cursor of each page shown so far; the last is the current page
  let nextCursor = null;
  let filter = {};

  // ---- submit ----
  const submitStatus = el('div', { id: 'submit-status' });
  const form = el('form', { id: 'submit-form', class: 'stack', onsubmit: submit },
    el('div', { class: 'field' },
      el('label', { for: 'job-name' }, 'Name'),
      el('input', { id: 'job-name', name: 'name', autocomplete: 'off', placeholder: 'nightly crawl' })),
    el('div', { class: 'field' },
      el('label', { for: 'job-urls' }, 'URLs, one per line (blank lines and # comments are skipped)'),
      el('textarea', { id: 'job-urls', name: 'urls', rows: '5', required: true, spellcheck: 'false',
        placeholder: 'https://example.com/a\nhttps://example.com/b' })),
    el('div', { class: 'field narrow' },
      el('label', { for: 'job-concurrency' }, 'Concurrency (optional)'),
      el('input', { id: 'job-concurrency', name: 'concurrency', type: 'number', min: '1', inputmode: 'numeric' })),
    el('div', { class: 'actions' }, el('button', { id: 'submit-button', type: 'submit' }, 'Submit job')),
    submitStatus);

  async function submit(event) {
    event.preventDefault();
    const urls = form.urls.value.split(/\r?\n/).map((u) => u.trim())
      .filter((u) => u && !u.startsWith('#'));
    const body = { urls };
    if (form.elements.namedItem('name').value.trim()) body.name = form.elements.namedItem('name').value.trim();
    if (form.concurrency.value) body.concurrency = Number(form.concurrency.value);
    submitStatus.replaceChildren(message('Submitting…', 'notice'));
    try {
      const job = await postJson('/jobs', body);
      location.hash = `#/jobs/${encodeURIComponent(job.id)}`;
    } catch (e) {
      showError(submitStatus, e);
    }
  }

  // ---- running now ----
  const runningList = el('ul', { id: 'running-list', class: 'running' });
  const runningEmpty = el('p', { class: 'muted' }, 'No job is running.');

  function renderRunning() {
    runningList.replaceChildren(...[...running.values()].map((s) => {
      const done = s.succeeded + s.failed + s.cancelled;
      const pct = s.total ? Math.floor((done * 100) / s.total) : 0;
      return el('li', { data: { jobId: s.id } },
        el('a', { href: `#/jobs/${encodeURIComponent(s.id)}` }, s.name || s.id),
        progressBar(`Progress of ${s.name || s.id}`, pct),
        el('span', { class: 'muted' }, `${fmtNumber(done)} / ${fmtNumber(s.total)} · ${fmtNumber(s.failed)} failed`
          + (s.ratePerSecond != null ? ` · ${s.ratePerSecond}/s` : '')),
        cancelButton(s));
    }));
    runningEmpty.hidden = running.size > 0;
  }

  function cancelButton(s) {
    return el('button', { type: 'button', class: 'secondary', 'aria-label': `Cancel job ${s.name || s.id}`,
      onclick: async (event) => {
        event.target.disabled = true;
        try {
          await remove(`/jobs/${encodeURIComponent(s.id)}`);
        } catch (e) {
          if (e.status !== 409) showError(listStatus, e); // 409: it had just finished
        }
      } }, 'Cancel');
  }

  // ---- history ----
  const listStatus = el('div', { id: 'list-status' });
  const tableHolder = el('div', { id: 'jobs-table' });
  const older = el('button', { type: 'button', class: 'secondary', id: 'page-older',
    onclick: () => { cursors.push(nextCursor); load(); } }, 'Older');
  const newer = el('button', { type: 'button', class: 'secondary', id: 'page-newer',
    onclick: () => { cursors.pop(); load(); } }, 'Newer');
  const pageInfo = el('span', { class: 'muted', 'aria-live': 'polite' });

  const filters = el('form', { id: 'filters', class: 'filters', onsubmit: (event) => {
    event.preventDefault();
    filter = {
      state: filters.state.value,
      name: filters.elements.namedItem('name').value.trim(),
      since: isoFromLocal(filters.since.value),
      until: isoFromLocal(filters.until.value),
    };
    cursors = [null];
    load();
  } },
    el('div', { class: 'field' }, el('label', { for: 'filter-state' }, 'State'),
      el('select', { id: 'filter-state', name: 'state' },
        ['', 'RUNNING', 'COMPLETED', 'CANCELLED'].map((s) => el('option', { value: s }, s || 'Any')))),
    el('div', { class: 'field' }, el('label', { for: 'filter-name' }, 'Name contains'),
      el('input', { id: 'filter-name', name: 'name', autocomplete: 'off' })),
    el('div', { class: 'field' }, el('label', { for: 'filter-since' }, 'Submitted since'),
      el('input', { id: 'filter-since', name: 'since', type: 'datetime-local' })),
    el('div', { class: 'field' }, el('label', { for: 'filter-until' }, 'Submitted before'),
      el('input', { id: 'filter-until', name: 'until', type: 'datetime-local' })),
    el('div', { class: 'actions' }, el('button', { type: 'submit' }, 'Apply filters')));

  async function load() {
    try {
      const page = await getJson(`/jobs${query({ ...filter, limit: PAGE, cursor: cursors[cursors.length - 1] })}`,
        abort.signal);
      nextCursor = page.nextCursor;
      tableHolder.replaceChildren(page.jobs.length === 0
        ? el('p', { class: 'muted' }, 'No jobs match.')
        : table('Jobs, newest first',
          ['Name', 'State', 'URLs done', 'Failed', 'Submitted', 'Wall time', 'Sum of latencies', 'Speedup', ''],
          page.jobs.map(row), { numeric: [2, 3, 5, 6, 7] }));
      listStatus.replaceChildren();
      older.disabled = !nextCursor;
      newer.disabled = cursors.length <= 1;
      pageInfo.textContent = `Page ${cursors.length}`;
      for (const s of page.jobs) {
        if (s.state === 'RUNNING' && !running.has(s.id) && !ended.has(s.id)) running.set(s.id, s);
      }
      renderRunning();
    } catch (e) {
      showError(listStatus, e);
    }
  }

  function row(s) {
    const done = s.succeeded + s.failed + s.cancelled;
    return [
      el('a', { href: `#/jobs/${encodeURIComponent(s.id)}` }, s.name || s.id),
      el('span', { class: `state state-${s.state.toLowerCase()}` }, s.state),
      `${fmtNumber(done)} / ${fmtNumber(s.total)}`,
      fmtNumber(s.failed),
      fmtTime(s.submittedAt),
      fmtMs(s.wallMs),
      fmtMs(s.sumLatencyMs),
      fmtSpeedup(s.speedup),
      s.state === 'RUNNING' ? cancelButton(s) : '',
    ];
  }

  // ---- live: every job's progress and end (GET /events) ----
  let reloadTimer = null;
  stream('/events', {
    signal: abort.signal,
    onEvent: (event) => {
      if (event.type !== 'progress' && event.type !== 'done') return;
      const s = JSON.parse(event.data);
      if (event.type === 'done' || s.state !== 'RUNNING') {
        running.delete(s.id);
        ended.add(s.id);
      } else {
        running.set(s.id, s);
      }
      renderRunning();
      if (event.type === 'done') {
        clearTimeout(reloadTimer);
        // the history (the read side) shows the end a moment later
        reloadTimer = setTimeout(load, 500);
      }
    },
  });

  container.append(
    el('h1', {}, 'Jobs'),
    el('section', { 'aria-labelledby': 'submit-title', class: 'card' },
      el('h2', { id: 'submit-title' }, 'Submit a job'), form),
    el('section', { 'aria-labelledby': 'running-title', class: 'card' },
      el('h2', { id: 'running-title' }, 'Running now'), runningEmpty, runningList),
    el('section', { 'aria-labelledby': 'history-title', class: 'card' },
      el('h2', { id: 'history-title' }, 'History'), filters, listStatus, tableHolder,
      el('div', { class: 'pager' }, newer, pageInfo, older)));
  renderRunning();
  load();
  return () => { abort.abort(); clearTimeout(reloadTimer); };
}
