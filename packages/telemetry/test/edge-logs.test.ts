import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startOtlpReceiver } from '@platform/testing';
import { runTraced } from './run-traced.ts';

/**
 * The gateway (the edge) runs without async context (no AsyncLocalStorage hook on every promise,
 * see sdk.ts): a line its handler logs after an await still carries the request's span ids,
 * taken from the request's own logger.
 */
const SCRIPT = `
const { createApp } = await import('@platform/http');
const { flushTracing } = await import('@platform/telemetry');
const app = await createApp({ name: 'gateway', logLevel: 'info' });
app.get('/hop', async (request) => {
  await new Promise((resolve) => setTimeout(resolve, 5));
  request.log.info('after an await');
  return 'ok';
});
await app.listen({ port: 0, host: '127.0.0.1' });
const base = 'http://127.0.0.1:' + app.server.address().port;
await (await fetch(base + '/hop', {
  headers: { traceparent: '00-' + process.env.TRACE + '-00f067aa0ba902b7-01' },
})).text();
const api = globalThis[Symbol.for('opentelemetry.js.api.1')];
console.log(JSON.stringify({ registered: Object.keys(api ?? {}).sort() }));
await app.close();
await flushTracing();
`;

test('at the edge no async context manager runs, and log lines still carry the span ids', async () => {
  const receiver = await startOtlpReceiver();
  try {
    const trace = crypto.randomUUID().replaceAll('-', '');
    const { stdout } = await runTraced(SCRIPT, {
      TRACE: trace,
      SERVICE_NAME: 'gateway',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    });
    const lines = stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const registered = lines.find((line) => line.registered)?.registered as string[];
    // A tracer provider and a propagator, but no context manager.
    assert.deepEqual(registered, ['propagation', 'trace', 'version']);
    const server = receiver.spans.find((s) => s.kind === 2 && s.name === 'GET /hop');
    assert.ok(server);
    assert.equal(server.traceId, trace);
    const logged = lines.find((line) => line.msg === 'after an await');
    assert.equal(logged?.trace_id, trace);
    assert.equal(logged.span_id, server.spanId);
    assert.equal(logged.trace_flags, '01');
  } finally {
    await receiver.close();
  }
});
