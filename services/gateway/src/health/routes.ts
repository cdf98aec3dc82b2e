import type { App } from '@platform/http';
import type { ServiceName, Upstreams } from '../config.ts';

const CHECK_TIMEOUT_MS = 2000;

/**
 * `GET /health`: the whole stack as a client sees it. Every instance of every deployed service
 * must answer its `/health/ready`; the 503 names the services that do not (not their addresses).
 */
export async function healthRoutes(app: App, options: { upstreams: Upstreams }) {
  const deployed = (Object.entries(options.upstreams) as [ServiceName, string[]][]).filter(
    ([, urls]) => urls.length > 0,
  );

  const routeOptions = {
    schema: { hide: true },
    logLevel: 'warn' as const,
    config: { rateLimit: false },
  };
  app.get('/health', routeOptions, async (request, reply) => {
    const services: Record<string, string> = {};
    await Promise.all(
      deployed.map(async ([service, urls]) => {
        const ready = await Promise.all(urls.map(isReady));
        const down = ready.filter((r) => !r).length;
        services[service] =
          down === 0
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
        detail: `Not ready: ${notReady.join(', ')}.`,
        request_id: request.id,
        services,
      });
  });
}

async function isReady(baseUrl: string): Promise<boolean> {
  try {
    const response = await fetch(`${baseUrl}/health/ready`, {
      signal: AbortSignal.timeout(CHECK_TIMEOUT_MS),
    });
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    return false;
  }
}
