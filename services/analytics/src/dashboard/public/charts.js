// Chart specifications (uPlot) and drawing: a chart is created on first use and afterwards only
// gets new data, so a refresh every few seconds does not rebuild the canvas.
/* global uPlot */
import { $, showEmpty } from './dom.js';

const COLORS = ['#2563eb', '#d92d20', '#f79009', '#12b76a', '#7a5af8', '#0ba5ec'];
const charts = new Map();
/** The time window on screen, in seconds: time charts span all of it, even when data is sparse. */
export const view = { from: 0, to: 0 };
const windowRange = () => [view.from, view.to];

const line = (label, color, extra = {}) => ({ label, stroke: color, width: 2, ...extra });

export function trafficChart(t) {
  return {
    kind: 'traffic',
    data: [t.times, t.requests, t.errors, t.errorRate],
    options: {
      series: [
        {},
        line('requests', COLORS[0], { fill: 'rgba(37,99,235,0.08)' }),
        line('errors (5xx)', COLORS[1]),
        line('error rate %', COLORS[2], {
          scale: '%',
          dash: [6, 4],
          value: (_u, v) => (v == null ? '–' : `${v.toFixed(1)} %`),
        }),
      ],
      scales: {
        x: { time: true, range: windowRange },
        '%': { range: (_u, _min, max) => [0, Math.max(5, Math.ceil(max * 1.2))] },
      },
      axes: [
        {},
        { label: 'per interval' },
        {
          scale: '%',
          side: 1,
          grid: { show: false },
          values: (_u, vals) => vals.map((v) => `${v}%`),
        },
      ],
    },
  };
}

export function latencyChart(t) {
  const ms = (_u, v) => (v == null ? '–' : `${v.toFixed(1)} ms`);
  return {
    kind: 'latency',
    data: [t.times, t.p50, t.p95, t.p99],
    options: {
      series: [
        {},
        line('p50', COLORS[3], { value: ms }),
        line('p95', COLORS[2], { value: ms }),
        line('p99', COLORS[1], { value: ms }),
      ],
      scales: { x: { time: true, range: windowRange } },
      axes: [{}, { size: 70, values: (_u, vals) => vals.map((v) => `${v} ms`) }],
    },
  };
}

export function dauChart(items) {
  const times = items.map((d) => Date.parse(`${d.day}T00:00:00Z`) / 1000);
  return {
    kind: 'dau',
    data: [times, items.map((d) => d.users)],
    options: {
      series: [
        {},
        {
          label: 'users',
          stroke: COLORS[4],
          fill: 'rgba(122,90,248,0.35)',
          paths: uPlot.paths.bars({ size: [0.6, 60] }),
          points: { show: false },
        },
      ],
      // Half a day of room each side, so the first and last bars are drawn whole.
      scales: {
        x: { time: true, range: (_u, min, max) => [min - 43_200, max + 43_200] },
        y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] },
      },
      axes: [{ space: 60 }, {}],
    },
  };
}

/** Horizontal bars: one row per label, largest first at the top. */
export function barChart(pairs, label) {
  const labels = pairs.map((p) => p[0]);
  return {
    kind: `bars-${labels.join('\u0000')}`,
    data: [labels.map((_, i) => i), pairs.map((p) => p[1])],
    options: {
      series: [
        { label: 'rank', value: (_u, i) => labels[i] ?? '' },
        {
          label,
          stroke: COLORS[0],
          fill: 'rgba(37,99,235,0.55)',
          paths: uPlot.paths.bars({ size: [0.7, 40] }),
          points: { show: false },
        },
      ],
      scales: {
        x: { time: false, ori: 1, dir: -1, range: [-0.5, Math.max(labels.length, 5) - 0.5] },
        y: { ori: 0, range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] },
      },
      axes: [
        {
          side: 3,
          size: 220,
          gap: 6,
          grid: { show: false },
          ticks: { show: false },
          splits: () => labels.map((_, i) => i),
          values: (_u, splits) => splits.map((i) => shorten(labels[i] ?? '', 32)),
        },
        { side: 2 },
      ],
      legend: { show: false },
      cursor: { points: { show: false } },
    },
  };
}

const shorten = (text, max) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** Creates the chart on first use (or when its shape changes) and otherwise only swaps data. */
export function draw(id, spec) {
  const el = $(id);
  const values = spec.data.slice(1).flat();
  // What is drawn, for people reading the DOM (and the browser test): values shown and their sum.
  el.dataset.points = String(values.filter((v) => v != null).length);
  el.dataset.total = String(spec.data[1].reduce((sum, v) => sum + (v ?? 0), 0));
  const current = charts.get(id);
  if (spec.data[0].length === 0) {
    current?.plot?.destroy();
    charts.delete(id);
    showEmpty(el);
    return;
  }
  if (current && current.kind === spec.kind) {
    current.plot.setData(spec.data);
    return;
  }
  current?.plot?.destroy();
  el.replaceChildren();
  const plot = new uPlot({ width: el.clientWidth, height: 260, ...spec.options }, spec.data, el);
  el.dataset.drawn = 'true';
  charts.set(id, { kind: spec.kind, plot });
}

addEventListener('resize', () => {
  for (const [id, chart] of charts) chart.plot.setSize({ width: $(id).clientWidth, height: 260 });
});

/** Removes every chart (on sign-out), so nothing of the last session stays on the page. */
export function destroyCharts() {
  for (const chart of charts.values()) chart.plot?.destroy();
  charts.clear();
  for (const el of document.querySelectorAll('.chart')) el.replaceChildren();
}
