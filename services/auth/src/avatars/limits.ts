import type { RateLimitPluginOptions } from '@fastify/rate-limit';
import { createRedis } from '@platform/auth';
import { problems } from '@platform/http';
import type { FastifyBaseLogger, FastifyRequest } from 'fastify';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Config } from '../config.ts';
import type { DecodeQueue } from './decoding.ts';

export type RefusalReason = 'pixels' | 'busy' | 'rate';

/** What an operator watches: decodes done, uploads turned away and why, the queue right now. */
export function avatarMetrics(registry: Registry, queue: DecodeQueue) {
  new Gauge({
    name: 'auth_avatar_decode_slots',
    help: 'Avatar images being decoded (active) or waiting for a slot (queued)',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      this.set({ state: 'active' }, queue.active);
      this.set({ state: 'queued' }, queue.queued);
    },
  });
  return {
    decoded: new Counter({
      name: 'auth_avatar_decodes_total',
      help: 'Avatar uploads whose pixels were decoded',
      registers: [registry],
    }),
    refused: new Counter({
      name: 'auth_avatar_uploads_refused_total',
      help: 'Avatar uploads refused before decoding: too many pixels, decoder busy, user over rate',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
  };
}

/**
 * @fastify/rate-limit for the upload route only, counted per signed-in user (the route needs a
 * token), in Redis when there is one so every replica shares the count. An unreachable Redis lets
 * uploads through: the decode queue still bounds the work.
 */
export function uploadRateLimit(
  config: Config,
  log: FastifyBaseLogger,
  onExceeded: () => void,
): { options: RateLimitPluginOptions; close(): void } {
  const redis = config.REDIS_URL
    ? createRedis(config.REDIS_URL, {
        maxRetriesPerRequest: 1,
        commandTimeout: 1000,
        connectionName: 'auth-upload-limits',
      })
    : undefined;
  let lastError = '';
  redis?.on('error', (err: Error) => {
    if (err.message !== lastError) log.warn({ err }, 'upload rate-limit store unreachable');
    lastError = err.message;
  });
  const options: RateLimitPluginOptions = {
    global: false,
    // After authentication (onRequest), before the body is read.
    hook: 'preHandler',
    enableDraftSpec: true,
    max: config.AVATAR_UPLOADS_PER_WINDOW,
    timeWindow: config.AVATAR_UPLOAD_WINDOW * 1000,
    keyGenerator: (request: FastifyRequest) => `avatar:${request.principal?.userId ?? request.ip}`,
    ...(redis ? { redis, nameSpace: 'auth:rate-limit:' } : {}),
    skipOnError: true,
    onExceeded,
    errorResponseBuilder: (_request, context) =>
      problems.tooManyRequests(
        Math.max(1, Math.ceil(context.ttl / 1000)),
        `At most ${context.max} avatar uploads per ${config.AVATAR_UPLOAD_WINDOW} s; try again later.`,
      ),
  };
  return { options, close: () => redis?.disconnect() };
}
