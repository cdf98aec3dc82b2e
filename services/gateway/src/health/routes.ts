import type { App } from '@platform/http';
import { isReady } from '../proxy/active-health.ts';
import type { Balancer } from '../proxy/balancer.ts';

const CHECK_TIMEOUT_MS = 2000;

/**
 * `GET /health`: the whole stack as a client sees it. Every instance of every deployed service
 * must answer its `/health/ready`; the 503 names the services that do not (not their addresses).
 */
export async function healthRoutes(
  app: App,
  options: { balancers: ReadonlyMap<string, Balancer> },
) {
  const deployed = [...options.balancers];

  const routeOptions = {
    schema: { hide: true },
    logLevel: 'warn' as const,
    config: { rateLimit: false },
  };
  app.get('/health', routeOptions, async (request, reply) => {
    const services: Record<string, string> = {};
    await Promise.all(
      deployed.map(async ([service, balancer]) => {
        // Every address behind the service's names, as balanced: one replica answering is not enough.
        const urls = balancer.instances.map((i) => i.url);
        const ready = await Promise.all(urls.map((url) => isReady(url, CHECK_TIMEOUT_MS)));
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
