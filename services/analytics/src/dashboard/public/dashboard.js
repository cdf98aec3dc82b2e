// The analytics dashboard. Signs an admin in through the accounts API, keeps the tokens in memory
// only (a reload asks again), and redraws every chart from the analytics API every few seconds.
/* global uPlot */

const API = document.body.dataset.api;
const ACCOUNTS = document.body.dataset.accounts;
const REFRESH_MS = 5000;
const PERMISSION = 'analytics:read';
const COLORS = ['#2563eb', '#d92d20', '#f79009', '#12b76a', '#7a5af8', '#0ba5ec'];

const $ = (id) => document.getElementById(id);
const session = { access: null, refresh: null, user: null, renewTimer: null };
const charts = new Map();
/** The time window on screen, in seconds: time charts span all of it, even when data is sparse. */
const view = { from: 0, to: 0 };
const windowRange = () => [view.from, view.to];
let pollTimer = null;

// ---- session -------------------------------------------------------------------------------

async function signIn(login, password) {
  const body = login.includes('@') ? { email: login, password } : { username: login, password };
  const res = await fetch(`${ACCOUNTS}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(data.detail || `Sign-in failed (${res.status}).`);
  if (!data.user?.permissions?.includes(PERMISSION)) {
    await revoke(data.access_token, data.refresh_token);
    throw new Error('This account may not read analytics.');
  }
  keep(data);
}

function keep(tokens) {
  session.access = tokens.access_token;
  session.refresh = tokens.refresh_token;
  if (tokens.user) session.user = tokens.user;
  clearTimeout(session.renewTimer);
  // Renew a little before expiry (a minute, or a quarter of a short lifetime), so a chart refresh
  // never meets an expired token.
  const ttl = tokens.expires_in || 60;
  const renewIn = Math.max(1, ttl - Math.min(60, ttl / 4)) * 1000;
  session.renewTimer = setTimeout(() => renew().catch(signedOut), renewIn);
}

let renewing = null;
function renew() {
  renewing ??= (async () => {
    const res = await fetch(`${ACCOUNTS}/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refresh_token: session.refresh }),
    });
    if (!res.ok) throw new Error('Your session has ended; sign in again.');
    keep(await res.json());
  })().finally(() => {
    renewing = null;
  });
  return renewing;
}

async function revoke(access, refresh) {
  await fetch(`${ACCOUNTS}/logout`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${access}` },
    body: JSON.stringify({ refresh_token: refresh }),
  }).catch(() => {});
}

async function signOut() {
  const { access, refresh } = session;
  signedOut();
  if (access) await revoke(access, refresh);
}

function signedOut(error) {
  clearTimeout(session.renewTimer);
  clearInterval(pollTimer);
  session.access = session.refresh = session.user = null;
  for (const chart of charts.values()) chart.plot?.destroy();
  charts.clear();
  for (const el of document.querySelectorAll('.chart')) el.replaceChildren();
  $('charts').hidden = true;
  $('controls').hidden = true;
  $('signin').hidden = false;
  $('signin-error').textContent = error?.message ?? '';
}

/** GET from the analytics API; one renewal and retry when the access token was refused. */
async function api(path, params) {
  const url = `${API}${path}?${new URLSearchParams(params)}`;
  const call = () => fetch(url, { headers: { authorization: `Bearer ${session.access}` } });
  let res = await call();
  if (res.status === 401) {
    await renew();
    res = await call();
  }
  if (!res.ok) throw new Error(`${path}: ${res.status}`);
  return res.json();
}

// ---- data ----------------------------------------------------------------------------------

const INTERVALS = { 3600: '1m', 86400: '15m', 604800: '1h', 2592000: '6h' };

async function refresh() {
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
    const empty = document.createElement('div');
    empty.className = 'empty';
    empty.textContent = 'No data in this range yet';
    el.replaceChildren(empty);
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

// ---- charts --------------------------------------------------------------------------------

const line = (label, color, extra = {}) => ({ label, stroke: color, width: 2, ...extra });

function trafficChart(t) {
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

function latencyChart(t) {
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

function dauChart(items) {
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
function barChart(pairs, label) {
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
function draw(id, spec) {
  const el = $(id);
  const values = spec.data.slice(1).flat();
  // What is drawn, for people reading the DOM (and the browser test): values shown and their sum.
  el.dataset.points = String(values.filter((v) => v != null).length);
  el.dataset.total = String(spec.data[1].reduce((sum, v) => sum + (v ?? 0), 0));
  const current = charts.get(id);
  if (spec.data[0].length === 0) {
    current?.plot?.destroy();
    charts.delete(id);
    if (!el.querySelector('.empty')) {
      const empty = document.createElement('div');
      empty.className = 'empty';
      empty.textContent = 'No data in this range yet';
      el.replaceChildren(empty);
    }
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

// ---- wiring --------------------------------------------------------------------------------

async function tick() {
  if (document.hidden || !session.access) return;
  try {
    await refresh();
  } catch (error) {
    if (!session.refresh || /session has ended/.test(error.message)) return signedOut(error);
    $('status').textContent = `Could not refresh: ${error.message}`;
  }
}

function signedIn() {
  $('signin').hidden = true;
  $('charts').hidden = false;
  $('controls').hidden = false;
  $('who').textContent = session.user?.email ?? '';
  clearInterval(pollTimer);
  pollTimer = setInterval(tick, REFRESH_MS);
  return tick();
}

$('signin-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  const button = form.querySelector('button');
  button.disabled = true;
  $('signin-error').textContent = '';
  try {
    await signIn(form.elements.login.value.trim(), form.elements.password.value);
    form.reset();
    await signedIn();
  } catch (error) {
    $('signin-error').textContent = error.message;
  } finally {
    button.disabled = false;
  }
});
$('signout').addEventListener('click', () => signOut());
$('range').addEventListener('change', () => tick());
for (const id of ['funnel-form', 'retention-form']) {
  $(id).addEventListener('submit', (event) => {
    event.preventDefault();
    tick();
  });
  $(id).addEventListener('change', () => tick());
}
$('signin').hidden = false;
