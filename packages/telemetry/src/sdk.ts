import { register } from 'node:module';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { PinoInstrumentation } from '@opentelemetry/instrumentation-pino';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
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
import type { TracingSettings } from './settings.ts';
import { TRACING } from './state.ts';

/**
 * Query parameters whose values are credentials: mail-link and OAuth tokens, codes, keys, and the
 * signed-URL ones OpenTelemetry redacts by default. Spans keep the rest of the query ("REDACTED"
 * stands in for these values): whoever reads traces must not be able to reset a password.
 */
const SECRET_QUERY_PARAMS = [
  'token',
  'mfa_token',
  'access_token',
  'refresh_token',
  'id_token',
  'code',
  'state',
  'password',
  'client_secret',
  'key',
  'api_key',
  'sig',
  'Signature',
  'AWSAccessKeyId',
  'X-Goog-Signature',
];

/** `url.full` and `url.query` of an outgoing call with the secret parameters' values redacted. */
function redactedUrlAttributes(request: { origin: string; path: string }) {
  let url: URL;
  try {
    url = new URL(request.path, request.origin);
  } catch {
    return {};
  }
  for (const name of SECRET_QUERY_PARAMS) {
    if (url.searchParams.has(name)) url.searchParams.set(name, 'REDACTED');
  }
  return { 'url.full': url.toString(), 'url.query': url.search };
}

/** Probes and scrapes arrive every few seconds and would drown the traces that matter. */
const UNTRACED_PATHS = new Set(['/health', '/health/live', '/health/ready', '/metrics']);
const pathOf = (url: string | undefined) => (url ?? '').split('?')[0]!;

/**
 * Not worth a trace of its own: probes, and service-to-service calls outside any trace (the
 * revocation feed polled every second); an internal call made while serving a request carries
 * that request's traceparent and is traced as part of it.
 */
function untraced(request: { url?: string; headers: Record<string, unknown> }): boolean {
  const path = pathOf(request.url);
  return (
    UNTRACED_PATHS.has(path) ||
    (path.startsWith('/internal/') && request.headers.traceparent === undefined)
  );
}

async function exporterFor({ protocol }: TracingSettings): Promise<SpanExporter> {
  // Both read OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT, _HEADERS, _TIMEOUT and _COMPRESSION themselves.
  if (protocol === 'http/json') {
    const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
    return new OTLPTraceExporter();
  }
  const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-proto');
  return new OTLPTraceExporter();
}

/**
 * The tracer provider (sampler from OTEL_TRACES_SAMPLER/_ARG, batching from OTEL_BSP_*, W3C trace
 * context and baggage propagation) and the few instrumentations a service needs: incoming and
 * outgoing HTTP, undici (the gateway's proxying, webhook and InfluxDB calls), pg, and pino (each
 * log line gets trace_id and span_id). Web-framework instrumentation is left out on purpose: it
 * adds a span per hook, and @platform/http names the server span after the route instead.
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
  });
  provider.register();
  // OTEL_NODE_ENABLED_INSTRUMENTATIONS / OTEL_NODE_DISABLED_INSTRUMENTATIONS, as in
  // @opentelemetry/auto-instrumentations-node: comma-separated names (http, undici, pg, pino).
  const list = (name: string) =>
    process.env[name]
      ?.split(',')
      .map((n) => n.trim())
      .filter(Boolean);
  const enabled = list('OTEL_NODE_ENABLED_INSTRUMENTATIONS');
  const disabled = new Set(list('OTEL_NODE_DISABLED_INSTRUMENTATIONS'));
  const wanted = (name: string) => (!enabled || enabled.includes(name)) && !disabled.has(name);
  const instrumentations = {
    http: () =>
      new HttpInstrumentation({
        ignoreIncomingRequestHook: untraced,
        // The services call out with undici (fetch), which has its own instrumentation.
        disableOutgoingRequestInstrumentation: true,
        redactedQueryParamsServer: SECRET_QUERY_PARAMS,
      }),
    // Background calls (health polling, discovery) start no trace of their own.
    undici: () =>
      new UndiciInstrumentation({
        requireParentforSpans: true,
        // Its attributes win over the instrumentation's own: the gateway forwards mail links.
        startSpanHook: redactedUrlAttributes,
      }),
    // Statements without parameters: those can hold password hashes, tokens, emails. No spans
    // for taking a pooled connection: one per query would double the spans for little news.
    pg: () =>
      new PgInstrumentation({
        requireParentSpan: true,
        enhancedDatabaseReporting: false,
        ignoreConnectSpans: true,
      }),
    pino: () =>
      new PinoInstrumentation({
        disableLogSending: true,
        logKeys: { traceId: 'trace_id', spanId: 'span_id', traceFlags: 'trace_flags' },
      }),
  };
  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: Object.entries(instrumentations)
      .filter(([name]) => wanted(name))
      .map(([, make]) => make()),
  });
  await waitForAllMessagesAcknowledged();
  TRACING.provider = provider;
}
