/**
 * The dashboard's HTML. It holds no data and no script of its own: `dashboard.js` signs the
 * admin in through `/accounts/v1/login` and fills the charts from the analytics API.
 */
export function dashboardPage(prefix: string, accountsPrefix: string, version: string): string {
  const asset = (name: string) => `${prefix}/dashboard/assets/${name}?v=${version}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Analytics dashboard</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${asset('uplot.css')}">
<link rel="stylesheet" href="${asset('dashboard.css')}">
<script src="${asset('uplot.js')}" defer></script>
<script type="module" src="${asset('dashboard.js')}"></script>
</head>
<body data-api="${prefix}" data-accounts="${accountsPrefix}">
<header class="bar">
  <h1>Analytics</h1>
  <div class="controls" id="controls" hidden>
    <label>Range
      <select id="range">
        <option value="3600">last hour</option>
        <option value="86400" selected>last 24 hours</option>
        <option value="604800">last 7 days</option>
        <option value="2592000">last 30 days</option>
      </select>
    </label>
    <span id="updated" class="muted" aria-live="polite"></span>
    <span id="who" class="muted"></span>
    <button type="button" id="signout">Sign out</button>
  </div>
</header>
<main>
  <section id="signin" class="signin" hidden>
    <h2>Sign in</h2>
    <p class="muted">An account with the <code>analytics:read</code> permission (an admin).</p>
    <form id="signin-form" method="post" autocomplete="on">
      <label>Email or username <input name="login" autocomplete="username" required></label>
      <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
      <button type="submit">Sign in</button>
      <p id="signin-error" class="error" role="alert"></p>
    </form>
  </section>
  <section id="charts" class="grid" hidden>
    <article class="panel"><h2>Requests and errors</h2><div class="chart" id="chart-traffic"></div></article>
    <article class="panel"><h2>Latency percentiles (ms)</h2><div class="chart" id="chart-latency"></div></article>
    <article class="panel"><h2>Daily active users</h2><div class="chart" id="chart-dau"></div></article>
    <article class="panel"><h2>Top events</h2><div class="chart" id="chart-events"></div></article>
    <article class="panel wide"><h2>Top routes</h2><div class="chart" id="chart-routes"></div></article>
    <article class="panel">
      <h2>Funnel</h2>
      <form class="inputs" id="funnel-form">
        <label>Steps <input id="funnel-steps" value="user.registered,user.logged_in" aria-describedby="funnel-help"></label>
        <label>Window
          <select id="funnel-window">
            <option value="PT1H">1 hour</option>
            <option value="P1D">1 day</option>
            <option value="P7D" selected>7 days</option>
            <option value="P30D">30 days</option>
          </select>
        </label>
      </form>
      <p id="funnel-help" class="muted small">Event names in order, separated by commas; people who did them in that order within the window.</p>
      <div class="chart" id="chart-funnel"></div>
    </article>
    <article class="panel">
      <h2>Retention</h2>
      <form class="inputs" id="retention-form">
        <label>Start <input id="retention-start" value="user.registered"></label>
        <label>Return <input id="retention-return" value="user.logged_in"></label>
        <label>Per
          <select id="retention-period">
            <option value="day" selected>day</option>
            <option value="week">week</option>
          </select>
        </label>
      </form>
      <div class="retention" id="chart-retention"></div>
    </article>
  </section>
  <p id="status" class="muted" role="status"></p>
</main>
</body>
</html>
`;
}
