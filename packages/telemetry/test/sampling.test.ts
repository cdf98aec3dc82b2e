import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ROOT_CONTEXT, SpanKind, TraceFlags, trace } from '@opentelemetry/api';
import { BasicTracerProvider, SamplingDecision } from '@opentelemetry/sdk-trace-base';
import { edgeSampler } from '../src/sampling.ts';
import {
  rootRatio,
  SAMPLERS,
  samplerProblem,
  TracingSettingsError,
  tracingSettings,
} from '../src/settings.ts';

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const parent = (flags: TraceFlags, isRemote: boolean) =>
  trace.setSpanContext(ROOT_CONTEXT, {
    traceId: TRACE,
    spanId: 'b7ad6b7169203331',
    traceFlags: flags,
    isRemote,
  });
const decide = (
  sampler: ReturnType<typeof edgeSampler>,
  context: ReturnType<typeof parent> | typeof ROOT_CONTEXT,
) => sampler.shouldSample(context, TRACE, 'GET', SpanKind.SERVER, {}, []).decision;
const SAMPLED = SamplingDecision.RECORD_AND_SAMPLED;
const DROPPED = SamplingDecision.NOT_RECORD;

/** Runs `body` with these OTEL_* variables set (the SDK reads process.env itself). */
function withEnv<T>(env: Record<string, string>, body: () => T): T {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    return body();
  } finally {
    for (const name of Object.keys(env)) delete process.env[name];
    Object.assign(process.env, saved);
  }
}

test("the gateway decides: a client's sampled flag neither forces nor hides a trace", () => {
  const never = edgeSampler({
    OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
    OTEL_TRACES_SAMPLER_ARG: '0',
  });
  assert.equal(decide(never, parent(TraceFlags.SAMPLED, true)), DROPPED);
  assert.equal(decide(never, ROOT_CONTEXT), DROPPED);
  const always = edgeSampler({ OTEL_TRACES_SAMPLER: 'parentbased_always_on' });
  assert.equal(decide(always, parent(TraceFlags.NONE, true)), SAMPLED);
  assert.equal(decide(always, ROOT_CONTEXT), SAMPLED);
  // Its own spans under its server span follow that span's decision.
  assert.equal(decide(never, parent(TraceFlags.SAMPLED, false)), SAMPLED);
  assert.equal(decide(always, parent(TraceFlags.NONE, false)), DROPPED);
});

test('at a ratio, a client choosing its trace ids or flags gets that ratio and no more', () => {
  const half = edgeSampler({
    OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
    OTEL_TRACES_SAMPLER_ARG: '0.5',
  });
  let sampled = 0;
  // The same trace id every time, flagged sampled: a coin decides, not the id or the flag.
  for (let i = 0; i < 2000; i++)
    sampled += decide(half, parent(TraceFlags.SAMPLED, true)) === SAMPLED ? 1 : 0;
  assert.ok(sampled > 800 && sampled < 1200, `${sampled} of 2000 sampled`);
});

test('the services behind the gateway follow the flag it sends, whatever their own ratio', () => {
  // A service's provider as sdk.ts builds it there: the SDK's sampler from the variables.
  const tracer = withEnv(
    { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' },
    () => new BasicTracerProvider().getTracer('test'),
  );
  const recorded = (flags: TraceFlags) =>
    tracer.startSpan('GET', { kind: SpanKind.SERVER }, parent(flags, true)).isRecording();
  assert.equal(recorded(TraceFlags.SAMPLED), true);
  assert.equal(recorded(TraceFlags.NONE), false);
});

test('only the gateway makes the decision; the ratio is read as the SDK reads it', () => {
  const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' };
  assert.equal(tracingSettings({ ...endpoint, SERVICE_NAME: 'gateway' })?.edge, true);
  assert.equal(tracingSettings({ ...endpoint, SERVICE_NAME: 'main' })?.edge, false);
  // Renaming it in traces does not change its role.
  assert.equal(
    tracingSettings({ ...endpoint, SERVICE_NAME: 'gateway', OTEL_SERVICE_NAME: 'edge-eu' })?.edge,
    true,
  );
  assert.equal(rootRatio({}), 1);
  assert.equal(rootRatio({ OTEL_TRACES_SAMPLER: 'always_off' }), 0);
  assert.equal(
    rootRatio({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' }),
    0.25,
  );
  assert.equal(rootRatio({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '7' }), 1);
});

test('a sampler the SDK does not know, or a ratio out of range, stops the start in one line', () => {
  // The SDK took either silently and recorded every trace.
  const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', SERVICE_NAME: 'main' };
  for (const [env, message] of [
    [
      { OTEL_TRACES_SAMPLER: 'traceidratio_parentbased' },
      `OTEL_TRACES_SAMPLER is invalid: expected one of ${SAMPLERS.join(', ')}`,
    ],
    [
      { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '10%' },
      'OTEL_TRACES_SAMPLER_ARG is invalid: expected a ratio from 0 to 1 (0.1 keeps one trace in ten)',
    ],
    [
      { OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '7' },
      'OTEL_TRACES_SAMPLER_ARG is invalid: expected a ratio from 0 to 1 (0.1 keeps one trace in ten)',
    ],
  ] as const) {
    assert.equal(samplerProblem(env), message);
    assert.throws(
      () => tracingSettings({ ...endpoint, ...env }),
      new TracingSettingsError(message),
    );
  }
  for (const env of [
    {},
    { OTEL_TRACES_SAMPLER: 'always_off' },
    { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' },
    { OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '1' },
    { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' },
  ]) {
    assert.equal(samplerProblem(env), undefined, JSON.stringify(env));
    assert.ok(tracingSettings({ ...endpoint, ...env }));
  }
});
