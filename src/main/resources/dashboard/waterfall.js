// The per-URL waterfall of a job on a canvas: each URL's bar starts at its start offset and is
// as long as its latency, coloured by outcome, one row per URL in start order. When there are
// more URLs than rows fit (MAX_HEIGHT / MIN_ROW), URLs are bucketed into pixel rows in start
// order and drawn translucent, so the picture and its cost stay bounded (100,000 URLs: one
// sort and 100,000 rectangles per redraw, and redraws at most every 500 ms).
import { COLORS, fmtMs } from './dom.js';

const MAX_HEIGHT = 480; // CSS pixels of bars
const MIN_ROW = 3; // below this a URL gets no row of its own
const MAX_ROW = 16;
const AXIS = 22; // the time axis above the bars
const STATE_COLOR = [COLORS.SUCCEEDED, COLORS.FAILED, COLORS.CANCELLED];

export class Waterfall {
  constructor(canvas) {
    this.canvas = canvas;
    this.scheduled = false;
    this.lastDraw = 0;
    this.data = null;
    this.observer = new ResizeObserver(() => this.redraw());
    this.observer.observe(canvas.parentElement);
  }

  /** data: {starts, latencies (Float64Array, ms), states (Uint8Array: 0 ok, 1 failed), count}. */
  update(data) {
    this.data = data;
    if (this.scheduled) return;
    this.scheduled = true;
    const wait = Math.max(0, 500 - (performance.now() - this.lastDraw));
    setTimeout(() => requestAnimationFrame(() => { this.scheduled = false; this.redraw(); }), wait);
  }

  destroy() {
    this.observer.disconnect();
  }

  redraw() {
    if (!this.data) return;
    this.lastDraw = performance.now();
    const { starts, latencies, states, count } = this.data;
    const canvas = this.canvas;
    const cssWidth = Math.max(240, canvas.parentElement.clientWidth);
    const perUrl = count * MIN_ROW <= MAX_HEIGHT;
    const rows = perUrl ? count : Math.floor(MAX_HEIGHT / 2);
    const rowHeight = perUrl ? Math.min(MAX_ROW, Math.max(MIN_ROW, Math.floor(MAX_HEIGHT / Math.max(1, count)))) : 2;
    const cssHeight = AXIS + Math.max(1, rows) * rowHeight;
    const ratio = window.devicePixelRatio || 1;
    canvas.width = Math.round(cssWidth * ratio);
    canvas.height = Math.round(cssHeight * ratio);
    canvas.style.width = `${cssWidth}px`;
    canvas.style.height = `${cssHeight}px`;
    const g = canvas.getContext('2d');
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.clearRect(0, 0, cssWidth, cssHeight);

    // start order
    const order = new Uint32Array(count);
    for (let i = 0; i < count; i++) order[i] = i;
    order.sort((a, b) => starts[a] - starts[b]);
    let t0 = Infinity;
    let t1 = -Infinity;
    for (let i = 0; i < count; i++) {
      t0 = Math.min(t0, starts[i]);
      t1 = Math.max(t1, starts[i] + latencies[i]);
    }
    const span = count ? Math.max(1, t1 - t0) : 1;
    const x = (t) => ((t - t0) / span) * (cssWidth - 1);

    // time axis
    g.fillStyle = '#1a1a1a';
    g.font = '12px system-ui, sans-serif';
    g.textBaseline = 'top';
    g.strokeStyle = '#d0d0d0';
    for (let k = 0; k <= 4; k++) {
      const px = Math.round((k / 4) * (cssWidth - 1)) + 0.5;
      g.beginPath();
      g.moveTo(px, AXIS - 4);
      g.lineTo(px, cssHeight);
      g.stroke();
      const label = fmtMs((k / 4) * span);
      g.textAlign = k === 0 ? 'left' : k === 4 ? 'right' : 'center';
      g.fillText(label, k === 0 ? 2 : k === 4 ? cssWidth - 2 : px, 2);
    }

    // bars: successes first, failures over them
    const perRow = perUrl ? 1 : Math.ceil(count / rows);
    g.globalAlpha = perUrl ? 1 : Math.max(0.15, Math.min(1, 4 / Math.sqrt(perRow)));
    for (const pass of [0, 1, 2]) {
      g.fillStyle = STATE_COLOR[pass];
      for (let r = 0; r < count; r++) {
        const i = order[r];
        if (states[i] !== pass) continue;
        const row = perUrl ? r : Math.floor(r / perRow);
        const left = x(starts[i]);
        const width = Math.max(1, x(starts[i] + latencies[i]) - left);
        g.fillRect(left, AXIS + row * rowHeight, width, perUrl ? Math.max(1, rowHeight - 1) : rowHeight);
      }
    }
    g.globalAlpha = 1;

    canvas.dataset.bars = String(count);
    canvas.dataset.mode = perUrl ? 'per-url' : 'aggregated';
    canvas.dataset.rows = String(perUrl ? count : Math.ceil(count / perRow));
    canvas.setAttribute('aria-label', `Waterfall of ${count} URLs over ${fmtMs(count ? span : 0)}`
      + (perUrl ? ', one bar per URL' : `, ${perRow} URLs per row`));
  }
}
