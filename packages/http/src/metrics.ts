import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Histogram, type Metric, Registry } from 'prom-client';
import { isOwnRead } from './conditional.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** This process's Prometheus registry; services register their own counters on it. */
    metrics: Registry;
  }
}

/**
 * The process's own metrics (CPU, memory, event loop lag, GC), collected once per process and
 * registered in each app's registry, which adds its `service` label: collecting them starts an
 * event loop delay monitor (a 10 ms timer) and a GC observer that nothing stops, so each app
 * built (a test file builds dozens) left two running after it closed.
 */
let defaults: Registry | undefined;
function processMetrics(): Registry {
  if (!defaults) {
    defaults = new Registry();
    collectDefaultMetrics({ register: defaults });
  }
  return defaults;
}

/** Default process metrics, a request duration histogram by route and status, and `/metrics`. */
export function registerMetrics(app: FastifyInstance, service: string, route: boolean) {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  // The registry's own metric objects (its types call them MetricObject, their description).
  for (const metric of processMetrics().getMetricsAsArray()) {
    registry.registerMetric(metric as unknown as Metric);
  }
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Duration of HTTP requests handled by this service',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  app.decorate('metrics', registry);

  // A callback hook, not an async one: no promise and no extra tick on every request.
  app.addHook('onResponse', (request, reply, done) => {
    // Unmatched URLs share one label so a scanner cannot blow up the series count.
    const route = request.routeOptions.url ?? 'unmatched';
    // The read a conditional change made of its URL is part of the change, not a request.
    if (route !== '/metrics' && !isOwnRead(request)) {
      duration.observe(
        { method: request.method, route, status_code: String(reply.statusCode) },
        reply.elapsedTime / 1000,
      );
    }
    done();
  });

  if (!route) return;
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    reply.type(registry.contentType);
    return registry.metrics();
  });
}
