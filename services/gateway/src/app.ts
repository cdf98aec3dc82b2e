import { authentication, createRedis, createServiceAuth, type ServiceAuth } from '@platform/auth';
import { ConfigError } from '@platform/config';
import { type App, createApp } from '@platform/http';
import { rootRatio } from '@platform/telemetry';
import type { FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify';
import { Agent, Pool } from 'undici';
import { type Config, splitList } from './config.ts';
import { docsRoutes } from './docs/routes.ts';
import { capConnections } from './edge/connections.ts';
import { edgeRoutes } from './edge/edge-routes.ts';
import { rateLimits } from './edge/rate-limits.ts';
import { security } from './edge/security.ts';
import { healthRoutes } from './health/routes.ts';
import { accessLog } from './observe/access.ts';
import { gatewayMetrics } from './observe/metrics.ts';
import { serveMetrics } from './observe/metrics-port.ts';
import { pollHealth } from './proxy/active-health.ts';
import { type Balancer, createBalancer } from './proxy/balancer.ts';
import { discover, type Lookup, systemLookup } from './proxy/discovery.ts';
import { panicChoosers } from './proxy/panic.ts';
import { RevalidationCache } from './proxy/revalidation.ts';
import { proxyRoutes } from './proxy/routes.ts';
import { routesOf } from './proxy/table.ts';
import { createSampleSink } from './samples/sink.ts';

/**
 * How long the gateway keeps a connection to an instance idle before it closes it itself. Shorter
 * than a closing @platform/http instance keeps an idle connection open (IDLE_GRACE_MS, 2 s): by
 * the time the instance ends those, the gateway has dropped every one it did not use since the
 * close began, so it never writes a request on one as it is being closed (a write then fails
 * with no answer, and cannot go to another instance). A connection in use is never idle this
 * long; one request after a quiet second opens a new connection, a millisecond in a cluster.
 */
export const UPSTREAM_IDLE_MS = 1000;

export interface BuildOptions {
  logger?: FastifyServerOptions['loggerInstance'];
  /** Replaces the verifier built from AUTH_URL (tests without an auth service). */
  serviceAuth?: ServiceAuth;
  /** Replaces the system resolver (tests that give one name several addresses). */
  lookup?: Lookup;
  /**
   * How long the gateway keeps a connection to an instance idle (UPSTREAM_IDLE_MS, 1 s, by
   * default). Tests of the closing races pass less, with an instance's idle grace to match
   * (it must stay well under that grace); no setting changes it.
   */
  upstreamIdleMs?: number;
  /**
   * While closing, how long it serves what arrives on a connection kept alive (createApp's
   * `idleGraceMs`: IDLE_GRACE_MS, 2 s, by default), and how long it waits for answers to be read
   * before it cuts them (`writeOutMs`: WRITE_OUT_MS, 5 s). Tests pass less, to see them end
   * without waiting them out; no setting changes them.
   */
  idleGraceMs?: number;
  writeOutMs?: number;
}

export async function buildApp(config: Config, options: BuildOptions = {}): Promise<App> {
  const routes = routesOf(config);
  checkBodyShares(config);
  const trustedProxies = splitList(config.TRUST_PROXY);
  const authUrl = config.AUTH_URL ?? routes.find((r) => r.service === 'auth')?.urls[0];
  if (!authUrl && !options.serviceAuth) {
    throw new ConfigError('AUTH_URL is not set: expected the auth service URL (or AUTH_URLS)');
  }
  // The revocation feed answers only services; without the token no token could be trusted.
  if (!config.SERVICE_TOKEN && !options.serviceAuth) {
    throw new ConfigError('SERVICE_TOKEN is not set: expected at least 32 characters');
  }
  const app = await createApp({
    name: 'gateway',
    logLevel: config.LOG_LEVEL,
    bodyLimit: config.BODY_LIMIT,
    trustProxy: trustedProxies.length ? trustedProxies : false,
    metricsRoute: false,
    routeHeader: false,
    // Its callers are clients (and NGINX): no internal mark means anything to them, and NGINX
    // sends a POST it wrote on a kept-alive connection nowhere else, refused or cut. So while it
    // closes, the gateway serves what arrives on a connection kept alive within the idle grace
    // (IDLE_GRACE_MS, 2 s), closing the connection after the answer; NGINX drops its idle
    // connections to the gateway sooner (upstream keepalive_timeout 1s, deploy/nginx/nginx.conf),
    // so it never writes on one the gateway is ending.
    markClosingRefusals: false,
    serveWhileClosing: true,
    // Bodies go on as they came, Content-Encoding and all: each service knows what it decodes.
    refuseContentCodings: false,
    // Changes go on with their If-Match: the service holds them to its own versions. The gateway's
    // would read its exact GET route (a hop, counted against the caller's limit) and answer 412
    // itself wherever a manifest declared a GET and a change at one URL.
    conditionalWrites: false,
    clientTimeouts: {
      headersMs: config.CLIENT_HEADERS_TIMEOUT_MS,
      requestMs: config.CLIENT_REQUEST_TIMEOUT * 1000,
    },
    ...(options.idleGraceMs === undefined ? {} : { idleGraceMs: options.idleGraceMs }),
    ...(options.writeOutMs === undefined ? {} : { writeOutMs: options.writeOutMs }),
    ...(options.logger ? { logger: options.logger } : {}),
  });
  const upstreamIdleMs = options.upstreamIdleMs ?? UPSTREAM_IDLE_MS;
  if (config.METRICS_PORT !== undefined) serveMetrics(app, config.METRICS_PORT, config.HOST);
  const connect = (origin: string) =>
    new Pool(origin, {
      connections: 128,
      pipelining: 1,
      // Whatever the service's Keep-Alive hint says (72 s): dropped by the gateway first, before a
      // closing instance ends it (UPSTREAM_IDLE_MS).
      keepAliveTimeout: upstreamIdleMs,
      keepAliveMaxTimeout: upstreamIdleMs,
      connect: { timeout: config.UPSTREAM_CONNECT_TIMEOUT_MS },
    });
  const balancers = new Map<string, Balancer>();
  const deployed = routes.filter((route) => route.urls.length > 0);
  for (const route of deployed) {
    balancers.set(
      route.service,
      createBalancer([], { ejectMs: config.UPSTREAM_EJECT_MS, connect }),
    );
  }
  const discovery = discover(
    deployed.map((route) => ({ balancer: balancers.get(route.service)!, urls: route.urls })),
    {
      lookup: options.lookup ?? systemLookup,
      intervalMs: config.DNS_REFRESH_MS,
      onError: (err, host) => app.log.warn({ err, host }, 'resolving an upstream name failed'),
    },
  );
  await discovery.refresh();
  // Health checks' own connections (polls and `GET /health`), closed with the gateway. Dropped
  // once quiet for UPSTREAM_IDLE_MS, like the proxy's: kept for undici's default 4 s, the
  // connection of the last poll (every 2 s) held every closing instance for its whole idle grace.
  const checks = new Agent({
    keepAliveTimeout: upstreamIdleMs,
    keepAliveMaxTimeout: upstreamIdleMs,
  });
  const stopPolling = pollHealth([...balancers.values()], config.HEALTH_INTERVAL_MS, checks);
  const kept = new RevalidationCache({
    maxBytes: config.RESPONSE_CACHE_BYTES,
    maxEntries: config.RESPONSE_CACHE_ENTRIES,
    maxAnswerBytes: config.RESPONSE_CACHE_ANSWER_BYTES,
  });
  const metrics = gatewayMetrics(app.metrics, balancers, kept);
  capConnections(app.server, {
    perAddress: config.MAX_CONNECTIONS_PER_ADDRESS,
    trustedProxies,
    refused: metrics.connectionsRefused,
  });

  // First, so that even a refused request carries security and CORS headers.
  await security(app, { corsOrigins: config.CORS_ORIGINS });

  // The edge checks tokens like every service does (same keys, same revocation feed), so a
  // bad, expired or revoked one is refused before any service sees the request.
  const auth =
    options.serviceAuth ??
    createServiceAuth({
      authUrl: authUrl!,
      serviceToken: config.SERVICE_TOKEN!,
      issuer: config.JWT_ISSUER,
      audience: config.JWT_AUDIENCE,
      maxLifetime: config.ACCESS_TOKEN_MAX_LIFETIME,
      redisUrl: config.REDIS_URL,
      log: app.log,
    });
  // A 401 for the token (a bad one here, a missing one where a route needs one before its body)
  // comes before the limiter (a preHandler) would run: it is counted then, per address, against
  // the same limit, so such requests get RateLimit-* and a 429.
  let countRefused: ((request: FastifyRequest, reply: FastifyReply) => Promise<void>) | undefined;
  const refused = async (request: FastifyRequest, reply: FastifyReply) => {
    // The gateway's own pages (health, docs) are never limited.
    if (request.routeOptions.config?.rateLimit === false) return;
    countRefused ??= app.rateLimit() as (r: FastifyRequest, s: FastifyReply) => Promise<void>;
    await countRefused(request, reply);
  };
  // Basic where no route takes it: say where it is taken (a Segment library at its default path,
  // /v1/batch, was told to send a Bearer token).
  const basicRoute = edgeRoutes(config).find((route) => route.options.config?.basicAuth);
  await app.register(authentication, {
    verify: auth.verify,
    refused,
    ...(basicRoute
      ? {
          basicElsewhere: `This route takes no Basic credentials: a write key is taken as Basic on the routes that say so in /docs, such as ${basicRoute.method} ${basicRoute.url} (a Segment library's host is this gateway and its path that route); elsewhere the Authorization header must be "Bearer <token>".`,
        }
      : {}),
  });
  app.addReadinessCheck('revocations', () => auth.revocations.ready());

  // Every proxied request waits on this client, so it must never wait long: a Redis that hangs
  // (a slow command, a stalled fork, packets dropped without a reset) answers nothing, and
  // without timeouts each request waited for good. A command fails after 250 ms, a connection
  // silent for 2 s is dropped and made again, and while there is none a command fails at once;
  // either way the limit is skipped (rate-limits.ts).
  const redis = config.REDIS_URL
    ? createRedis(config.REDIS_URL, {
        maxRetriesPerRequest: 1,
        commandTimeout: 250,
        socketTimeout: 2000,
        enableOfflineQueue: false,
        connectionName: 'gateway-limits',
      })
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
  const access = accessLog(app, { metrics, samples });

  await app.register(healthRoutes, { balancers, checks });
  // One per service, for all the gateway sends it: a service's panic is one (proxy/panic.ts).
  const choosers = panicChoosers(balancers, app.log, metrics.panicRouted);
  await app.register(docsRoutes, { routes, choosers });
  await app.register(proxyRoutes, {
    routes,
    balancers,
    timeouts: {
      headersMs: config.UPSTREAM_TIMEOUT * 1000,
      totalMs: config.UPSTREAM_TOTAL_TIMEOUT * 1000,
    },
    sampleRatio: rootRatio(config),
    bodies: {
      idleMs: config.CLIENT_BODY_TIMEOUT_MS,
      totalBytes: config.BODY_BUFFER_TOTAL,
      perAddressBytes: config.BODY_BUFFER_PER_ADDRESS,
      anonymousPerAddressBytes: config.BODY_BUFFER_ANONYMOUS_PER_ADDRESS,
    },
    exact: edgeRoutes(config),
    refused,
    choosers,
    retries: metrics.retries,
    clientGone: access.clientGone,
    cache: {
      store: kept,
      enabled: config.RESPONSE_CACHE === 'on',
      feedIntervalMs: config.RESPONSE_CACHE_FEED_MS,
      feedWaitSeconds: config.RESPONSE_CACHE_FEED_WAIT,
      maxStalenessMs: config.RESPONSE_CACHE_MAX_STALENESS_MS,
      serviceToken: config.SERVICE_TOKEN,
      lookups: metrics.cacheLookups,
    },
  });

  app.addHook('onClose', async () => {
    discovery.stop();
    stopPolling();
    await Promise.all([
      ...[...balancers.values()].map((b) => b.close()),
      checks.close().catch(() => {}),
    ]);
    await samples.close();
    await auth.close();
    redis?.disconnect();
  });
  return app;
}

/** Shares too small for the limits they hold would refuse every body near a limit. */
function checkBodyShares(config: Config) {
  const routes = edgeRoutes(config);
  const limitOf = (r: (typeof routes)[number]) => r.options.bodyLimit ?? config.BODY_LIMIT;
  const largest = Math.max(config.BODY_LIMIT, ...routes.map(limitOf));
  const anonymous = Math.max(
    config.BODY_LIMIT,
    ...routes.filter((r) => !r.options.config?.requiresToken).map(limitOf),
  );
  if (config.BODY_BUFFER_PER_ADDRESS < largest) {
    throw new ConfigError(
      `BODY_BUFFER_PER_ADDRESS is invalid: expected at least the largest body limit, ${largest}`,
    );
  }
  if (config.BODY_BUFFER_ANONYMOUS_PER_ADDRESS < anonymous) {
    throw new ConfigError(
      `BODY_BUFFER_ANONYMOUS_PER_ADDRESS is invalid: expected at least the largest body limit open to anonymous callers, ${anonymous}`,
    );
  }
}
