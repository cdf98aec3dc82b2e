import { createRedis, REVOCATION_STREAM } from '@platform/auth';
import type { FastifyBaseLogger } from 'fastify';
import type { RevocationPublisher } from './revocations.ts';

/**
 * Pushes revoked session ids onto a Redis stream so verifiers hear of them within milliseconds.
 * Redis is only the fast path: when it is down a push fails quickly (no offline queue, short
 * timeout) and verifiers still read the entry from the database feed.
 */
export function createRedisPublisher(
  redisUrl: string,
  log: FastifyBaseLogger,
): RevocationPublisher {
  const redis = createRedis(redisUrl, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: 1000,
  });
  let lastError = '';
  redis.on('error', (err: Error) => {
    // ioredis repeats the same error at every reconnect attempt; one line per change is enough.
    if (err.message !== lastError) log.warn({ err }, 'redis connection error');
    lastError = err.message;
  });
  redis.on('ready', () => {
    lastError = '';
  });

  return {
    async publish(entries) {
      try {
        const pipeline = redis.pipeline();
        for (const entry of entries) {
          // Approximate trimming (~) lets Redis drop whole nodes; far above any real backlog.
          pipeline.xadd(
            REVOCATION_STREAM,
            'MAXLEN',
            '~',
            100_000,
            '*',
            'session_id',
            entry.sessionId,
            'expires_at',
            String(entry.expiresAt.getTime()),
            'feed_id',
            String(entry.id),
          );
        }
        const results = (await pipeline.exec()) ?? [];
        const failed = results.find(([error]) => error);
        if (failed) throw failed[0];
      } catch (err) {
        log.warn({ err }, 'could not push revocations to redis; the feed still carries them');
      }
    },
    async close() {
      redis.disconnect();
    },
  };
}
