// Reads the reports for the range on screen and hands them to the charts.
import { barChart, dauChart, draw, latencyChart, trafficChart, view } from './charts.js';
import { $, showEmpty } from './dom.js';
import { api } from './session.js';

const INTERVALS = { 3600: '1m', 86400: '15m', 604800: '1h', 2592000: '6h' };

export async function refresh() {
  const seconds = Number($('range').value);
  const to = new Date();
  const from = new Date(to.getTime() - seconds * 1000);
  const range = { from: from.toISOString(), to: to.toISOString() };
  view.from = from.getTime() / 1000;
  view.to = to.getTime() / 1000;
  const dayRange = {
    from: new Date(to.getTime() - Math.max(seconds, 7 * 86400) * 1000).toISOString(),
    to: range.to,
  };
  const [performance, dau, events, routes] = await Promise.all([
    api('/performance', { ...range, interval: INTERVALS[seconds] }),
    api('/reports', { type: 'daily-active-users', ...dayRange }),
    api('/reports', { type: 'top-events', ...range }),
    api('/reports', { type: 'top-routes', ...range }),
  ]);
  const traffic = overTime(performance);
  draw('chart-traffic', trafficChart(traffic));
  draw('chart-latency', latencyChart(traffic));
  draw('chart-dau', dauChart(itemsOf(dau)));
  draw(
    'chart-events',
    barChart(
      itemsOf(events).map((e) => [e.event, e.count]),
      'events',
    ),
  );
  draw(
    'chart-routes',
    barChart(
      itemsOf(routes).map((r) => [`${r.service} ${r.route}`, r.requests]),
      'requests',
    ),
  );
  await drawFunnelAndRetention(dayRange);
  $('updated').textContent = `updated ${to.toLocaleTimeString()}`;
  $('status').textContent = '';
}

const itemsOf = (report) => report.rows;

/** The two panels with inputs of their own; a bad input shows its problem in the panel. */
async function drawFunnelAndRetention(range) {
  const steps = $('funnel-steps').value.trim();
  const [funnel, retention] = await Promise.all([
    steps
      ? api('/reports', {
          type: 'funnel',
          steps,
          window: $('funnel-window').value,
          ...range,
        }).catch((error) => ({ error }))
      : { steps: [] },
    api('/reports', {
      type: 'retention',
      start_event: $('retention-start').value.trim(),
      return_event: $('retention-return').value.trim(),
      period: $('retention-period').value,
      ...range,
    }).catch((error) => ({ error })),
  ]);
  if (funnel.error) $('status').textContent = `Funnel: ${funnel.error.message}`;
  else {
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
  }
  if (retention.error) $('status').textContent = `Retention: ${retention.error.message}`;
  else retentionTable($('chart-retention'), retention.cohorts, retention.period);
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
