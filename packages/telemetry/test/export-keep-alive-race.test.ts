import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startOtlpReceiver } from '@platform/testing';
import { runTraced } from './run-traced.ts';

/**
 * Two batches with a quiet gap between them, in a process traced as every service is: the first
 * goes out at once (OTEL_BSP_SCHEDULE_DELAY 50 ms), the second after QUIET_MS, at shutdown.
 */
const SCRIPT = `
const { trace } = await import('@opentelemetry/api');
const { flushTracing } = await import('@platform/telemetry');
const tracer = trace.getTracer('probe');
tracer.startSpan('first').end();
await new Promise((resolve) => setTimeout(resolve, Number(process.env.QUIET_MS)));
tracer.startSpan('second').end();
await flushTracing();
`;

/**
 * The exporter's node:http agent keeps its connection to the collector for as long as the
 * collector does not close it (the Collector, a Go server, announces no Keep-Alive timeout), so an
 * export after a quiet gap can be written onto a connection the collector is just closing: it
 * fails with "socket hang up" (ECONNRESET). The SDK sends such a batch again on a new connection,
 * after a backoff of about a second (0.8–1.2 s), within OTEL_EXPORTER_OTLP_TIMEOUT (10 s): nothing
 * is lost, so the exporter keeps the SDK's agent. With OTEL_EXPORTER_OTLP_TIMEOUT at 700 below, the
 * retry does not fit and the second batch is lost: the test then fails (seen, session 33).
 */
test('a batch sent as the collector ends its idle connection is sent again, not lost', async () => {
  const receiver = await startOtlpReceiver({ cutIdleMs: 300 });
  try {
    await runTraced(SCRIPT, {
      QUIET_MS: '800',
      OTEL_BSP_SCHEDULE_DELAY: '50',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      // The default, whatever the environment running the tests says.
      OTEL_EXPORTER_OTLP_TIMEOUT: '10000',
      OTEL_SERVICE_NAME: 'probe',
    });
    // The race happened: the second batch's first try was cut, unanswered.
    assert.equal(receiver.cut, 1);
    assert.deepEqual(
      receiver.spans.map((s) => s.name),
      ['first', 'second'],
    );
    // Each batch received once: the cut try was not.
    assert.equal(receiver.contentTypes.length, 2);
  } finally {
    await receiver.close();
  }
});
