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
 * behind one address are not throttled together, up to signedInCeiling's) and per address
 * otherwise. Counters live in Redis when there is one, so every gateway replica shares them; an
 * unreachable Redis lets requests through rather than failing them. Runs after edge
 * authentication (preHandler).
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
  const signedIn = signedInCeiling(app, config, metrics);
  // A service's own stricter limit (auth's sign-in throttle) answers 429 and Retry-After while the
  // gateway's counter still has room: its `RateLimit-Remaining: 94` beside that 429 told a client
  // to go on. The headers say what the client is held to: nothing left until Retry-After.
  app.addHook('onSend', (request, reply, payload, done) => {
    signedIn.describe(request, reply);
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
    limitUnrouted(request, reply).then(() => signedIn.count(request, reply, done), done);
  });
  // After each route's own limit (onRoute hooks run in order, the plugin's first): a request its
  // user's limit refuses spends none of the address's, so one user past its own leaves the rest
  // of an office what is theirs.
  app.addHook('onRoute', (route) => {
    if (route.config?.rateLimit === false) return;
    route.preHandler = [...[route.preHandler ?? []].flat(), signedIn.count];
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

/** What a counted request's RateLimit-* say: its limit, what is left of it, seconds to its reset. */
interface Count {
  max: number;
  remaining: number;
  ttlInSeconds: number;
}

/**
 * Each signed-in user has a limit of its own, and one address may sign up 120 accounts a window:
 * one address rotating N tokens had N per-user limits. Its signed-in requests also share one
 * count, apart from its anonymous one (an office behind one NAT is many users, so it is several
 * users' worth), in the same store. `count` runs once the user's limit let the request through;
 * the answer's RateLimit-* describe whichever of the two has less left (`describe`).
 */
function signedInCeiling(app: App, config: Config, metrics: GatewayMetrics) {
  const count = app.createRateLimit({
    max: config.RATE_LIMIT_PER_ADDRESS_SIGNED_IN,
    timeWindow: config.RATE_LIMIT_WINDOW * 1000,
    keyGenerator: (request) => `signed-in:${addressBlock(request.ip)}`,
  });
  const counted = new WeakMap<FastifyRequest, Count>();
  // Callback-style, as above: anonymous requests pay for no promise.
  const countSignedIn = (
    request: FastifyRequest,
    reply: FastifyReply,
    done: (error?: Error) => void,
  ) => {
    if (!request.principal) return done();
    count(request).then((result) => {
      if (result.isAllowed) return done();
      if (!result.isExceeded) {
        counted.set(request, result);
        return done();
      }
      metrics.rateLimited.inc({ limit: 'signed-in' });
      request.log.warn({ limit: 'signed-in' }, 'rate limit exceeded');
      const seconds = Math.max(1, result.ttlInSeconds);
      setHeaders(reply, { max: result.max, remaining: 0, ttlInSeconds: seconds });
      done(problems.tooManyRequests(seconds));
    }, done);
  };
  return {
    count: countSignedIn,
    describe(request: FastifyRequest, reply: FastifyReply) {
      const ceiling = counted.get(request);
      // NaN (no header: the user's count was skipped) is not below it either.
      if (ceiling && !(Number(reply.getHeader('ratelimit-remaining')) <= ceiling.remaining)) {
        setHeaders(reply, ceiling);
      }
    },
  };
}

function setHeaders(reply: FastifyReply, { max, remaining, ttlInSeconds }: Count) {
  reply.header('ratelimit-limit', max);
  reply.header('ratelimit-remaining', remaining);
  reply.header('ratelimit-reset', ttlInSeconds);
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
