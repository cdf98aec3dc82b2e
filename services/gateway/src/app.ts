import { type App, createApp } from '@platform/http';
import type { FastifyServerOptions } from 'fastify';
import { type Config, upstreamsOf } from './config.ts';
import { healthRoutes } from './health/routes.ts';
import { proxyRoutes } from './proxy/routes.ts';

export interface BuildOptions {
  logger?: FastifyServerOptions['loggerInstance'];
}

export async function buildApp(config: Config, options: BuildOptions = {}): Promise<App> {
  const app = await createApp({
    name: 'gateway',
    logLevel: config.LOG_LEVEL,
    ...(options.logger ? { logger: options.logger } : {}),
  });
  const upstreams = upstreamsOf(config);
  await app.register(healthRoutes, { upstreams });
  await app.register(proxyRoutes, { upstreams, timeoutMs: config.UPSTREAM_TIMEOUT * 1000 });
  return app;
}
