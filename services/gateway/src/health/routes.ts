import type { App } from '@platform/http';
import type { Dispatcher } from 'undici';
import { isReady } from '../proxy/active-health.ts';
import type { Balancer } from '../proxy/balancer.ts';

const CHECK_TIMEOUT_MS = 2000;
/** How long one round of checks answers every `GET /health`. */
const ROUND_MS = 1000;

/**
 * `GET /health`: the whole stack as a client sees it. Every instance of every deployed service
 * must answer its `/health/ready`; the 503 names the services that do not (not their addresses).
 * Public and never rate-limited, so one round of checks (each a request to every instance, and a
 * database ping there) answers every caller for a second and those who ask while it runs: a flood
 * of `GET /health` never becomes a flood of checks (found by the session-13 review).
 */
export async function healthRoutes(
  app: App,
  options: { balancers: ReadonlyMap<string, Balancer>; checks: Dispatcher },
) {
  const deployed = [...options.balancers];
  const { checks } = options;
  let round: Promise<Record<string, string>> | undefined;
  // Infinite while a round runs: it is joined.
  let roundEndedAt = Number.NEGATIVE_INFINITY;
  const latest = () => {
    if (round && performance.now() - roundEndedAt <= ROUND_MS) return round;
    roundEndedAt = Number.POSITIVE_INFINITY;
    round = checkAll(deployed, checks).finally(() => {
      roundEndedAt = performance.now();
    });
    return round;
  };

  const routeOptions = {
    schema: { hide: true },
    logLevel: 'warn' as const,
    config: { rateLimit: false },
  };
  app.get('/health', routeOptions, async (request, reply) => {
    const services = await latest();
    const notReady = deployed.map(([s]) => s).filter((s) => services[s] !== 'ready');
    if (notReady.length === 0) return { status: 'ready', services };
    return reply
      .code(503)
      .type('application/problem+json')
      .send({
        type: 'about:blank',
        title: 'Service Unavailable',
        status: 503,
        code: 'service_unavailable',
        detail: `Not ready: ${notReady.join(', ')}.`,
        request_id: request.id,
        services,
      });
  });
}

/** Every instance's `/health/ready`, summed up per service. */
async function checkAll(
  deployed: [string, Balancer][],
  checks: Dispatcher,
): Promise<Record<string, string>> {
  const services: Record<string, string> = {};
  await Promise.all(
    deployed.map(async ([service, balancer]) => {
      // Every address behind the service's names, as balanced: one replica answering is not enough.
      const urls = balancer.instances.map((i) => i.url);
      // What it finds is also the routing's news, as the periodic poll's is: once the gateway
      // answers ready (the launcher's "Gateway ready", a readiness probe), it routes to what it
      // found ready, not 503 until the next poll (a service that came up between two polls).
      const ready = await Promise.all(
        balancer.instances.map(async (instance) => {
          const found = await isReady(instance.url, CHECK_TIMEOUT_MS, checks);
          // No answer is left to the poll to count (UNHEALTHY_THRESHOLD in a row): a flood of
          // `GET /health` during one stall must not take an instance out sooner. This answer
          // still says the instance is not ready: it is the stack's state right now.
          if (found !== 'unanswered') balancer.setReady(instance, found);
          return found === 'ready';
        }),
      );
      const down = ready.filter((r) => !r).length;
      services[service] =
        urls.length === 0
          ? 'no instances'
          : down === 0
            ? 'ready'
            : urls.length === 1
              ? 'not ready'
              : `${down} of ${urls.length} instances not ready`;
    }),
  );
  return services;
}
