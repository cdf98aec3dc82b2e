import { Type } from 'typebox';
import { BASE_URL, ORIGIN_LIST, PROXY_LIST, SERVER_URL, SUBSCRIBER_LIST } from './formats.ts';

/**
 * The longest delay a Node timer holds (2^31 − 1 ms, 24.8 days). A longer one is not an error
 * there: it fires after 1 ms, so UPSTREAM_TOTAL_TIMEOUT=2147484 answered every proxied request
 * with a 504 at once and HEALTH_INTERVAL_MS=2147483648 polled every instance every millisecond.
 */
export const TIMER_MAX_MS = 2 ** 31 - 1;

/**
 * The longest span of seconds a setting counts from now (a session's life, a window): 100 years.
 * Further, now plus it passes the last date a JavaScript Date holds (and PostgreSQL's timestamps).
 */
const SECONDS_MAX = 100 * 365.25 * 24 * 3600;

/** The most days a setting keeps something for: 100 years, as SECONDS_MAX. */
const DAYS_MAX = 36_500;

/** Building blocks shared by every service's configuration schema. */
export const Env = {
  port: (fallback: number) =>
    Type.Integer({
      minimum: 0,
      maximum: 65535,
      default: fallback,
      description: 'a TCP port number',
    }),
  host: () =>
    Type.String({ default: '127.0.0.1', minLength: 1, description: 'an address to listen on' }),
  postgresUrl: () =>
    Type.String({
      pattern: '^postgres(ql)?://',
      format: SERVER_URL,
      description: 'a postgres:// connection URL',
    }),
  redisUrl: () =>
    Type.Optional(
      Type.String({ pattern: '^rediss?://', format: SERVER_URL, description: 'a redis:// URL' }),
    ),
  smtpUrl: () =>
    Type.Optional(
      Type.String({
        pattern: '^smtps?://',
        format: SERVER_URL,
        description: 'an smtp:// or smtps:// URL',
      }),
    ),
  /** A base URL (a service's, the public one): paths are appended to it, so no query or fragment. */
  url: (fallback?: string) =>
    Type.String({
      pattern: '^https?://',
      format: BASE_URL,
      description: 'an http(s):// URL',
      ...(fallback ? { default: fallback } : {}),
    }),
  /**
   * Where a service's outbox goes (EVENT_SUBSCRIBERS, written from the manifests): `name:type,type=url`
   * entries separated by `;`, as @platform/outbox's parseSubscribers reads them.
   */
  eventSubscribers: () =>
    Type.Optional(
      Type.String({
        pattern:
          '^([a-z][a-z0-9-]*:[^=;\\s]+=https?://[^;\\s]+)(;([a-z][a-z0-9-]*:[^=;\\s]+=https?://[^;\\s]+))*$',
        format: SUBSCRIBER_LIST,
        description: 'name:type,type=url entries separated by ;',
      }),
    ),
  /**
   * Days something is kept (a retention), so at most DAYS_MAX: AUDIT_RETENTION_DAYS=10000000000
   * was taken, and every prune failed (PostgreSQL's interval days are 32-bit; now less that many
   * days is no Date).
   */
  days: (fallback: number, minimum = 1, meaning = '') =>
    Type.Integer({
      minimum,
      maximum: DAYS_MAX,
      default: fallback,
      description: `a number of days, ${minimum} to ${DAYS_MAX} (100 years${meaning ? `; ${meaning}` : ''})`,
    }),
  /**
   * Days a producing service keeps its published outbox events (OUTBOX_RETENTION_DAYS) before the
   * relay deletes them; 0 keeps them for good.
   */
  outboxRetentionDays: () => Env.days(7, 0, '0: never delete published outbox events'),
  /** The shared secret of service-to-service calls (`x-service-token`), too long to guess. */
  serviceToken: () => Type.String({ minLength: 32, description: 'at least 32 characters' }),
  /** 32 random bytes for AES-256, e.g. `openssl rand -base64 32` or Node's base64url. */
  keyEncryptionKey: () =>
    Type.String({
      pattern: '^[A-Za-z0-9+/_-]{43}=?$',
      description: '32 random bytes in base64url or base64 (43 or 44 characters)',
    }),
  /** The longest access token (exp - iat) a verifier accepts; auth's ACCESS_TOKEN_TTL fits in. */
  accessTokenMaxLifetime: () =>
    Type.Integer({
      minimum: 1,
      maximum: SECONDS_MAX,
      default: 3600,
      description: 'a number of seconds, at most 3155760000 (100 years)',
    }),
  /**
   * Seconds added to now (a lifetime, a window), so at most SECONDS_MAX: SESSION_TTL=10000000000000
   * was taken, and every sign-in was a 500 (a session expiring past the last date a Date holds).
   */
  seconds: (fallback: number) =>
    Type.Integer({
      minimum: 1,
      maximum: SECONDS_MAX,
      default: fallback,
      description: 'a number of seconds, at most 3155760000 (100 years)',
    }),
  /** Seconds a timer waits (a timeout, a window), so at most TIMER_MAX_MS. */
  timerSeconds: (fallback: number) =>
    Type.Integer({
      minimum: 1,
      maximum: Math.floor(TIMER_MAX_MS / 1000),
      default: fallback,
      description: 'a number of seconds, at most 2147483 (24.8 days)',
    }),
  /** Milliseconds a timer waits (a timeout, an interval), so at most TIMER_MAX_MS. */
  millis: (fallback: number, minimum = 1) =>
    Type.Integer({
      minimum,
      maximum: TIMER_MAX_MS,
      default: fallback,
      description: `a number of milliseconds, ${minimum} to ${TIMER_MAX_MS} (24.8 days)`,
    }),
  /**
   * Proxies whose X-Forwarded-For is believed (Fastify's trustProxy): addresses, CIDRs or
   * loopback, linklocal, uniquelocal, comma-separated.
   */
  trustProxy: (fallback: string, description = 'addresses or CIDRs, comma-separated') =>
    Type.String({ default: fallback, format: PROXY_LIST, description }),
  /**
   * Origins browsers may call from (CORS): `*` for any, or comma-separated `scheme://host[:port]`
   * exactly as a browser sends its Origin header (no trailing slash, no default port); empty: none.
   */
  origins: () =>
    Type.String({
      default: '',
      format: ORIGIN_LIST,
      description: '*, or comma-separated origins (scheme://host[:port])',
    }),
  logLevel: () =>
    Type.Union(
      [
        Type.Literal('fatal'),
        Type.Literal('error'),
        Type.Literal('warn'),
        Type.Literal('info'),
        Type.Literal('debug'),
        Type.Literal('trace'),
        Type.Literal('silent'),
      ],
      { default: 'info', description: 'one of fatal, error, warn, info, debug, trace, silent' },
    ),
};
