import { trace } from '@opentelemetry/api';
import type { FastifyInstance } from 'fastify';

/**
 * With tracing on, the HTTP instrumentation's server span is named only by the method; this
 * names it after the route (`GET /main/v1/posts/:id`, low cardinality, as the metrics label it)
 * and records the request id the logs and problem bodies carry.
 */
export function registerTraceNaming(app: FastifyInstance) {
  app.addHook('onRequest', async (request) => {
    const span = trace.getActiveSpan();
    if (!span) return;
    const route = request.routeOptions.url;
    if (route) {
      span.updateName(`${request.method} ${route}`);
      span.setAttribute('http.route', route);
    }
    span.setAttribute('request_id', request.id);
  });
}
