import type { Redis } from 'ioredis';
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

const BATCH = 1000;
const BLOCK_MS = 5000;

/**
 * Reads the `auth:revocations` stream: the whole of it once (XRANGE), then blocks on new
 * entries (XREAD BLOCK), so a revocation arrives within milliseconds of the logout.
 */
export function redisRevocations(options: RedisRevocationOptions): RevocationList {
  // Loaded on first use: most deployments (and every test without Redis) never need the client.
  let client: Promise<Redis> | undefined;
  let closed = false;
  const connect = async () => {
    const { Redis } = await import('ioredis');
    // A blocked XREAD holds its connection, so this client shares it with nobody.
    const redis = new Redis(options.redisUrl, {
      maxRetriesPerRequest: 1,
      connectionName: 'revocation-follower',
    });
    redis.on('error', () => {
      // Reconnection is automatic and every failed read reaches onError; nothing to add here.
    });
    if (closed) redis.disconnect();
    return redis;
  };
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
    client ??= connect();
    const redis = await client;
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
    onClose: async () => {
      closed = true;
      const redis = await client?.catch(() => undefined);
      redis?.disconnect();
    },
  });
}
