import { createRequire } from 'node:module';
import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import type { FastifyBaseLogger } from 'fastify';
import type { Redis } from 'ioredis';

type Callback = (error: Error | null, result?: { current: number; ttl: number }) => void;
interface Store {
  incr(key: string, callback: Callback, timeWindow: number, max: number): void;
  child(routeOptions: unknown): Store;
}

/** What the plugin gives a store's child: a route's merged limit options. */
interface RouteLimit {
  routeInfo?: { url?: string };
}

// The plugin's own Redis store (its Lua script), which it does not export by name.
const RedisStore = createRequire(import.meta.url)('@fastify/rate-limit/store/RedisStore.js') as {
  new (continueExceeding: boolean, exponentialBackoff: boolean, redis: Redis, key: string): Store;
};

/**
 * The plugin's Redis store, told when Redis fails. With `skipOnError` the plugin lets the request
 * through and says nothing; a Redis slow past the command timeout keeps its connection and emits
 * no error either, so every limit (sign-in, reset) was off with no sign. Each failure is counted;
 * the log says when the store starts failing and when it answers again, not once a request.
 */
export function observedRedisStore(
  redis: Redis,
  nameSpace: string,
  log: FastifyBaseLogger,
  onFailure: () => void,
): FastifyRateLimitStoreCtor {
  let failing = false;
  const observe = (inner: Store): Store => ({
    incr(key, callback, timeWindow, max) {
      inner.incr(
        key,
        (error, result) => {
          if (error) {
            onFailure();
            if (!failing) log.warn({ err: error }, 'rate-limit store failing: limits skipped');
            failing = true;
          } else if (failing) {
            failing = false;
            log.info('rate-limit store answering again');
          }
          callback(error, result);
        },
        timeWindow,
        max,
      );
    },
    // A route's limit counts under its method and path; one under no route (app.createRateLimit,
    // the signed-in ceiling) would be under `undefinedundefined-`: its keys name it already.
    child: (routeOptions) =>
      observe((routeOptions as RouteLimit).routeInfo?.url ? inner.child(routeOptions) : inner),
  });
  return class {
    constructor(options: { continueExceeding?: boolean; exponentialBackoff?: boolean }) {
      const inner = new RedisStore(
        options.continueExceeding ?? false,
        options.exponentialBackoff ?? false,
        redis,
        nameSpace,
      );
      // biome-ignore lint/correctness/noConstructorReturn: the plugin news the store class.
      return observe(inner) as unknown as FastifyRateLimitStore;
    }
  } as unknown as FastifyRateLimitStoreCtor;
}

/**
 * Until Redis first answers, or its first connection attempt fails, or `ms` pass. A replica made its
 * connection as it started and, with no offline queue, every command before it was up failed at
 * once: the first requests a new replica took were let through uncounted. A Redis that refuses is
 * not waited for (the limit is skipped, as whenever Redis is down, and the error is logged); one
 * that is only slow is: its ready check (INFO) timing out is an 'error' too, and the reconnect
 * that follows may answer.
 */
export function firstConnection(redis: Redis, ms: number): Promise<void> {
  if (redis.status === 'ready' || redis.status === 'end') return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      redis.off('ready', done);
      redis.off('error', failed);
      redis.off('end', done);
      resolve();
    };
    const failed = (err: unknown) => {
      if (!isTimeout(err)) done();
    };
    const timer = setTimeout(done, ms);
    redis.once('ready', done);
    redis.on('error', failed);
    redis.once('end', done);
  });
}

/** ioredis's command timeout (its message is all it has) or a socket's connect timeout. */
function isTimeout(err: unknown): boolean {
  return (
    err instanceof Error &&
    (err.message === 'Command timed out' || (err as NodeJS.ErrnoException).code === 'ETIMEDOUT')
  );
}
