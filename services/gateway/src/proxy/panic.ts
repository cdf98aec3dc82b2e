import type { FastifyBaseLogger } from 'fastify';
import type { Counter } from 'prom-client';
import { type Balancer, type Instance, isAvailable } from './balancer.ts';

/** The instance one request to a service goes to (not `exclude`, the one that just failed). */
export type Chooser = (exclude?: Instance) => Instance | undefined;

/**
 * One chooser per service, for everything the gateway sends it: proxied requests (every route of
 * the service), `/docs`' document fetch and the cache-version feed. Each picks an available
 * instance, else (every instance out, by active or passive health) any instance, the one with the
 * fewest requests in flight: panic routing, as Envoy's below its panic threshold. A service whose
 * every instance stalled past a health poll's timeout, or answered one request slowly, was a
 * certain 503 on every route until the next good poll; now the request is tried. A warning when
 * the service's panic starts, a line when it ends (once each, whoever asked), and every such
 * request counted (`gateway_upstream_panic_routed_total`).
 */
export function panicChoosers(
  balancers: ReadonlyMap<string, Balancer>,
  log: FastifyBaseLogger,
  counter?: Counter<'upstream_service'>,
): Map<string, Chooser> {
  return new Map(
    [...balancers].map(([service, balancer]) => [
      service,
      panicking(log, service, balancer, counter),
    ]),
  );
}

function panicking(
  log: FastifyBaseLogger,
  service: string,
  balancer: Balancer,
  counter: Counter<'upstream_service'> | undefined,
): Chooser {
  const routed = counter?.labels(service);
  // At 0 from the start: the alert's increase() sees the first panic, not only the second.
  routed?.inc(0);
  let inPanic = false;
  return (exclude) => {
    const instance = balancer.pick(exclude);
    if (instance) {
      if (inPanic && !exclude) {
        inPanic = false;
        log.info({ upstream_service: service }, 'an instance is back in: panic routing ends');
      }
      return instance;
    }
    const any = balancer.pickAny(exclude);
    if (!any) return undefined;
    // A retry away from an instance that is still in (its connection broke under a read) goes
    // to one that is out, having nowhere else to go; but the service has an instance in: no panic.
    if (exclude && isAvailable(exclude)) return any;
    routed?.inc();
    if (!inPanic) {
      inPanic = true;
      log.warn(
        { upstream_service: service, instances: balancer.instances.length },
        'every instance is out: routing to them anyway (panic routing)',
      );
    }
    return any;
  };
}
