import assert from 'node:assert/strict';
import { test } from 'node:test';
import { propagation, trace } from '@opentelemetry/api';
import {
  CompositePropagator,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} from '@opentelemetry/core';
import { incomingContext } from '../src/server.ts';

// The SDK registers these two by default (OTEL_PROPAGATORS=tracecontext,baggage).
propagation.setGlobalPropagator(
  new CompositePropagator({
    propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
  }),
);

const headers = {
  traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
  tracestate: 'vendor=attacker-chosen',
  baggage: 'role=admin,tenant=other',
};

test("at the edge only the client's trace id is taken: its baggage and tracestate are dropped", () => {
  const context = incomingContext(headers, true);
  const span = trace.getSpanContext(context);
  assert.equal(span?.traceId, '0af7651916cd43dd8448eb211c80319c');
  assert.equal(span?.traceState, undefined);
  assert.equal(propagation.getBaggage(context), undefined);
  // Nothing of it goes on to the services behind.
  const out: Record<string, string> = {};
  propagation.inject(context, out);
  assert.equal(out.baggage, undefined);
  assert.equal(out.tracestate, undefined);
  assert.match(out.traceparent ?? '', /^00-0af7651916cd43dd8448eb211c80319c-/);
});

test('behind the edge a service takes the whole context the gateway sent', () => {
  const context = incomingContext(headers, false);
  assert.equal(trace.getSpanContext(context)?.traceState?.get('vendor'), 'attacker-chosen');
  assert.equal(propagation.getBaggage(context)?.getEntry('role')?.value, 'admin');
});
