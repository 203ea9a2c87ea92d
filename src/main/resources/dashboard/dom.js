// Small helpers: building DOM nodes without innerHTML (text from the API is never parsed as
// HTML), and formatting numbers, durations and times for people.

/** el('a', {href: '#'}, 'text', child, ...): attributes ('on*' are listeners, 'data' a map). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value == null || value === false) continue;
    if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else if (key === 'data') Object.assign(node.dataset, value);
    else if (key === 'class') node.className = value;
    else node.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child == null || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

/** A progress bar (role progressbar, 0-100) whose fill is set through the DOM, not a style attribute. */
export function progressBar(label, pct, attrs = {}) {
  const fill = el('div', { class: 'fill' });
  const bar = el('div', { class: 'bar', role: 'progressbar', 'aria-label': label, 'aria-valuemin': '0',
    'aria-valuemax': '100', ...attrs }, fill);
  setProgress(bar, pct);
  return bar;
}

export function setProgress(bar, pct) {
  bar.setAttribute('aria-valuenow', String(pct));
  bar.dataset.percent = String(pct);
  bar.firstChild.style.width = `${pct}%`;
}

/** A table in a horizontally scrolling region (phones), with a caption and header row. */
export function table(caption, headers, rows, { numeric = [] } = {}) {
  const head = el('tr', {}, headers.map((h, i) =>
    el('th', { scope: 'col', class: numeric.includes(i) ? 'num' : null }, h)));
  const body = rows.map((cells) => el('tr', {}, cells.map((c, i) =>
    el('td', { class: numeric.includes(i) ? 'num' : null }, c))));
  return el('div', { class: 'table-wrap', role: 'region', 'aria-label': caption, tabindex: '0' },
    el('table', {}, el('caption', {}, caption), el('thead', {}, head), el('tbody', {}, body)));
}

const number = new Intl.NumberFormat('en');

export function fmtNumber(n) {
  return n == null ? '–' : number.format(n);
}

/** 850 ms, 1.23 s, 2 min 5 s, 1 h 3 min. */
export function fmtMs(ms) {
  if (ms == null) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60000) return `${(ms / 1000).toFixed(ms < 10000 ? 2 : 1)} s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

export function fmtTime(iso) {
  if (!iso) return '–';
  const d = new Date(iso);
  return d.toLocaleString('en-GB', { dateStyle: 'short', timeStyle: 'medium' });
}

export function fmtSpeedup(x) {
  return x == null ? '–' : `${x.toFixed(2)}×`;
}

/** A datetime-local input's value as an ISO instant ('' when empty). */
export function isoFromLocal(value) {
  return value ? new Date(value).toISOString() : '';
}

/** A Date as a datetime-local input's value (local time, minutes). */
export function localFromDate(date) {
  const pad = (n) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T`
    + `${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** A status line for errors and notices (role=alert for errors). */
export function message(text, kind = 'error') {
  return el('p', { class: kind, role: kind === 'error' ? 'alert' : 'status' }, text);
}

/** Reports an error of a view in its status element, ignoring aborted requests. */
export function showError(target, error) {
  if (error?.name === 'AbortError') return;
  target.replaceChildren(message(error?.message || String(error)));
}

/** Colours shared by the charts and the CSS (WCAG AA against white). */
export const COLORS = {
  SUCCEEDED: '#1b7a2e',
  FAILED: '#c0262d',
  CANCELLED: '#6b6b6b',
  wall: '#0b57d0',
  latency: '#b35900',
  speedup: '#6a3d9a',
};
