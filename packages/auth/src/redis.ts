import { createRequire } from 'node:module';
import type { Redis, RedisOptions } from 'ioredis';
import {
  type FollowOptions,
  followLoop,
  type RevocationList,
  RevocationStore,
} from './revocations.ts';

/** Written by the auth service's publisher, read here. */
export const REVOCATION_STREAM = 'auth:revocations';

export interface RedisRevocationOptions extends FollowOptions {
  redisUrl: string;
}

/**
 * A Redis client, with ioredis loaded on first use: a service without REDIS_URL never loads it
 * (about 7 MB resident). ioredis is CommonJS, so it loads synchronously here.
 */
export function createRedis(url: string, options: RedisOptions): Redis {
  const ioredis = createRequire(import.meta.url)('ioredis') as typeof import('ioredis');
  return new ioredis.Redis(url, options);
}

const BATCH = 1000;
const BLOCK_MS = 5000;

/**
 * Reads the `auth:revocations` stream: the whole of it once (XRANGE), then blocks on new
 * entries (XREAD BLOCK), so a revocation arrives within milliseconds of the logout.
 */
export function redisRevocations(options: RedisRevocationOptions): RevocationList {
  // A blocked XREAD holds its connection, so this client shares it with nobody. It answers
  // within BLOCK_MS even when nothing happened; a connection silent for longer is dead (a
  // partition, a firewall that dropped it) and is made again. Without that, the XREAD waited on
  // it for good and this replica stopped hearing of revocations.
  const redis = createRedis(options.redisUrl, {
    maxRetriesPerRequest: 1,
    socketTimeout: BLOCK_MS + 5000,
    connectionName: 'revocation-follower',
  });
  redis.on('error', () => {
    // Reconnection is automatic and every failed read reaches onError; nothing to add here.
  });
  const store = new RevocationStore();
  let lastId = '0-0';
  let caughtUp = false;

  const take = (entries: [id: string, fields: string[]][]) => {
    for (const [id, fields] of entries) {
      const entry: Record<string, string> = {};
      for (let i = 0; i + 1 < fields.length; i += 2) entry[fields[i]!] = fields[i + 1]!;
      if (entry.session_id) store.add(entry.session_id, Number(entry.expires_at));
      lastId = id;
    }
  };

  async function sync() {
    if (!caughtUp) {
      for (;;) {
        const start = lastId === '0-0' ? '-' : `(${lastId}`;
        const entries = await redis.xrange(REVOCATION_STREAM, start, '+', 'COUNT', BATCH);
        take(entries);
        if (entries.length < BATCH) break;
      }
      caughtUp = true;
      return;
    }
    const streams = await redis.xread(
      'COUNT',
      BATCH,
      'BLOCK',
      BLOCK_MS,
      'STREAMS',
      REVOCATION_STREAM,
      lastId,
    );
    for (const [, entries] of streams ?? []) take(entries);
  }

  return followLoop({
    sync,
    store,
    delayMs: 0,
    retryMs: 1000,
    onError: options.onError,
    onSuccess: options.onSuccess,
    onClose: () => redis.disconnect(),
  });
}
