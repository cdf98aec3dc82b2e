import type { IncomingMessage } from 'node:http';
import {
  edgeTracing,
  inRequestContext,
  requestLogIds,
  requestSpan,
  traceServer,
} from '@platform/telemetry';
import type { FastifyInstance } from 'fastify';

const RAW = Symbol('request');

/** pino's mixin at the edge: a request's logger adds its span's ids to each line (see below). */
export function edgeLogMixin(
  _line: object,
  _level: number,
  logger: unknown,
): Partial<Record<'trace_id' | 'span_id' | 'trace_flags', string>> {
  const raw = (logger as { [RAW]?: IncomingMessage })[RAW];
  return (raw && requestLogIds(raw)) || {};
}

/**
 * With tracing on, every request runs in a server span of its own (@platform/telemetry's
 * traceServer, started before Fastify routes it, so even its first log line carries the trace
 * id). This names the span after the route (`GET /main/v1/posts/:id`, low cardinality, as the
 * metrics label it), records the request id the logs and problem bodies carry, and re-enters the
 * span's context once a request body has been read.
 */
export function registerTracing(app: FastifyInstance) {
  traceServer(app.server);
  // At the edge no async context carries the span (sdk.ts in @platform/telemetry): each
  // request's logger knows its request, and the logger's mixin (edgeLogMixin) writes the ids
  // into the lines it logs. Not as bindings of the child logger: pino would serialize (and run
  // the redaction paths over) three more bindings for every request, logged or not.
  if (edgeTracing()) {
    app.setChildLoggerFactory((logger, bindings, options, raw) => {
      const child = logger.child(bindings, options) as typeof logger & { [RAW]?: unknown };
      child[RAW] = raw;
      return child;
    });
  }
  app.addHook('onRequest', (request, _reply, done) => {
    const span = requestSpan(request.raw);
    if (span) {
      const route = request.routeOptions.url;
      if (route) {
        span.updateName(`${request.method} ${route}`);
        span.setAttribute('http.route', route);
      }
      span.setAttribute('request_id', request.id);
    }
    done();
  });
  // A body is read in socket events. Node 20 runs them in the request's context, but nothing
  // promises that for every Node version and body parser: once one was read, enter it again.
  app.addHook('preValidation', (request, _reply, done) => {
    if (request.body === undefined) done();
    else inRequestContext(request.raw, done);
  });
}
