import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import {
  type Context,
  context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { redactedQuery, untraced } from './requests.ts';
import { TRACING } from './state.ts';

/**
 * The server span of each request a service answers, started where Node hands the request to
 * Fastify, with the official SDK's tracer and W3C propagator. It replaces
 * @opentelemetry/instrumentation-http's server side, which on every request wraps
 * `Server.prototype.emit`, re-binds every listener of the request and the response to the
 * context, parses the URL and computes two dozen attributes and metric attributes; together that
 * was most of what tracing cost a request (docs/telemetry.md has the profile). This one does one
 * `context.with` and sets the stable HTTP semantic-convention attributes a trace view shows.
 */

const CONTEXT = Symbol('otel.context');
const SPAN = Symbol('otel.span');
type Traced = IncomingMessage & { [CONTEXT]?: Context; [SPAN]?: Span };

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

let tracer: Tracer | undefined;

/**
 * The trace context a request arrives with. At the edge only the client's `traceparent` is read:
 * its `baggage` and `tracestate` would otherwise flow, as ours, to every service and to the
 * outside calls they make (OIDC providers, InfluxDB); the sampling decision is the edge's anyway.
 */
export function incomingContext(headers: IncomingMessage['headers'], edge: boolean): Context {
  if (!edge) return propagation.extract(ROOT_CONTEXT, headers);
  const { traceparent } = headers;
  return propagation.extract(ROOT_CONTEXT, traceparent === undefined ? {} : { traceparent });
}

/** Wraps the server's request listeners (Fastify's router) so each request runs in its span. */
export function traceServer(server: Server): void {
  tracer ??= trace.getTracer('@platform/telemetry/http');
  for (const listener of server.listeners('request') as Listener[]) {
    server.removeListener('request', listener);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => handle(req, res, listener));
  }
}

function handle(req: Traced, res: ServerResponse, next: Listener): void {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  if (untraced(path, req.headers.traceparent)) {
    next(req, res);
    return;
  }
  const method = req.method ?? 'GET';
  const parent = incomingContext(req.headers, TRACING.edge === true);
  const attributes: Record<string, string> = {
    'http.request.method': method,
    'url.scheme': 'http',
    'url.path': path,
  };
  if (q >= 0) attributes['url.query'] = redactedQuery(url.slice(q));
  const span = tracer!.startSpan(method, { kind: SpanKind.SERVER, attributes }, parent);
  const active = trace.setSpan(parent, span);
  // Kept unsampled too: the services behind and the queries follow the decision made here.
  req[CONTEXT] = active;
  if (!span.isRecording()) {
    context.with(active, next, undefined, req, res);
    return;
  }
  req[SPAN] = span;
  res.once('close', () => {
    const status = res.statusCode;
    span.setAttribute('http.response.status_code', status);
    if (!res.writableFinished) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: 'the connection closed first' });
    } else if (status >= 500) {
      span.setAttributes({ 'error.type': String(status) });
      span.setStatus({ code: SpanStatusCode.ERROR });
    }
    span.end();
  });
  context.with(active, next, undefined, req, res);
}

/**
 * Runs `next` in the request's context again: a request body arrives in socket events, outside
 * it, so the framework calls this once the body is read, before validation and the handler.
 */
export function inRequestContext(req: IncomingMessage, next: () => void): void {
  const active = (req as Traced)[CONTEXT];
  if (active) context.with(active, next);
  else next();
}

/**
 * The trace context headers (`traceparent`, by the configured propagator) that make the request's
 * server span the parent of a call made for it; undefined without a server span. A proxy forwards
 * these itself and makes no client span of its own for the hop (see client.ts).
 */
export function requestTraceHeaders(req: IncomingMessage): Record<string, string> | undefined {
  const active = (req as Traced)[CONTEXT];
  if (!active) return undefined;
  const carrier: Record<string, string> = {};
  propagation.inject(active, carrier);
  return carrier;
}

/**
 * `trace_id`, `span_id` and `trace_flags` of the request's server span, as the pino
 * instrumentation writes them, for log lines where no async context carries them (the edge, see
 * sdk.ts); undefined without a server span.
 */
export function requestLogIds(
  req: IncomingMessage,
): { trace_id: string; span_id: string; trace_flags: string } | undefined {
  const active = (req as Traced)[CONTEXT];
  const span = active && trace.getSpanContext(active);
  if (!span) return undefined;
  return {
    trace_id: span.traceId,
    span_id: span.spanId,
    trace_flags: `0${span.traceFlags.toString(16)}`,
  };
}

/** The request's server span while it is recorded; undefined when tracing or sampling is off. */
export const requestSpan = (req: IncomingMessage): Span | undefined => (req as Traced)[SPAN];
