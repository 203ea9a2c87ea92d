// The per-URL waterfall of a job on a canvas: each URL's bar starts at its start offset and is
// as long as its latency, coloured by outcome, one row per URL in start order. When there are
// more URLs than rows fit (MAX_HEIGHT / MIN_ROW), the URLs are bucketed into 2-pixel rows in
// start order and each row drawn as a density (see density()), so a redraw costs a pass over
// the URLs and one over the pixels, whatever the job's size; redraws come at most every 500 ms.
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

    let t0 = Infinity;
    let t1 = -Infinity;
    for (let i = 0; i < count; i++) {
      t0 = Math.min(t0, starts[i]);
      t1 = Math.max(t1, starts[i] + latencies[i]);
    }
    const span = count ? Math.max(1, t1 - t0) : 1;
    const x = (t) => ((t - t0) / span) * (cssWidth - 1);
    axis(g, cssWidth, cssHeight, span);

    const perRow = perUrl ? 1 : Math.ceil(count / rows);
    if (perUrl) {
      const order = new Uint32Array(count);
      for (let i = 0; i < count; i++) order[i] = i;
      order.sort((a, b) => starts[a] - starts[b]);
      for (let r = 0; r < count; r++) {
        const i = order[r];
        g.fillStyle = STATE_COLOR[states[i]] || COLORS.CANCELLED;
        const left = x(starts[i]);
        g.fillRect(left, AXIS + r * rowHeight, Math.max(1, x(starts[i] + latencies[i]) - left),
          Math.max(1, rowHeight - 1));
      }
    } else {
      density(g, { starts, latencies, states, count }, { rows, perRow, rowHeight, ratio, cssWidth, t0, span });
    }

    canvas.dataset.bars = String(count);
    canvas.dataset.mode = perUrl ? 'per-url' : 'aggregated';
    canvas.dataset.rows = String(perUrl ? count : Math.ceil(count / perRow));
    canvas.setAttribute('aria-label', `Waterfall of ${count} URLs over ${fmtMs(count ? span : 0)}`
      + (perUrl ? ', one bar per URL' : `, ${perRow} URLs per row`));
  }
}

function axis(g, cssWidth, cssHeight, span) {
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
    g.textAlign = k === 0 ? 'left' : k === 4 ? 'right' : 'center';
    g.fillText(fmtMs((k / 4) * span), k === 0 ? 2 : k === 4 ? cssWidth - 2 : px, 2);
  }
}

const rgb = (hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));

/**
 * Many URLs per pixel row: the URLs, in start order, are cut into `rows` buckets; in each row a
 * pixel is as opaque as the number of its bucket's URLs in flight at that time, and as red as
 * the share of them that failed (green when none did). Linear in URLs plus pixels: no per-URL drawing call, no comparator sort.
 */
function density(g, { starts, latencies, states, count }, { rows, perRow, rowHeight, ratio, cssWidth, t0, span }) {
  const width = Math.round(cssWidth * ratio);
  const height = Math.round(rows * rowHeight * ratio);
  // the start that begins each bucket, from the sorted starts
  const sorted = starts.slice(0, count).sort();
  const bounds = new Float64Array(rows);
  for (let r = 0; r < rows; r++) bounds[r] = sorted[Math.min(count - 1, r * perRow)];
  const stride = width + 1;
  const ok = new Float32Array(rows * stride);
  const failed = new Float32Array(rows * stride);
  const scale = (width - 1) / span;
  for (let i = 0; i < count; i++) {
    let lo = 0;
    let hi = rows - 1;
    while (lo < hi) { // the last bucket that begins at or before this start
      const mid = (lo + hi + 1) >> 1;
      if (bounds[mid] <= starts[i]) lo = mid; else hi = mid - 1;
    }
    const x0 = Math.min(width - 1, Math.floor((starts[i] - t0) * scale));
    const x1 = Math.min(width, Math.max(x0 + 1, Math.ceil((starts[i] + latencies[i] - t0) * scale)));
    const cover = states[i] === 1 ? failed : ok;
    cover[lo * stride + x0] += 1;
    cover[lo * stride + x1] -= 1;
  }
  // running sums along each row: URLs in flight per pixel
  let most = 1;
  for (let r = 0; r < rows; r++) {
    let a = 0;
    let b = 0;
    for (let px = 0; px < width; px++) {
      a += ok[r * stride + px];
      b += failed[r * stride + px];
      ok[r * stride + px] = a;
      failed[r * stride + px] = b;
      if (a + b > most) most = a + b;
    }
  }
  const layer = document.createElement('canvas'); // drawn over the grid, not in place of it
  layer.width = width;
  layer.height = height;
  const image = layer.getContext('2d').createImageData(width, height);
  const [gr, gg, gb] = rgb(COLORS.SUCCEEDED);
  const [fr, fg, fb] = rgb(COLORS.FAILED);
  const rowPixels = height / rows;
  for (let y = 0; y < height; y++) {
    const r = Math.min(rows - 1, Math.floor(y / rowPixels));
    for (let px = 0; px < width; px++) {
      const a = ok[r * stride + px];
      const b = failed[r * stride + px];
      if (a <= 0 && b <= 0) continue;
      const o = (y * width + px) * 4;
      const f = b / (a + b); // the failed share, mixed from green to red
      image.data[o] = Math.round(gr + (fr - gr) * f);
      image.data[o + 1] = Math.round(gg + (fg - gg) * f);
      image.data[o + 2] = Math.round(gb + (fb - gb) * f);
      image.data[o + 3] = Math.round(255 * Math.min(1, 0.3 + (0.7 * (a + b)) / most));
    }
  }
  layer.getContext('2d').putImageData(image, 0, 0);
  g.save();
  g.setTransform(1, 0, 0, 1, 0, 0);
  g.drawImage(layer, 0, Math.round(AXIS * ratio));
  g.restore();
}
