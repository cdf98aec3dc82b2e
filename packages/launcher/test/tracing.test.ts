import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { test } from 'node:test';
import { startOtlpReceiver } from '@platform/testing';
import { dataDirWithCluster, launch, ports, READY_MS, stop, until } from './launch.ts';

/**
 * `npm start` runs the services bundled (compile.ts) with their npm packages left to Node's
 * loader: OpenTelemetry's hooks must still see pg and pino load, after the telemetry module.
 */
test('npm start with an OTLP endpoint: the compiled services trace pg and put trace ids in logs', async () => {
  const receiver = await startOtlpReceiver();
  const dataDir = await dataDirWithCluster('launcher-tracing-');
  const launched = launch({
    ...(await ports()),
    DATA_DIR: dataDir,
    LOG_LEVEL: 'info',
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_BSP_SCHEDULE_DELAY: '100',
  });
  try {
    const [, url] = await launched.waitFor(/Gateway ready at (http:\/\/\S+)/, READY_MS);
    const traceId = `${'a'.repeat(31)}b`;
    const answer = await fetch(`${url}/main/v1/posts?limit=5`, {
      headers: { traceparent: `00-${traceId}-${'c'.repeat(16)}-01` },
    });
    assert.equal(answer.status, 200, await answer.clone().text());
    const inTrace = () => receiver.spans.filter((s) => s.traceId === traceId);
    await until(
      () => inTrace().some((s) => s.service === 'main' && s.name.startsWith('pg.query')),
      30_000,
      `a pg span from main in ${JSON.stringify(inTrace().map((s) => [s.service, s.name]))}`,
    );
    // pino's instrumentation: main's access line for the request carries its trace id.
    await until(
      () =>
        launched
          .output()
          .split('\n')
          .some((l) => l.startsWith('main') && l.includes(`"trace_id":"${traceId}"`)),
      10_000,
      'a log line of main with the trace id',
    );
  } finally {
    assert.equal(await stop(launched), 0, launched.output());
    await receiver.close();
    await rm(dataDir, { recursive: true, force: true });
  }
});
