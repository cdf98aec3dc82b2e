import rateLimit from '@fastify/rate-limit';
import { type App, addressBlock, problems } from '@platform/http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import type { Config } from '../config.ts';
import type { GatewayMetrics } from '../observe/metrics.ts';
import { firstConnection, observedRedisStore } from './rate-limit-store.ts';

/** How long a start waits for Redis's first answer (rate-limit-store.ts, firstConnection). */
const REDIS_START_WAIT_MS = 2000;

/** An IPv6 client by its /64 (client-key.ts): rotating addresses inside it escapes nothing. */
const byAddress = (request: FastifyRequest) => `address:${addressBlock(request.ip)}`;

/**
 * One limit for every proxied request, counted per user when the token is valid (many users
 * behind one address are not throttled together) and per address otherwise. Counters live in
 * Redis when there is one, so every gateway replica shares them; an unreachable Redis lets
 * requests through rather than failing them. Runs after edge authentication (preHandler).
 */
export async function rateLimits(
  app: App,
  options: { config: Config; metrics: GatewayMetrics; redis?: Redis | undefined },
) {
  const { config, metrics, redis } = options;
  // The port opens (listen awaits onReady) once the limits count.
  if (redis) app.addHook('onReady', () => firstConnection(redis, REDIS_START_WAIT_MS));
  await app.register(rateLimit, {
    global: true,
    hook: 'preHandler',
    enableDraftSpec: true,
    timeWindow: config.RATE_LIMIT_WINDOW * 1000,
    keyGenerator: (request) =>
      request.principal ? `user:${request.principal.userId}` : byAddress(request),
    max: (_request, key) =>
      key.startsWith('user:') ? config.RATE_LIMIT_PER_USER : config.RATE_LIMIT_PER_ADDRESS,
    ...(redis
      ? {
          store: observedRedisStore(redis, 'gateway:rate-limit:', app.log, () =>
            metrics.rateLimitStoreFailures.inc(),
          ),
        }
      : {}),
    skipOnError: true,
    // Counted under the limit the key belongs to: `user`, `address`, or a route's own (strictLimit).
    // Not the route's: a request it refuses for its token, or under no route, is counted against
    // the address limit, and such a 429 on PATCH /user was recorded as its `register` limit.
    onExceeded: (request, key) => {
      const limit = key.split(':', 1)[0]!;
      metrics.rateLimited.inc({ limit });
      request.log.warn({ limit }, 'rate limit exceeded');
    },
    errorResponseBuilder: (_request, context) =>
      problems.tooManyRequests(Math.max(1, Math.ceil(context.ttl / 1000))),
  });
  // A service's own stricter limit (auth's sign-in throttle) answers 429 and Retry-After while the
  // gateway's counter still has room: its `RateLimit-Remaining: 94` beside that 429 told a client
  // to go on. The headers say what the client is held to: nothing left until Retry-After.
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (reply.statusCode === 429 && reply.hasHeader('ratelimit-remaining')) {
      reply.header('ratelimit-remaining', 0);
      const wait = secondsUntil(reply.getHeader('retry-after'));
      if (wait !== undefined) reply.header('ratelimit-reset', wait);
    }
    done(null, payload);
  });
  // The limiter is added to each route; a path under no service prefix matches none, so its 404
  // (the not-found handler) was never counted nor given RateLimit-*. Callback-style: this hook
  // runs on every request, and only the unrouted ones pay for a promise.
  const limitUnrouted = app.rateLimit() as (r: FastifyRequest, s: FastifyReply) => Promise<void>;
  app.addHook('preHandler', (request, reply, done) => {
    if (!request.is404) return done();
    limitUnrouted(request, reply).then(() => done(), done);
  });
}

/**
 * The seconds a `Retry-After` asks for, in either of its forms (RFC 9110 §10.2.3): delay-seconds
 * (digits only: `1e3` and `0x10` are no delay) or an HTTP date, counted from now. Undefined for
 * anything else, and for no wait at all. Number() took `1e3` as 1000 and a date as no value,
 * so a service's 429 until a date kept the gateway's own, earlier, RateLimit-Reset.
 */
function secondsUntil(header: unknown): number | undefined {
  const text = String(header ?? '').trim();
  const seconds = /^\d+$/.test(text)
    ? Number(text)
    : Math.ceil((Date.parse(text) - Date.now()) / 1000);
  return Number.isSafeInteger(seconds) && seconds > 0 ? seconds : undefined;
}

/** The stricter per-address limits a route can ask for (EDGE_ROUTES' `limit`), and their counts. */
export const strictLimits = (config: Config): Record<string, number> => ({
  login: config.RATE_LIMIT_LOGIN,
  register: config.RATE_LIMIT_REGISTER,
  'password-reset': config.RATE_LIMIT_PASSWORD_RESET,
});

/** A route's own per-address limit, counted under `limitName` in the metrics (its keys say it). */
export const strictLimit = (config: Config, limitName: string, max: number) => ({
  config: {
    rateLimit: {
      max,
      timeWindow: config.RATE_LIMIT_WINDOW * 1000,
      keyGenerator: (request: FastifyRequest) => `${limitName}:${addressBlock(request.ip)}`,
    },
  },
});

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The service refuses this route without a valid token; the edge refuses it first. */
    requiresToken?: boolean;
  }
}
