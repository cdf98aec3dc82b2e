import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { freePort, spawnService, stopAll, waitReady } from '@platform/launcher';
import { edgeRoutesSetting, loadManifests } from '@platform/manifest';
import {
  compiledModules,
  type ReceivedSpan,
  startedSideBySide,
  startOtlpReceiver,
  TEST_SECRETS,
} from '@platform/testing';
import { startAnalyticsService } from './analytics-service.ts';
import {
  eventually,
  post,
  signUp,
  startAuthService,
  startService,
  tracedEntry,
} from './services.ts';

const SERVER = 2;
const isQuery = (s: ReceivedSpan) => s.name.startsWith('pg.query');
const CLIENT = 3;

/**
 * The stack as `npm start` runs it (each service its own process, started with the telemetry
 * module), exporting to a receiver of the test's own: the gateway and auth in OTLP/protobuf
 * (the default), main in OTLP/JSON, so one trace proves both encodings.
 */
async function tracedStack() {
  const receiver = await startOtlpReceiver();
  const otel = {
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    // Sent within a fraction of a second, not the default 5 s.
    OTEL_BSP_SCHEDULE_DELAY: '100',
  };
  // Stands in for analytics' /internal/events, where main's outbox relay delivers, and is the
  // webhook destination of the real analytics.
  const delivered: { path: string; traceparent: string }[] = [];
  const events = createServer((req, res) => {
    delivered.push({ path: req.url ?? '', traceparent: String(req.headers.traceparent ?? '') });
    req.resume().on('end', () => res.writeHead(202).end());
  });
  await new Promise<void>((resolve) => events.listen(0, '127.0.0.1', resolve));
  const eventsUrl = `http://127.0.0.1:${(events.address() as AddressInfo).port}`;
  const stops: (() => Promise<void>)[] = [
    receiver.close,
    () => new Promise((resolve) => events.close(() => resolve())),
  ];
  const stop = async () => {
    for (const s of stops.reverse()) await s();
  };
  try {
    const auth = await startAuthService(otel);
    stops.push(auth.stop);
    // main and analytics start side by side: both only wait for auth.
    const [main, analytics] = await startedSideBySide(
      (stop) => stops.push(stop),
      [
        startService('main', {
          ...otel,
          OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
          AUTH_URL: auth.url,
          ANALYTICS_URL: eventsUrl,
          LOG_LEVEL: 'info',
        }),
        startAnalyticsService({
          authUrl: auth.url,
          serviceToken: TEST_SECRETS.SERVICE_TOKEN,
          env: {
            ...otel,
            DESTINATIONS: JSON.stringify([
              { name: 'hook', url: `${eventsUrl}/hook`, secret: 'a webhook secret for tracing' },
            ]),
          },
        }),
      ],
    );
    const mainLog: string[] = [];
    main.process.child.stdout!.on('data', (chunk: Buffer) =>
      mainLog.push(...String(chunk).split('\n')),
    );
    const port = await freePort();
    const metricsPort = await freePort();
    const root = new URL('../../..', import.meta.url).pathname;
    const gateway = spawnService('gateway', await tracedEntry('gateway'), {
      cwd: root,
      prefix: 'gateway | ',
      env: {
        ...process.env,
        ...otel,
        PORT: String(port),
        HOST: '127.0.0.1',
        METRICS_PORT: String(metricsPort),
        // As npm start configures it: main's anonymous list is kept and answered by the gateway.
        EDGE_ROUTES: edgeRoutesSetting(loadManifests(root)),
        LOG_LEVEL: 'info',
        SERVICE_NAME: 'gateway',
        SERVICE_TOKEN: TEST_SECRETS.SERVICE_TOKEN,
        AUTH_URL: auth.url,
        ROUTES: `auth:/accounts=${auth.url};main:/main=${main.url};analytics:/analytics=${analytics.url}`,
      },
    });
    stops.push(async () => void (await stopAll([gateway], 5000)));
    const gatewayLog: string[] = [];
    gateway.child.stdout!.on('data', (chunk: Buffer) =>
      gatewayLog.push(...String(chunk).split('\n')),
    );
    const url = `http://127.0.0.1:${port}`;
    await waitReady(gateway, url, 60_000);
    const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    return { receiver, url, metricsUrl, mainUrl: main.url, mainLog, gatewayLog, delivered, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

const randomHex = (bytes: number) =>
  Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) =>
    b.toString(16).padStart(2, '0'),
  ).join('');

/**
 * What OpenTelemetry holds in a process without an endpoint: `@platform/http` compiled as a
 * service's entry is (the telemetry module first, the rest imported after it) and run in a
 * process of its own. It needs nothing of the stack, so it runs while the stack starts (its
 * bundle and process were a test's worth of waiting after it); the last test reads the answer.
 */
async function registeredWithoutEndpoint(): Promise<string[]> {
  const script = [
    "await import('@platform/http');",
    "const api = globalThis[Symbol.for('opentelemetry.js.api.1')];",
    'console.log(JSON.stringify(Object.keys(api ?? {})));',
  ].join('');
  const entry = "import '@platform/telemetry/register';\nawait import('./script.mjs');";
  const args = await compiledModules({ 'entry.mjs': entry, 'script.mjs': script }, 'entry.mjs', {
    preload: false,
  });
  const { stdout } = await promisify(execFile)(process.execPath, args, {
    env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: '' },
    encoding: 'utf8',
  });
  return JSON.parse(stdout) as string[];
}
const withoutEndpoint = registeredWithoutEndpoint();
// Awaited by its test; a failure is that test's.
withoutEndpoint.catch(() => {});

const stack = await tracedStack();
after(stack.stop);

test('one request is one trace across gateway, main and PostgreSQL, in OTLP protobuf and JSON', async () => {
  {
    const traceId = randomHex(16);
    const callerSpan = randomHex(8);
    const answer = await fetch(`${stack.url}/main/v1/posts`, {
      headers: { traceparent: `00-${traceId}-${callerSpan}-01` },
    });
    assert.equal(answer.status, 200);
    await answer.arrayBuffer();

    const inTrace = () => stack.receiver.spans.filter((s) => s.traceId === traceId);
    const find = (match: (s: ReceivedSpan) => boolean) => inTrace().find(match);
    const mainServer = (s: ReceivedSpan) => s.service === 'main' && s.kind === SERVER;
    // The gateway's span ends after main's, and each process sends its own batches.
    const gatewaySent = () => inTrace().some((s) => s.service === 'gateway');
    await eventually(async () => gatewaySent() && !!find(mainServer) && !!find(isQuery), 30_000);

    // The gateway continues the caller's trace: its server span's parent is the caller's span.
    const gatewayServer = find((s) => s.service === 'gateway' && s.kind === SERVER);
    assert.ok(gatewayServer, 'a server span from the gateway');
    assert.equal(gatewayServer.parentSpanId, callerSpan);
    assert.equal(gatewayServer.name, 'GET /main/v1/posts');
    // One span per proxied request, as Envoy and NGINX make: it names the upstream it went to,
    // and main's server span hangs from it (no client span of the gateway's in between).
    assert.equal(gatewayServer.attributes['gateway.upstream'], 'main');
    assert.equal(gatewayServer.attributes['gateway.upstream.address'], stack.mainUrl);
    assert.deepEqual(
      inTrace()
        .filter((s) => s.service === 'gateway')
        .map((s) => s.spanId),
      [gatewayServer.spanId],
    );
    const server = find(mainServer)!;
    assert.equal(server.parentSpanId, gatewayServer.spanId);
    assert.equal(server.name, 'GET /main/v1/posts');
    assert.equal(server.attributes['http.route'], '/main/v1/posts');
    // Its queries are children of main's server span, without their parameters.
    const query = find((s) => s.parentSpanId === server.spanId && isQuery(s))!;
    assert.equal(query.service, 'main');
    assert.equal(query.kind, CLIENT);
    assert.equal(query.attributes['db.system'] ?? query.attributes['db.system.name'], 'postgresql');
    // The gateway's spans came as protobuf, main's as JSON.
    assert.ok(stack.receiver.contentTypes.includes('application/x-protobuf'));
    assert.ok(stack.receiver.contentTypes.includes('application/json'));

    // main's log lines about this request carry its trace and span ids.
    await eventually(async () => stack.mainLog.some((line) => line.includes(traceId)), 10_000);
    const logged = stack.mainLog
      .filter((line) => line.includes(traceId))
      .map((line) => JSON.parse(line.slice(line.indexOf('{'))) as Record<string, unknown>);
    assert.ok(
      logged.every((line) => line.trace_id === traceId && typeof line.span_id === 'string'),
    );
    assert.ok(logged.some((line) => line.span_id === server.spanId));
    // So does the gateway's access line, with the id of its span (at the edge no async context
    // carries it: the line takes it from the request).
    const access = () =>
      stack.gatewayLog
        .filter((line) => line.includes(traceId))
        .map((line) => JSON.parse(line.slice(line.indexOf('{'))) as Record<string, unknown>)
        .find((line) => line.msg === 'request');
    await eventually(async () => access() !== undefined, 10_000);
    assert.equal(access()!.span_id, gatewayServer.spanId);
    assert.equal(access()!.trace_flags, '01');
  }
});

test("the gateway decides the sampling: a caller's 'not sampled' flag is overruled, and main follows the gateway", async () => {
  // The stack samples every request (the default); a caller asking for none is traced anyway,
  // under its trace id, and main records its part because the gateway's traceparent says so.
  const traceId = randomHex(16);
  const answer = await fetch(`${stack.url}/main/v1/posts`, {
    headers: { traceparent: `00-${traceId}-${randomHex(8)}-00` },
  });
  assert.equal(answer.status, 200);
  await answer.arrayBuffer();
  const inTrace = () => stack.receiver.spans.filter((s) => s.traceId === traceId);
  await eventually(
    async () =>
      inTrace().some((s) => s.service === 'gateway' && s.kind === SERVER) &&
      inTrace().some((s) => s.service === 'main' && s.kind === SERVER) &&
      inTrace().some(isQuery),
    30_000,
  );
});

test('a traced request the gateway answers from its kept page is one gateway span marked as a hit', async () => {
  const path = `${stack.url}/main/v1/posts?limit=2`;
  const hits = async () =>
    Number(
      /^gateway_cache_lookups_total\{[^}]*result="hit"[^}]*\} (\d+)/m.exec(
        await (await fetch(stack.metricsUrl)).text(),
      )?.[1] ?? 0,
    );
  // This stack traces every request; once the kept page is current, answers come from it.
  await eventually(async () => {
    const before = await hits();
    await (await fetch(path)).arrayBuffer();
    return (await hits()) > before;
  }, 30_000);
  const traceId = randomHex(16);
  const before = await hits();
  const answer = await fetch(path, {
    headers: { traceparent: `00-${traceId}-${randomHex(8)}-01` },
  });
  assert.equal(answer.status, 200);
  await answer.arrayBuffer();
  assert.equal(await hits(), before + 1, 'answered from the kept page');
  const inTrace = () => stack.receiver.spans.filter((s) => s.traceId === traceId);
  await eventually(
    async () => inTrace().some((s) => s.service === 'gateway' && s.kind === SERVER),
    30_000,
  );
  const server = inTrace().find((s) => s.service === 'gateway' && s.kind === SERVER)!;
  assert.equal(server.attributes['gateway.cache'], 'hit');
  assert.ok(!inTrace().some((s) => s.service === 'main'), 'main was not asked');
});

test("the outbox relay's span links back to the request that wrote the event", async () => {
  const user = await signUp(stack.url);
  const traceId = randomHex(16);
  const created = await post(
    `${stack.url}/main/v1/posts`,
    { title: 'Traced', body: 'b', status: 'published' },
    {
      authorization: `Bearer ${user.accessToken}`,
      traceparent: `00-${traceId}-${randomHex(8)}-01`,
    },
  );
  assert.equal(created.status, 201);
  const handled = () =>
    stack.receiver.spans.find(
      (s) => s.traceId === traceId && s.service === 'main' && s.kind === SERVER,
    );
  const publish = () =>
    stack.receiver.spans.find(
      (s) => s.name === 'outbox publish' && s.links.some((l) => l.traceId === traceId),
    );
  await eventually(async () => !!handled() && !!publish(), 30_000);
  const span = publish()!;
  assert.equal(span.service, 'main');
  // A trace of its own (it may carry events of many requests), linked to the request's span.
  assert.notEqual(span.traceId, traceId);
  assert.equal(span.parentSpanId, '');
  const link = span.links.find((l) => l.traceId === traceId)!;
  const inRequest = stack.receiver.spans.filter(
    (s) => s.traceId === traceId && s.service === 'main',
  );
  assert.ok(
    inRequest.some((s) => s.spanId === link.spanId),
    'the link names a span of the request',
  );
  // Its delivery to analytics is traced under it and carries its context.
  assert.ok(stack.delivered.some((d) => d.traceparent.includes(span.traceId)));
});

test("analytics' writer and webhook deliveries link back to the request that sent the event", async () => {
  const traceId = randomHex(16);
  const accepted = await post(
    `${stack.url}/analytics/v1/track-event`,
    { event: 'traced_signup', anonymous_id: 'a-traced-visitor' },
    { traceparent: `00-${traceId}-${randomHex(8)}-01` },
  );
  assert.equal(accepted.status, 202);
  const linked = (name: string) =>
    stack.receiver.spans.find((s) => s.name === name && s.links.some((l) => l.traceId === traceId));
  await eventually(
    async () => !!linked('analytics write') && !!linked('destination deliver'),
    30_000,
  );
  const request = stack.receiver.spans.find(
    (s) => s.traceId === traceId && s.service === 'analytics' && s.kind === SERVER,
  );
  assert.ok(request, "analytics' server span is in the request's trace");
  for (const name of ['analytics write', 'destination deliver']) {
    const span = linked(name)!;
    assert.equal(span.service, 'analytics');
    assert.equal(span.parentSpanId, '', `${name} starts a trace of its own`);
    const link = span.links.find((l) => l.traceId === traceId)!;
    assert.ok(
      stack.receiver.spans.some((s) => s.traceId === traceId && s.spanId === link.spanId),
      `${name} links to a span of the request`,
    );
  }
  // The webhook call is made inside the delivery's span and carries its context.
  const deliver = linked('destination deliver')!;
  assert.ok(
    stack.delivered.some((d) => d.path === '/hook' && d.traceparent.includes(deliver.traceId)),
  );
});

test('without an endpoint OpenTelemetry registers nothing', async () => {
  // No tracer provider, propagator or context manager was installed (registeredWithoutEndpoint).
  assert.deepEqual(await withoutEndpoint, []);
});
