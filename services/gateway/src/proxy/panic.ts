import type { FastifyBaseLogger } from 'fastify';
import type { Counter } from 'prom-client';
import { type Balancer, type Instance, isAvailable } from './balancer.ts';

/**
 * The instance one request to a service goes to (not `exclude`, the one that just failed). A
 * request's attempts share one `tally`: it is counted as panic routed once, however many of its
 * attempts were.
 */
export type Chooser = (exclude?: Instance, tally?: PanicTally) => Instance | undefined;

/** One request's: whether it has been counted as panic routed. */
export interface PanicTally {
  panicked: boolean;
}

/**
 * One chooser per service, for everything the gateway sends it: proxied requests (every route of
 * the service), `/docs`' document fetch and the cache-version feed. Each picks an available
 * instance, else (every instance out, by active or passive health) any instance, the one with the
 * fewest requests in flight: panic routing, as Envoy's below its panic threshold. A service whose
 * every instance stalled past a health poll's timeout, or answered one request slowly, was a
 * certain 503 on every route until the next good poll; now the request is tried. A warning when
 * the service's panic starts, a line when it ends (once each, whoever asked), and every such
 * request counted (`gateway_upstream_panic_routed_total`). Only for a service of two instances or
 * more: the only one gets every request whatever its state, and that is no panic.
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
  const calm = () => {
    inPanic = false;
    log.info(
      { upstream_service: service },
      balancer.instances.length === 1
        ? 'one instance is left: panic routing ends'
        : 'an instance is back in: panic routing ends',
    );
  };
  return (exclude, tally) => {
    const instance = balancer.pick(exclude);
    if (instance) {
      if (inPanic && !exclude) calm();
      return instance;
    }
    const any = balancer.pickAny(exclude);
    if (!any) return undefined;
    // A retry away from an instance that is still in (its connection broke under a read) goes
    // to one that is out, having nowhere else to go; but the service has an instance in: no panic.
    if (exclude && isAvailable(exclude)) return any;
    // A service of one instance (Compose's and `npm start`'s default, or one left by a DNS
    // refresh) has nowhere else to send a request, whatever its state: no panic, as its healthy
    // share says nothing. Its failures are in the request metrics (5xx, 504) and its health in
    // gateway_upstream_healthy; counted here, one slow endpoint's timeouts kept the service "in
    // panic" and fired the critical GatewayPanicRouting.
    if (balancer.instances.length === 1) {
      if (inPanic) calm();
      return any;
    }
    // Once per request: its retry, sent to the other instance that is out, counted it twice.
    if (!tally?.panicked) routed?.inc();
    if (tally) tally.panicked = true;
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
