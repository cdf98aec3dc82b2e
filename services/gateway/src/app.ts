import { authentication, createServiceAuth, type ServiceAuth } from '@platform/auth';
import { type App, createApp } from '@platform/http';
import type { FastifyServerOptions } from 'fastify';
import { Redis } from 'ioredis';
import { type Config, type ServiceName, splitList, upstreamsOf } from './config.ts';
import { docsRoutes } from './docs/routes.ts';
import { rateLimits, strictRoutes } from './edge/rate-limits.ts';
import { security } from './edge/security.ts';
import { healthRoutes } from './health/routes.ts';
import { accessLog } from './observe/access.ts';
import { gatewayMetrics } from './observe/metrics.ts';
import { pollHealth } from './proxy/active-health.ts';
import { type Balancer, createBalancer } from './proxy/balancer.ts';
import { proxyRoutes } from './proxy/routes.ts';
import { createSampleSink } from './samples/sink.ts';

export interface BuildOptions {
  logger?: FastifyServerOptions['loggerInstance'];
  /** Replaces the verifier built from AUTH_URL (tests without an auth service). */
  serviceAuth?: ServiceAuth;
}

export async function buildApp(config: Config, options: BuildOptions = {}): Promise<App> {
  const app = await createApp({
    name: 'gateway',
    logLevel: config.LOG_LEVEL,
    bodyLimit: config.BODY_LIMIT,
    trustProxy: splitList(config.TRUST_PROXY),
    ...(options.logger ? { logger: options.logger } : {}),
  });
  const upstreams = upstreamsOf(config);
  const balancers = new Map<ServiceName, Balancer>();
  for (const [service, urls] of Object.entries(upstreams) as [ServiceName, string[]][]) {
    if (urls.length) balancers.set(service, createBalancer(urls, config.UPSTREAM_EJECT_MS));
  }
  const stopPolling = pollHealth([...balancers.values()], config.HEALTH_INTERVAL_MS);
  const metrics = gatewayMetrics(app.metrics, balancers);

  // First, so that even a refused request carries security and CORS headers.
  await security(app, { corsOrigins: config.CORS_ORIGINS });

  // The edge checks tokens like every service does (same keys, same revocation feed), so a
  // bad, expired or revoked one is refused before any service sees the request.
  const auth =
    options.serviceAuth ??
    createServiceAuth({
      authUrl: config.AUTH_URL ?? upstreams.auth[0]!,
      issuer: config.JWT_ISSUER,
      audience: config.JWT_AUDIENCE,
      redisUrl: config.REDIS_URL,
      onError: (err) => app.log.warn({ err }, 'following token revocations failed'),
    });
  await app.register(authentication, { verify: auth.verify });
  app.addReadinessCheck('revocations', () => auth.revocations.ready());

  const redis = config.REDIS_URL
    ? new Redis(config.REDIS_URL, { maxRetriesPerRequest: 1, connectionName: 'gateway-limits' })
    : undefined;
  redis?.on('error', (err) => app.log.warn({ err }, 'rate-limit store unreachable'));
  await rateLimits(app, { config, metrics, redis });

  const samples = createSampleSink({
    analyticsUrl: config.ANALYTICS_URL,
    serviceToken: config.SERVICE_TOKEN,
    capacity: config.SAMPLE_BUFFER,
    batchSize: config.SAMPLE_BATCH,
    flushMs: config.SAMPLE_FLUSH_MS,
    metrics,
    log: app.log,
  });
  accessLog(app, { metrics, samples });

  await app.register(healthRoutes, { upstreams });
  await app.register(docsRoutes, { balancers });
  await app.register(proxyRoutes, {
    balancers,
    timeoutMs: config.UPSTREAM_TIMEOUT * 1000,
    connectTimeoutMs: config.UPSTREAM_CONNECT_TIMEOUT_MS,
    exact: strictRoutes(config),
  });

  app.addHook('onClose', async () => {
    stopPolling();
    await samples.close();
    await auth.close();
    redis?.disconnect();
  });
  return app;
}
