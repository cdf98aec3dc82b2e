import { register } from 'node:module';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { PinoInstrumentation } from '@opentelemetry/instrumentation-pino';
import {
  defaultResource,
  detectResources,
  envDetector,
  resourceFromAttributes,
} from '@opentelemetry/resources';
import { BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { createAddHookMessageChannel } from 'import-in-the-middle';
import { traceClientRequests } from './client.ts';
import { PgQueryInstrumentation } from './pg.ts';
import { edgeSampler } from './sampling.ts';
import {
  instrumentationChoice,
  type TracingSettings,
  unknownInstrumentationsWarning,
} from './settings.ts';
import { TRACING } from './state.ts';

async function exporterFor({ protocol }: TracingSettings): Promise<SpanExporter> {
  // Both read OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT, _HEADERS, _TIMEOUT and _COMPRESSION themselves.
  // Their node:http agent keeps an idle connection without the 1 s rule (@platform/http's
  // outgoing.ts): a batch written as the collector closes it fails with ECONNRESET, and the SDK
  // sends it again on a new connection about a second later, within _TIMEOUT (10 s), so none is
  // lost (export-keep-alive-race.test.ts). An agent of ours (httpAgentOptions) would also replace
  // the one the SDK builds from OTEL_EXPORTER_OTLP_CERTIFICATE and _CLIENT_KEY/_CERTIFICATE.
  if (protocol === 'http/json') {
    const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
    return new OTLPTraceExporter();
  }
  const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-proto');
  return new OTLPTraceExporter();
}

/**
 * The tracer provider (sampler from OTEL_TRACES_SAMPLER/_ARG, decided at the gateway, see
 * sampling.ts; batching from OTEL_BSP_*, W3C trace context and baggage propagation) and the few
 * instrumentations a service needs: pg and pino (each log line gets trace_id and span_id). The
 * spans of HTTP come from lean replacements of instrumentation-http and -undici on the same SDK
 * (server.ts, started by @platform/http; client.ts: the gateway's proxying, webhook and InfluxDB
 * calls): those two cost more than all the rest of tracing together (docs/telemetry.md), and
 * web-framework instrumentation adds a span per hook.
 */
export async function startTracing(settings: TracingSettings): Promise<void> {
  // ES modules are instrumented by a loader hook that wraps only the modules hooked below.
  const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel();
  register('import-in-the-middle/hook.mjs', import.meta.url, registerOptions);

  const resource = defaultResource()
    .merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: settings.serviceName }))
    // OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME win over the defaults.
    .merge(detectResources({ detectors: [envDetector] }));
  const provider = new NodeTracerProvider({
    resource,
    spanProcessors: [new BatchSpanProcessor(await exporterFor(settings))],
    // Without a sampler the SDK's own from OTEL_TRACES_SAMPLER: the services follow the gateway.
    ...(settings.edge ? { sampler: edgeSampler() } : {}),
  });
  // At the edge the trace context travels with the request object (server.ts), not through
  // async context: the gateway's only call made for a request is its hop to the service, which
  // carries the context it is given (requestTraceHeaders), and its log lines take the ids from
  // the request (requestLogIds). On Node 20 AsyncLocalStorage runs a hook for every promise and
  // async resource; measured, that was about a third of what tracing cost the gateway
  // (docs/observability.md). The services keep it: their queries need the request's span.
  provider.register(settings.edge ? { contextManager: null } : {});
  const { wanted, unknown } = instrumentationChoice();
  const warning = unknownInstrumentationsWarning(unknown);
  if (warning) process.stderr.write(`warning: ${warning}\n`);
  // Without async context the pino hook and the undici client spans would find no active span.
  const contextual = (name: string) => wanted(name) && !settings.edge;
  const instrumentations = {
    // Statements without parameters: those can hold password hashes, tokens, emails. No spans
    // for taking a pooled connection: one per query would double the spans for little news.
    // The spans of instrumentation-pg, made for less (pg.ts).
    pg: () => new PgQueryInstrumentation(),
    pino: () =>
      new PinoInstrumentation({
        disableLogSending: true,
        logKeys: { traceId: 'trace_id', spanId: 'span_id', traceFlags: 'trace_flags' },
      }),
  };
  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: Object.entries(instrumentations)
      .filter(([name]) => contextual(name))
      .map(([, make]) => make()),
  });
  await waitForAllMessagesAcknowledged();
  // Incoming requests: @platform/http starts their server spans (server.ts), not an
  // instrumentation of node:http; `http` in the lists above turns those off and on.
  TRACING.serverSpans = wanted('http');
  TRACING.edge = settings.edge;
  // Outgoing HTTP (undici and fetch): client spans from undici's diagnostics channels (client.ts).
  if (contextual('undici')) traceClientRequests();
  TRACING.provider = provider;
}
