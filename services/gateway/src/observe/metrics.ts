import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { type Balancer, isAvailable } from '../proxy/balancer.ts';
import type { RevalidationCache } from '../proxy/revalidation.ts';

export interface GatewayMetrics {
  duration: Histogram<'service' | 'route' | 'method' | 'status_code'>;
  rateLimited: Counter<'limit'>;
  rateLimitStoreFailures: Counter;
  samplesSent: Counter;
  samplesDropped: Counter<'reason'>;
  connectionsRefused: Counter;
  cacheLookups: Counter<'service' | 'result'>;
  panicRouted: Counter<'upstream_service'>;
  retries: Counter<'upstream_service' | 'reason'>;
}

/** The gateway's own series, beside the per-route histogram every service has. */
export function gatewayMetrics(
  registry: Registry,
  balancers: ReadonlyMap<string, Balancer>,
  kept: RevalidationCache,
): GatewayMetrics {
  const registers = [registry];
  const perInstance = (read: (b: Balancer, i: Balancer['instances'][number]) => number) =>
    function (this: Gauge<'upstream_service' | 'instance'>) {
      this.reset();
      for (const [service, balancer] of balancers) {
        for (const instance of balancer.instances) {
          this.set({ upstream_service: service, instance: instance.url }, read(balancer, instance));
        }
      }
    };
  new Gauge({
    name: 'gateway_upstream_healthy',
    help: '1 while an upstream instance is in rotation (ready and not ejected; the only instance of its service stays in through an ejection for a failed request), else 0 (it then gets traffic only in panic routing, when no instance of its service is in, or as the only instance of its service)',
    labelNames: ['upstream_service', 'instance'] as const,
    registers,
    collect: perInstance((b, i) => (isAvailable(i, Date.now(), b.instances.length === 1) ? 1 : 0)),
  });
  new Gauge({
    name: 'gateway_upstream_in_flight',
    help: 'Requests sent to an upstream instance and not finished',
    labelNames: ['upstream_service', 'instance'] as const,
    registers,
    collect: perInstance((_b, i) => i.inFlight),
  });
  new Gauge({
    name: 'gateway_cache_entries',
    help: 'Answers the gateway keeps (anonymous, public, with a strong ETag)',
    registers,
    collect() {
      this.set(kept.size);
    },
  });
  new Gauge({
    name: 'gateway_cache_bytes',
    help: 'Memory the kept answers take, bodies and keys (bounded by RESPONSE_CACHE_BYTES)',
    registers,
    collect() {
      this.set(kept.bytes);
    },
  });
  return {
    cacheLookups: new Counter({
      name: 'gateway_cache_lookups_total',
      help: 'Anonymous GETs of routes declared cacheable: hit (answered by the gateway) or miss',
      labelNames: ['service', 'result'] as const,
      registers,
    }),
    duration: new Histogram({
      name: 'gateway_request_duration_seconds',
      help: 'Duration of requests through the gateway, by upstream service, route and status',
      labelNames: ['service', 'route', 'method', 'status_code'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    rateLimited: new Counter({
      name: 'gateway_rate_limited_total',
      help: 'Requests refused with 429, by the limit they exceeded',
      labelNames: ['limit'] as const,
      registers,
    }),
    rateLimitStoreFailures: new Counter({
      name: 'gateway_rate_limit_store_failures_total',
      help: 'Requests let through unlimited because the rate-limit store (Redis) failed or was slow',
      registers,
    }),
    samplesSent: new Counter({
      name: 'gateway_samples_sent_total',
      help: 'Performance samples accepted by the analytics service',
      registers,
    }),
    connectionsRefused: new Counter({
      name: 'gateway_connections_refused_total',
      help: 'Connections closed at once: their address already held as many as it may',
      registers,
    }),
    panicRouted: new Counter({
      name: 'gateway_upstream_panic_routed_total',
      help: 'Requests sent to an instance that is out, because every instance of its service was out (panic routing)',
      labelNames: ['upstream_service'] as const,
      registers,
    }),
    retries: new Counter({
      name: 'gateway_upstream_retries_total',
      help: 'Requests sent again to another instance of their service, by why: closing (the instance refused it while shutting down, no route ran), unreachable (no connection to it), no_answer (a read whose connection broke)',
      labelNames: ['upstream_service', 'reason'] as const,
      registers,
    }),
    samplesDropped: new Counter({
      name: 'gateway_samples_dropped_total',
      help: 'Performance samples dropped: buffer full, analytics not configured or failing',
      labelNames: ['reason'] as const,
      registers,
    }),
  };
}
