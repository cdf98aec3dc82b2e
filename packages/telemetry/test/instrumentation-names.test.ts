import assert from 'node:assert/strict';
import { test } from 'node:test';
import { INSTRUMENTATIONS, instrumentationChoice } from '../src/settings.ts';
import { runTraced } from './run-traced.ts';

// Nothing listens there: these processes only start tracing and exit before a batch is sent.
const ENDPOINT = 'http://127.0.0.1:9/';

test('an enabled instrumentation name no service has is warned about at start, naming the ones there are', async () => {
  const { stderr } = await runTraced('', {
    SERVICE_NAME: 'main',
    OTEL_EXPORTER_OTLP_ENDPOINT: ENDPOINT,
    OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'pg, express,http',
  });
  const warnings = stderr.split('\n').filter((line) => line.startsWith('warning:'));
  assert.equal(warnings.length, 1, stderr);
  assert.match(warnings[0]!, /OTEL_NODE_ENABLED_INSTRUMENTATIONS names express,/);
  assert.match(warnings[0]!, /http, undici, pg, pino/);
});

test('unknown disabled names (copied settings such as fs) and known enabled ones start quietly', async () => {
  const { stderr } = await runTraced('', {
    SERVICE_NAME: 'main',
    OTEL_EXPORTER_OTLP_ENDPOINT: ENDPOINT,
    OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http,pg',
    OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'fs,dns',
  });
  assert.doesNotMatch(stderr, /warning/);
});

test('the enabled list keeps only what it names, the disabled list wins over it', () => {
  const { wanted, unknown } = instrumentationChoice({
    OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'pg,pino,express',
    OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'pino,fs',
  });
  assert.deepEqual(
    INSTRUMENTATIONS.filter((name) => wanted(name)),
    ['pg'],
  );
  assert.deepEqual(unknown, ['express']);
  assert.ok(INSTRUMENTATIONS.every((name) => instrumentationChoice({}).wanted(name)));
});
