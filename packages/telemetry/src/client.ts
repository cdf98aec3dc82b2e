import { subscribe } from 'node:diagnostics_channel';
import {
  context,
  propagation,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { redactedQuery } from './requests.ts';

/**
 * The client span of each HTTP call a service makes with undici or fetch (the gateway's
 * forwarding, auth's and main's internal calls, webhooks, InfluxDB writes), from undici's own
 * diagnostics channels, with the SDK's tracer and W3C propagator. It replaces
 * @opentelemetry/instrumentation-undici, which for every call parses the URL twice, copies every
 * request header into a Map and sets a dozen attributes, most of them parts of `url.full` again:
 * after the server span it was the largest cost of tracing a request (docs/telemetry.md).
 * Stable HTTP client semantic conventions: method, `url.full` (secret query values redacted),
 * `server.address`, `server.port`, status code, `error.type`.
 */

/** What undici publishes about a request (`undici:request:*`); both undici 6 and 7 have these. */
interface UndiciRequest {
  origin?: string | URL;
  method: string;
  path: string;
  addHeader?: (name: string, value: string) => unknown;
  headers?: string | string[];
}

const SPANS = new WeakMap<UndiciRequest, Span>();
const SERVERS = new Map<string, { 'server.address': string; 'server.port': number }>();

/** `server.address` and `server.port` of an origin, parsed once (a service calls a few). */
function server(origin: string) {
  let known = SERVERS.get(origin);
  if (!known) {
    const url = new URL(origin);
    known = {
      'server.address': url.hostname,
      'server.port': Number(url.port) || (url.protocol === 'https:' ? 443 : 80),
    };
    if (SERVERS.size < 1000) SERVERS.set(origin, known);
  }
  return known;
}

/**
 * The caller wrote the trace context itself: a proxy forwarding a request makes one span per
 * proxied request, its server span with the upstream's attributes, as Envoy and NGINX do; a
 * client span per hop would double the gateway's spans and tell nothing more.
 */
function carriesTraceparent(headers: UndiciRequest['headers']): boolean {
  if (Array.isArray(headers)) {
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i]!;
      if (name.length === 11 && name.toLowerCase() === 'traceparent') return true;
    }
    return false;
  }
  return typeof headers === 'string' && /(^|\n)traceparent:/i.test(headers);
}

function started(tracer: Tracer, request: UndiciRequest): void {
  const parent = context.active();
  // Calls outside any request (health polling, discovery, the revocation feed) start no trace.
  if (trace.getSpan(parent) === undefined || request.method === 'CONNECT') return;
  if (carriesTraceparent(request.headers)) return;
  const origin = String(request.origin ?? '');
  const q = request.path.indexOf('?');
  const query = q < 0 ? undefined : redactedQuery(request.path.slice(q));
  let target: ReturnType<typeof server>;
  try {
    target = server(origin);
  } catch {
    return;
  }
  const attributes: Record<string, string | number> = {
    'http.request.method': request.method,
    'url.full': query ? `${origin}${request.path.slice(0, q)}${query}` : `${origin}${request.path}`,
    'server.address': target['server.address'],
    'server.port': target['server.port'],
  };
  if (query) attributes['url.query'] = query;
  const span = tracer.startSpan(request.method, { kind: SpanKind.CLIENT, attributes }, parent);
  // Sampled or not, the service called continues this trace and follows its decision.
  const carrier: Record<string, string> = {};
  propagation.inject(trace.setSpan(parent, span), carrier);
  for (const name in carrier) addHeader(request, name, carrier[name]!);
  if (span.isRecording()) SPANS.set(request, span);
}

function addHeader(request: UndiciRequest, name: string, value: string) {
  if (typeof request.addHeader === 'function') request.addHeader(name, value);
  else if (typeof request.headers === 'string') request.headers += `${name}: ${value}\r\n`;
  else if (Array.isArray(request.headers)) request.headers.push(name, value);
}

/** Starts the client spans; sdk.ts calls it once, after the provider is registered. */
export function traceClientRequests(): void {
  const tracer = trace.getTracer('@platform/telemetry/undici');
  subscribe('undici:request:create', (message) => {
    started(tracer, (message as { request: UndiciRequest }).request);
  });
  subscribe('undici:request:headers', (message) => {
    const { request, response } = message as {
      request: UndiciRequest;
      response: { statusCode: number };
    };
    const span = SPANS.get(request);
    if (!span) return;
    span.setAttribute('http.response.status_code', response.statusCode);
    if (response.statusCode >= 400) {
      span.setAttribute('error.type', String(response.statusCode));
      span.setStatus({ code: SpanStatusCode.ERROR });
    }
  });
  subscribe('undici:request:trailers', (message) => {
    const { request } = message as { request: UndiciRequest };
    SPANS.get(request)?.end();
    SPANS.delete(request);
  });
  subscribe('undici:request:error', (message) => {
    const { request, error } = message as { request: UndiciRequest; error: Error };
    const span = SPANS.get(request);
    if (!span) return;
    SPANS.delete(request);
    span.setAttribute('error.type', error.name);
    span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
    span.end();
  });
}
