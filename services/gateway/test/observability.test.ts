import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { loggerOptions } from '@platform/http';
import { logCapture } from '@platform/testing';
import pino from 'pino';
import { echo, json, metricsOf, startGateway, startUpstream } from './helpers.ts';
import { eventually } from './services.ts';

const cleanup: (() => Promise<void>)[] = [];
after(async () => {
  for (const close of cleanup.reverse()) await close();
});

const TOKEN = 's'.repeat(40);

interface Batch {
  token: string | undefined;
  samples: Record<string, unknown>[];
}

async function analytics(options: { hang?: boolean } = {}) {
  const batches: Batch[] = [];
  const upstream = await startUpstream((req, res) => {
    if (req.url === '/health/ready') return res.end('{}');
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      if (req.url === '/internal/samples') {
        batches.push({
          token: req.headers['x-service-token'] as string | undefined,
          samples: JSON.parse(body).samples,
        });
      }
      if (options.hang) return;
      res.statusCode = 202;
      res.end();
    });
  });
  cleanup.push(upstream.close);
  return { url: upstream.url, batches, close: upstream.close };
}

test('each request is one JSON access line, and a sample sent to analytics in a batch', async () => {
  const main = await startUpstream(echo('main'));
  cleanup.push(main.close);
  const sink = await analytics();
  const logs = logCapture();
  const { app, url } = await startGateway(
    {
      AUTH_URLS: main.url,
      MAIN_URLS: main.url,
      ANALYTICS_URL: sink.url,
      SERVICE_TOKEN: TOKEN,
      SAMPLE_FLUSH_MS: 50,
    },
    { logger: pino(loggerOptions('gateway', 'info'), logs.stream) },
  );
  cleanup.push(() => app.close());

  for (const id of ['obs-1', 'obs-2', 'obs-3']) {
    const response = await fetch(`${url}/main/v1/posts/hello-world?token=secret`, {
      headers: { 'x-request-id': id },
    });
    assert.equal(response.status, 200);
  }
  await eventually(async () => sink.batches.flatMap((b) => b.samples).length === 3);
  assert.ok(sink.batches.every((b) => b.token === TOKEN));
  const sample = sink.batches.flatMap((b) => b.samples).find((s) => s.request_id === 'obs-2')!;
  assert.equal(sample.service, 'main');
  assert.equal(sample.route, '/main/v1/posts/:id');
  assert.equal(sample.method, 'GET');
  assert.equal(sample.status, 200);
  assert.equal(typeof sample.duration_ms, 'number');
  assert.equal(sample.upstream, main.url);
  assert.ok(!Number.isNaN(Date.parse(sample.timestamp as string)));

  const raw = logs.lines.filter((l) => JSON.parse(l).request_id === 'obs-2');
  assert.equal(raw.length, 1, raw.join('\n'));
  // Each key once: a JSON object with a name twice is read differently by different parsers.
  const keys = [...raw[0]!.matchAll(/[{,]"([^"]+)":/g)].map((m) => m[1]);
  assert.deepEqual(keys, [...new Set(keys)], raw[0]);
  const line = JSON.parse(raw[0]!);
  assert.equal(line.service, 'gateway');
  assert.equal(line.upstream_service, 'main');
  assert.equal(line.method, 'GET');
  assert.equal(line.route, '/main/v1/posts/:id');
  assert.equal(line.status, 200);
  assert.equal(line.upstream, main.url);
  assert.equal(line.user_id, null);
  assert.equal(typeof line.duration_ms, 'number');
  assert.doesNotMatch(logs.text(), /secret/);

  const metrics = await metricsOf(url);
  assert.match(
    metrics,
    /gateway_request_duration_seconds_count\{service="main",route="\/main\/v1\/posts\/:id",method="GET",status_code="200"[^}]*\} 3/,
  );
  assert.match(metrics, /gateway_upstream_in_flight\{/);
  assert.match(metrics, /gateway_samples_sent_total\{[^}]*\} 3/);
});

test('when analytics is stuck, a full buffer drops samples and no request waits', async () => {
  const main = await startUpstream(echo('main'));
  cleanup.push(main.close);
  const sink = await analytics({ hang: true });
  const { app, url } = await startGateway({
    AUTH_URLS: main.url,
    MAIN_URLS: main.url,
    ANALYTICS_URL: sink.url,
    SERVICE_TOKEN: TOKEN,
    SAMPLE_BUFFER: 2,
    SAMPLE_BATCH: 1,
    SAMPLE_FLUSH_MS: 20,
  });
  cleanup.push(() => app.close());
  // Gone before the gateway closes: its last sends fail at once instead of waiting out their
  // 5 s timeouts against a sink that never answers (the file took 10 s longer).
  cleanup.push(sink.close);
  for (let i = 0; i < 20; i++) {
    assert.equal((await fetch(`${url}/main/v1/posts`)).status, 200);
  }
  const metrics = await metricsOf(url);
  const dropped = Number(
    /gateway_samples_dropped_total\{reason="full"[^}]*\} (\d+)/.exec(metrics)?.[1],
  );
  assert.ok(dropped > 0, `dropped ${dropped}`);
});

test('without ANALYTICS_URL samples are counted and dropped', async () => {
  const main = await startUpstream(echo('main'));
  cleanup.push(main.close);
  const { app, url } = await startGateway({ AUTH_URLS: main.url, MAIN_URLS: main.url });
  cleanup.push(() => app.close());
  assert.equal((await fetch(`${url}/main/v1/posts`)).status, 200);
  const metrics = await metricsOf(url);
  assert.match(metrics, /gateway_samples_dropped_total\{reason="disabled"[^}]*\} 1/);
});

test('trace context: a caller trace continues, a new one starts otherwise', async () => {
  const main = await startUpstream(echo('main'));
  cleanup.push(main.close);
  const { app, url } = await startGateway({ AUTH_URLS: main.url, MAIN_URLS: main.url });
  cleanup.push(() => app.close());
  const given = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
  const seen = await json(await fetch(`${url}/main/v1/posts`, { headers: { traceparent: given } }));
  const forwarded = seen.headers.traceparent!;
  assert.match(forwarded, /^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/);
  assert.notEqual(forwarded, given);
  const fresh = await json(await fetch(`${url}/main/v1/posts`));
  assert.match(fresh.headers.traceparent!, /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
});

const CALLER_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const callerTraceparent = (flags: string) => `00-${CALLER_TRACE}-00f067aa0ba902b7-${flags}`;
const callerTrace = (flags: string) => new RegExp(`^00-${CALLER_TRACE}-[0-9a-f]{16}-${flags}$`);

/**
 * A gateway without tracing (no OTLP endpoint) in front of an echo service, with these sampler
 * settings; what it returns sends a request and gives the `traceparent` the service received.
 */
async function untracedGateway(env: Record<string, string> = {}) {
  const main = await startUpstream(echo('main'));
  cleanup.push(main.close);
  const { app, url } = await startGateway({ AUTH_URLS: main.url, MAIN_URLS: main.url, ...env });
  cleanup.push(() => app.close());
  return async (traceparent?: string) => {
    const init = traceparent ? { headers: { traceparent } } : {};
    const seen = await json(await fetch(`${url}/main/v1/posts`, init));
    return seen.headers.traceparent!;
  };
}

test("a caller's tracestate and baggage never reach a service, with the gateway untraced too", async () => {
  const main = await startUpstream(echo('main'));
  cleanup.push(main.close);
  const { app, url } = await startGateway({ AUTH_URLS: main.url, MAIN_URLS: main.url });
  cleanup.push(() => app.close());
  const seen = await json(
    await fetch(`${url}/main/v1/posts`, {
      headers: {
        traceparent: callerTraceparent('01'),
        tracestate: 'vendor=planted',
        baggage: 'user.id=admin,tenant=other',
      },
    }),
  );
  assert.match(seen.headers.traceparent!, callerTrace('01'));
  assert.equal(seen.headers.tracestate, undefined);
  assert.equal(seen.headers.baggage, undefined);
});

// The services' samplers follow the flag they receive: with the gateway untraced it is still the
// gateway's decision at its configured ratio, never the caller's.
test("untraced gateway, default sampler: a caller's 'not sampled' flag is overruled", async () => {
  const forward = await untracedGateway();
  assert.match(await forward(callerTraceparent('00')), callerTrace('01'));
});

test("untraced gateway, always_off: a caller's 'sampled' flag is overruled, a new trace is not sampled", async () => {
  const forward = await untracedGateway({ OTEL_TRACES_SAMPLER: 'always_off' });
  assert.match(await forward(callerTraceparent('01')), callerTrace('00'));
  const fresh = await forward();
  assert.match(fresh, /^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
  assert.ok(!fresh.includes(CALLER_TRACE));
});

test('untraced gateway, ratio 0.5: about half of the requests are sampled, whatever their callers sent', async () => {
  const forward = await untracedGateway({
    OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
    OTEL_TRACES_SAMPLER_ARG: '0.5',
  });
  // The same trace id every time: the decision is a coin toss, not the (caller's) trace id's.
  for (const given of [callerTraceparent('01'), callerTraceparent('00'), undefined]) {
    const sent: string[] = [];
    for (let i = 0; i < 200; i += 20) {
      sent.push(...(await Promise.all(Array.from({ length: 20 }, () => forward(given)))));
    }
    for (const traceparent of sent) {
      assert.match(
        traceparent,
        given ? callerTrace('0[01]') : /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/,
      );
    }
    const sampled = sent.filter((traceparent) => traceparent.endsWith('-01')).length;
    // Outside 50–150 of 200 at one half: less likely than one in 10^12.
    assert.ok(sampled >= 50 && sampled <= 150, `${given ?? 'no traceparent'}: ${sampled} of 200`);
  }
});

test("the service's own route template names the series; paths it has no route for are one `unmatched`", async () => {
  const main = await startUpstream((req, res) => {
    if (req.url === '/health/ready') return res.end('{}');
    if (req.url?.startsWith('/main/v1/things/')) {
      res.setHeader('x-internal-route', '/main/v1/things/:thing');
      return res.end('{}');
    }
    res.statusCode = 404;
    res.end('{}');
  });
  cleanup.push(main.close);
  const sink = await analytics();
  const { app, url } = await startGateway({
    AUTH_URLS: main.url,
    MAIN_URLS: main.url,
    ANALYTICS_URL: sink.url,
    SERVICE_TOKEN: TOKEN,
    SAMPLE_FLUSH_MS: 50,
  });
  cleanup.push(() => app.close());

  const known = await fetch(`${url}/main/v1/things/blue-widget`);
  assert.equal(known.status, 200);
  assert.equal(known.headers.get('x-internal-route'), null, 'not shown to clients');
  for (const path of ['/main/v1/nope', '/main/v1/nope2', '/main/v1/scan/wp-admin.php']) {
    assert.equal((await fetch(`${url}${path}`)).status, 404);
  }
  await eventually(async () => sink.batches.flatMap((b) => b.samples).length === 4);
  const routes = sink.batches.flatMap((b) => b.samples).map((s) => s.route);
  assert.deepEqual(routes, ['/main/v1/things/:thing', 'unmatched', 'unmatched', 'unmatched']);
});
