import rateLimit from '@fastify/rate-limit';
import { type App, problems } from '@platform/http';
import type { FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import type { Config } from '../config.ts';
import type { GatewayMetrics } from '../observe/metrics.ts';
import type { ExactRoute } from '../proxy/routes.ts';

const byAddress = (request: FastifyRequest) => `address:${request.ip}`;

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
  const { config, metrics } = options;
  await app.register(rateLimit, {
    global: true,
    hook: 'preHandler',
    enableDraftSpec: true,
    timeWindow: config.RATE_LIMIT_WINDOW * 1000,
    keyGenerator: (request) =>
      request.principal ? `user:${request.principal.userId}` : byAddress(request),
    max: (_request, key) =>
      key.startsWith('user:') ? config.RATE_LIMIT_PER_USER : config.RATE_LIMIT_PER_ADDRESS,
    ...(options.redis ? { redis: options.redis, nameSpace: 'gateway:rate-limit:' } : {}),
    skipOnError: true,
    onExceeded: (request, key) => {
      const limit = request.routeOptions.config.limitName ?? key.split(':', 1)[0]!;
      metrics.rateLimited.inc({ limit });
      request.log.warn({ limit }, 'rate limit exceeded');
    },
    errorResponseBuilder: (_request, context) =>
      problems.tooManyRequests(Math.max(1, Math.ceil(context.ttl / 1000))),
  });
}

/** The routes that guess or spend credentials get their own, much smaller, per-address limits. */
export function strictRoutes(config: Config): ExactRoute[] {
  const strict = (limitName: string, max: number) => ({
    config: {
      limitName,
      rateLimit: { max, timeWindow: config.RATE_LIMIT_WINDOW * 1000, keyGenerator: byAddress },
    },
  });
  return [
    {
      method: 'POST',
      url: '/accounts/v1/login',
      options: strict('login', config.RATE_LIMIT_LOGIN),
    },
    {
      method: 'POST',
      url: '/accounts/v1/register',
      options: strict('register', config.RATE_LIMIT_REGISTER),
    },
    {
      method: 'POST',
      url: '/accounts/v1/reset-password',
      options: strict('password-reset', config.RATE_LIMIT_PASSWORD_RESET),
    },
    {
      method: 'POST',
      url: '/accounts/v1/reset-password/confirm',
      options: strict('password-reset-confirm', config.RATE_LIMIT_PASSWORD_RESET),
    },
    {
      method: 'PUT',
      url: '/accounts/v1/user/avatar',
      // auth wants a token here: without one the upload is refused before its body is read.
      options: { bodyLimit: config.AVATAR_BODY_LIMIT, config: { requiresToken: true } },
    },
  ];
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The limit a 429 on this route is counted under in `gateway_rate_limited_total`. */
    limitName?: string;
    /** The service refuses this route without a valid token; the edge refuses it first. */
    requiresToken?: boolean;
  }
}
