import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createTestDatabase, startOtlpReceiver } from '@platform/testing';
import { runTraced } from './run-traced.ts';

/**
 * pg as the services use it (through a pool, as Drizzle does, and on a checked-out client) under
 * the telemetry module: inside a span, one query that succeeds, with a secret parameter, one on
 * a pooled client, one that fails; outside any span, one more.
 */
const SCRIPT = `
const { default: pg } = await import('pg');
const { trace } = await import('@opentelemetry/api');
const { flushTracing } = await import('@platform/telemetry');
const pool = new pg.Pool({ connectionString: process.env.DB });
await pool.query('select 1');
await trace.getTracer('test').startActiveSpan('request', async (span) => {
  await pool.query({ text: 'select $1::text as secret', values: ['hunter2-secret'] });
  const client = await pool.connect();
  await client.query('SELECT 2 AS two');
  client.release();
  await pool.query('select * from no_such_table').catch(() => {});
  span.end();
});
await pool.end();
await flushTracing();
`;

test('a span per query, under the active span, without parameters; failures marked; none outside a trace', async () => {
  const receiver = await startOtlpReceiver();
  const db = await createTestDatabase();
  try {
    await runTraced(SCRIPT, {
      DB: db.url,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_SERVICE_NAME: 'pg-probe',
    });
    const spans = receiver.spans.filter((s) => s.service === 'pg-probe');
    const request = spans.find((s) => s.name === 'request');
    assert.ok(request, JSON.stringify(spans.map((s) => s.name)));
    const queries = spans.filter((s) => s.name.startsWith('pg.query'));
    // Three in the request, none for the query made outside it.
    assert.equal(queries.length, 3, JSON.stringify(queries.map((s) => s.name)));
    for (const query of queries) {
      assert.equal(query.parentSpanId, request.spanId);
      assert.equal(query.kind, 3);
      assert.equal(query.attributes['db.system.name'], 'postgresql');
      assert.equal(typeof query.attributes['server.port'], 'number');
      assert.ok(!JSON.stringify(query.attributes).includes('hunter2'), 'no parameter values');
    }
    const database = new URL(db.url).pathname.slice(1);
    const secret = queries.find(
      (s) => s.attributes['db.query.text'] === 'select $1::text as secret',
    );
    assert.equal(secret?.name, `pg.query:SELECT ${database}`);
    assert.equal(secret.attributes['db.namespace'], database);
    assert.equal(secret.attributes['db.operation.name'], 'SELECT');
    assert.ok(queries.some((s) => s.attributes['db.query.text'] === 'SELECT 2 AS two'));
    const failed = queries.find((s) => String(s.attributes['db.query.text']).includes('no_such'));
    assert.equal(failed?.attributes['db.response.status_code'], '42P01');
    assert.equal(failed.attributes['error.type'], '42P01');
  } finally {
    await db.drop();
    await receiver.close();
  }
});
