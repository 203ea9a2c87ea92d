// Charts drawn with uPlot (from its WebJar, served by the service): the latency histogram of a
// job and the runtimes of the jobs of one name over time.
import uPlot from './vendor/uplot-1.6.30/uPlot.esm.js';
import { COLORS, fmtMs } from './dom.js';

/** Keeps a chart as wide as its container (phones, resized windows). */
function fit(chart, target, height) {
  const observer = new ResizeObserver(() => {
    const width = Math.max(240, target.clientWidth);
    if (width !== chart.width) chart.setSize({ width, height });
  });
  observer.observe(target);
  return () => { observer.disconnect(); chart.destroy(); };
}

const msAxis = (u, values) => values.map((v) => (v == null ? '' : fmtMs(v)));

/**
 * Latency histogram: `buckets` bars from 0 to the highest latency. Returns {update(latencies,
 * count), destroy()}; update takes a typed array and how many of its values are set.
 */
export function latencyHistogram(target, buckets = 30) {
  const height = 220;
  let chart = null;
  let stop = () => {};
  function data(latencies, count) {
    let max = 1;
    for (let i = 0; i < count; i++) if (latencies[i] > max) max = latencies[i];
    const step = Math.max(1, Math.ceil(max / buckets));
    const xs = [];
    const ys = new Array(buckets).fill(0);
    for (let b = 0; b < buckets; b++) xs.push(b * step + step / 2);
    for (let i = 0; i < count; i++) ys[Math.min(buckets - 1, Math.floor(latencies[i] / step))]++;
    return [xs, ys];
  }
  return {
    update(latencies, count) {
      const d = data(latencies, count);
      target.setAttribute('role', 'img');
      target.setAttribute('aria-label', `Latency histogram of ${count} URLs, up to ${fmtMs(d[0][d[0].length - 1] + (d[0][1] - d[0][0]) / 2)}`);
      if (chart) { chart.setData(d); return; }
      chart = new uPlot({
        width: Math.max(240, target.clientWidth),
        height,
        scales: { x: { time: false } },
        legend: { show: false },
        cursor: { show: true, drag: { x: false, y: false } },
        series: [
          { label: 'Latency', value: (u, v) => (v == null ? '' : fmtMs(v)) },
          { label: 'URLs', stroke: COLORS.wall, fill: `${COLORS.wall}99`, points: { show: false },
            paths: uPlot.paths.bars({ size: [0.9, 80] }) },
        ],
        axes: [{ label: 'latency', values: msAxis }, { label: 'URLs' }],
      }, d, target);
      stop = fit(chart, target, height);
      target.dataset.drawn = 'true';
    },
    destroy: () => stop(),
  };
}

/**
 * Runtimes of one job name: wall time and the sum of its URLs' latencies (left axis) and the
 * speedup (right axis) of each run, by submission time. `jobs` sorted by submittedAt.
 */
export function runtimeChart(target, jobs) {
  const height = 260;
  const xs = jobs.map((j) => Date.parse(j.submittedAt) / 1000);
  const chart = new uPlot({
    width: Math.max(240, target.clientWidth),
    height,
    scales: {
      x: { time: true },
      ms: { auto: true, range: (u, min, max) => [0, Math.max(1, max) * 1.1] },
      speedup: { auto: true, range: (u, min, max) => [0, Math.max(1.5, max * 1.1)] } },
    series: [
      {},
      { label: 'Wall time', scale: 'ms', stroke: COLORS.wall, width: 2, points: { show: true, size: 7 },
        value: (u, v) => fmtMs(v) },
      { label: 'Sum of latencies', scale: 'ms', stroke: COLORS.latency, width: 2, dash: [6, 4],
        points: { show: true, size: 7 }, value: (u, v) => fmtMs(v) },
      { label: 'Speedup', scale: 'speedup', stroke: COLORS.speedup, width: 1,
        points: { show: true, size: 5 }, value: (u, v) => (v == null ? '–' : `${v.toFixed(2)}×`) },
    ],
    axes: [
      {},
      { scale: 'ms', values: msAxis, size: 70 },
      { scale: 'speedup', side: 1, grid: { show: false }, values: (u, vals) => vals.map((v) => `${v}×`) },
    ],
    // one run alone: an hour either side, not uPlot's span of years
    hooks: { ready: [(u) => { if (xs.length === 1) u.setScale('x', { min: xs[0] - 3600, max: xs[0] + 3600 }); }] },
  }, [xs, jobs.map((j) => j.wallMs), jobs.map((j) => j.sumLatencyMs), jobs.map((j) => j.speedup)], target);
  return fit(chart, target, height);
}
