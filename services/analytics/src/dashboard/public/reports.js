// Reads the reports for the range on screen and hands them to the charts, each panel on its own
// (panels.js: a panel refused by a busy service retries while the others draw).
import { barChart, dauChart, draw, latencyChart, trafficChart, view } from './charts.js';
import { $, showEmpty } from './dom.js';
import { loadPanels } from './panels.js';
import { api } from './session.js';

const INTERVALS = { 3600: '1m', 86400: '15m', 604800: '1h', 2592000: '6h' };

/** The range on screen as of now: each attempt, a retry too, asks for the range as it is then. */
function ranges() {
  const seconds = Number($('range').value);
  const to = new Date();
  const from = new Date(to.getTime() - seconds * 1000);
  return {
    seconds,
    range: { from: from.toISOString(), to: to.toISOString() },
    // Daily charts and the funnel and retention look back a week at least.
    days: {
      from: new Date(to.getTime() - Math.max(seconds, 7 * 86400) * 1000).toISOString(),
      to: to.toISOString(),
    },
  };
}

const rowsOf = (report) => report.rows;

/** A panel: the charts it fills, how it asks for its data, how it draws it. */
const PANELS = [
  {
    name: 'performance',
    charts: ['chart-traffic', 'chart-latency'],
    load: (signal) => {
      const { seconds, range } = ranges();
      return api('/performance', { ...range, interval: INTERVALS[seconds] }, signal).then(
        (body) => ({ body, range }),
      );
    },
    show: ({ body, range }) => {
      // Time charts span the window asked for, even where data is sparse.
      view.from = Date.parse(range.from) / 1000;
      view.to = Date.parse(range.to) / 1000;
      const traffic = overTime(body);
      draw('chart-traffic', trafficChart(traffic));
      draw('chart-latency', latencyChart(traffic));
    },
  },
  {
    name: 'dau',
    charts: ['chart-dau'],
    load: (signal) => api('/reports', { type: 'daily-active-users', ...ranges().days }, signal),
    show: (report) => draw('chart-dau', dauChart(rowsOf(report))),
  },
  {
    name: 'events',
    charts: ['chart-events'],
    load: (signal) => api('/reports', { type: 'top-events', ...ranges().range }, signal),
    show: (report) =>
      draw(
        'chart-events',
        barChart(
          rowsOf(report).map((e) => [e.event, e.count]),
          'events',
        ),
      ),
  },
  {
    name: 'routes',
    charts: ['chart-routes'],
    load: (signal) => api('/reports', { type: 'top-routes', ...ranges().range }, signal),
    show: (report) =>
      draw(
        'chart-routes',
        barChart(
          rowsOf(report).map((r) => [`${r.service} ${r.route}`, r.requests]),
          'requests',
        ),
      ),
  },
  {
    name: 'funnel',
    charts: ['chart-funnel'],
    load: (signal) => {
      const steps = $('funnel-steps').value.trim();
      if (!steps) return Promise.resolve({ steps: [] });
      const window = $('funnel-window').value;
      return api('/reports', { type: 'funnel', steps, window, ...ranges().days }, signal);
    },
    show: (funnel) => {
      const entered = funnel.steps[0]?.users ?? 0;
      draw(
        'chart-funnel',
        barChart(
          entered
            ? funnel.steps.map((s, i) => [
                `${i + 1}. ${s.event} (${Math.round(s.conversion * 100)} %)`,
                s.users,
              ])
            : [],
          'people',
        ),
      );
    },
    shows: inputProblem('Funnel'),
  },
  {
    name: 'retention',
    charts: ['chart-retention'],
    load: (signal) =>
      api(
        '/reports',
        {
          type: 'retention',
          start_event: $('retention-start').value.trim(),
          return_event: $('retention-return').value.trim(),
          period: $('retention-period').value,
          ...ranges().days,
        },
        signal,
      ),
    show: (retention) => retentionTable($('chart-retention'), retention.cohorts, retention.period),
    shows: inputProblem('Retention'),
  },
];

/** The two panels with inputs of their own: a bad input (400) shows its problem on the page. */
function inputProblem(label) {
  return (error) => {
    if (error.status !== 400) return false;
    $('status').textContent = `${label}: ${error.message}`;
    return true;
  };
}

/**
 * Loads every panel (see loadPanels for `restart`); throws the first failure no panel could keep
 * to itself, e.g. a session that ended, after the others have drawn.
 */
export async function refresh(restart = false) {
  const asked = new Date();
  $('status').textContent = '';
  const failure = await loadPanels(PANELS, restart);
  $('updated').textContent = `updated ${asked.toLocaleTimeString()}`;
  if (failure) throw failure;
}

/** Cohorts as rows, periods as columns, each cell the share returning (built as DOM: the CSP). */
function retentionTable(el, cohorts, period) {
  const shown = cohorts.filter((c) => c.users > 0);
  el.dataset.points = String(shown.length);
  el.dataset.total = String(shown.reduce((sum, c) => sum + c.users, 0));
  if (shown.length === 0) {
    showEmpty(el);
    return;
  }
  const width = Math.max(...shown.map((c) => c.returned.length));
  const cell = (tag, text, style) => {
    const node = document.createElement(tag);
    node.textContent = text;
    if (style) node.style.background = style;
    return node;
  };
  const head = document.createElement('tr');
  head.append(cell('th', period === 'week' ? 'week of' : 'day'), cell('th', 'people'));
  for (let k = 0; k < width; k += 1) head.append(cell('th', `${period} ${k}`));
  const rows = shown.map((c) => {
    const tr = document.createElement('tr');
    tr.append(cell('td', c.start.slice(0, 10)), cell('td', String(c.users)));
    for (let k = 0; k < width; k += 1) {
      const n = c.returned[k];
      if (n === undefined) tr.append(cell('td', ''));
      else {
        const share = n / c.users;
        tr.append(
          cell(
            'td',
            `${Math.round(share * 100)} %`,
            `rgba(37,99,235,${(0.08 + share * 0.6).toFixed(2)})`,
          ),
        );
      }
    }
    return tr;
  });
  const table = document.createElement('table');
  table.append(head, ...rows);
  el.replaceChildren(table);
  el.dataset.drawn = 'true';
}

/** Totals per interval across every service and route, with request-weighted percentiles. */
function overTime(body) {
  const rows = body.series.flatMap((series) => series.points);
  const buckets = new Map();
  for (const row of rows) {
    const t = Date.parse(row.time) / 1000;
    const b = buckets.get(t) ?? { requests: 0, errors: 0, p50: 0, p95: 0, p99: 0, weight: 0 };
    b.requests += row.requests;
    b.errors += row.errors;
    if (row.p50 != null && row.requests > 0) {
      b.p50 += row.p50 * row.requests;
      b.p95 += row.p95 * row.requests;
      b.p99 += row.p99 * row.requests;
      b.weight += row.requests;
    }
    buckets.set(t, b);
  }
  const times = [...buckets.keys()].sort((a, b) => a - b);
  const at = (f) => times.map((t) => f(buckets.get(t)));
  const pct = (key) => at((b) => (b.weight ? b[key] / b.weight : null));
  return {
    times,
    requests: at((b) => b.requests),
    errors: at((b) => b.errors),
    errorRate: at((b) => (b.requests ? (100 * b.errors) / b.requests : null)),
    p50: pct('p50'),
    p95: pct('p95'),
    p99: pct('p99'),
  };
}
