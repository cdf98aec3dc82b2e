import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startOtlpReceiver } from '@platform/testing';
import { runTraced } from './run-traced.ts';

/**
 * A service built as every service is (@platform/http's createApp) under the telemetry module:
 * a POST whose handler calls out after its body was read, an answer that fails, a probe.
 */
const SCRIPT = `
const { createApp } = await import('@platform/http');
const { flushTracing } = await import('@platform/telemetry');
const app = await createApp({ name: 'probe', logLevel: 'silent' });
app.post('/orders/:id', async (request) => {
  await new Promise((resolve) => setTimeout(resolve, 5));
  return (await fetch(base + '/stock?sku=' + request.body.sku)).text();
});
app.get('/stock', async () => 'ok');
// A proxy's hop: it sends its server span's context itself, so the call makes no client span.
app.get('/relay', async (request) => {
  const { requestTraceHeaders } = await import('@platform/telemetry');
  const headers = requestTraceHeaders(request.raw);
  return (await fetch(base + '/stock?relayed=1', { headers })).text();
});
app.get('/boom', async () => { throw new Error('broken'); });
await app.listen({ port: 0, host: '127.0.0.1' });
const base = 'http://127.0.0.1:' + app.server.address().port;
// The body follows the headers a moment later, as from a slow client: it arrives in a socket
// event of its own, outside the request's context.
const { request: send } = await import('node:http');
await new Promise((resolve, reject) => {
  const req = send(base + '/orders/7', {
    method: 'POST',
    headers: { 'content-type': 'application/json', traceparent: '00-' + process.env.TRACE + '-00f067aa0ba902b7-01' },
  }, (res) => res.resume().on('end', resolve));
  req.on('error', reject);
  req.flushHeaders();
  setTimeout(() => req.end(JSON.stringify({ sku: 'a-1' })), 100);
});
await (await fetch(base + '/boom')).text();
await (await fetch(base + '/relay')).text();
await (await fetch(base + '/health/ready')).text();
await app.close();
await flushTracing();
`;

test('server spans: named by route, context kept past the body, failures marked, probes untraced', async () => {
  const receiver = await startOtlpReceiver();
  try {
    const trace = crypto.randomUUID().replaceAll('-', '');
    await runTraced(SCRIPT, {
      TRACE: trace,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_SERVICE_NAME: 'probe',
    });
    const spans = receiver.spans.filter((s) => s.service === 'probe');
    const server = (name: string) => spans.find((s) => s.kind === 2 && s.name === name);
    const order = server('POST /orders/:id');
    assert.ok(order, JSON.stringify(spans.map((s) => s.name)));
    // It continues the caller's trace.
    assert.equal(order.traceId, trace);
    assert.equal(order.parentSpanId, '00f067aa0ba902b7');
    assert.equal(order.attributes['http.route'], '/orders/:id');
    assert.equal(order.attributes['http.response.status_code'], 200);
    assert.equal(typeof order.attributes.request_id, 'string');
    // The call made after the body was read is the order's child, and so is the server span of
    // the call it made.
    const client = spans.find((s) => s.kind === 3 && s.parentSpanId === order.spanId);
    assert.ok(client);
    assert.equal(client.parentSpanId, order.spanId);
    assert.equal(
      client.attributes['url.full'],
      `${String(client.attributes['url.full']).split('?')[0]}?sku=a-1`,
    );
    assert.equal(client.attributes['http.response.status_code'], 200);
    assert.equal(server('GET /stock')?.parentSpanId, client.spanId);
    // A call that carries the trace context its caller wrote (the gateway's hop) is no span of
    // its own: the service's span hangs from the caller's server span, context not doubled.
    const relay = server('GET /relay');
    assert.ok(relay);
    const relayed = spans.find((s) => s.attributes['url.query'] === '?relayed=1');
    assert.equal(relayed?.parentSpanId, relay.spanId);
    assert.equal(relayed.traceId, relay.traceId);
    assert.ok(!spans.some((s) => s.kind === 3 && s.parentSpanId === relay.spanId));
    // A failed answer is an error span; a probe is no span at all.
    const boom = server('GET /boom');
    assert.equal(boom?.attributes['http.response.status_code'], 500);
    assert.equal(boom?.attributes['error.type'], '500');
    assert.ok(!spans.some((s) => String(s.attributes['url.path']).startsWith('/health')));
  } finally {
    await receiver.close();
  }
});
