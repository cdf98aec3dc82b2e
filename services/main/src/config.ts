import { Env, loadConfig, type Static, Type } from '@platform/config';

export const ConfigSchema = Type.Object({
  PORT: Env.port(8082),
  HOST: Env.host(),
  LOG_LEVEL: Env.logLevel(),
  DATABASE_URL: Env.postgresUrl(),
  /** The auth service itself (never the gateway): signing keys and the revocation feed. */
  AUTH_URL: Env.url(),
  REDIS_URL: Env.redisUrl(),
  /** Must match the auth service's JWT_ISSUER and JWT_AUDIENCE. */
  JWT_ISSUER: Type.String({ default: 'auth', minLength: 1 }),
  JWT_AUDIENCE: Type.String({ default: 'microservice-template', minLength: 1 }),
  /** Longer-lived access tokens (exp - iat) are refused; keep auth's ACCESS_TOKEN_TTL below. */
  ACCESS_TOKEN_MAX_LIFETIME: Env.accessTokenMaxLifetime(),
  /** Proxies whose X-Forwarded-For is believed (the gateway); see Fastify's trustProxy. */
  TRUST_PROXY: Env.trustProxy('loopback'),
  DATABASE_POOL_SIZE: Type.Integer({ minimum: 1, default: 10, description: 'a count' }),
  /** A statement running longer is cancelled; a list cut short this way answers 503. */
  DATABASE_STATEMENT_TIMEOUT: Env.millis(15_000),
  /** A search without sort ranks this many newest matches, then lists older ones by date. */
  SEARCH_RANK_WINDOW: Type.Integer({
    minimum: 1,
    maximum: 10_000,
    default: 500,
    description: 'a count of posts',
  }),
  /** Searches (q; a filter with sort=title or -created_at) one replica runs at once; more wait. */
  SEARCH_CONCURRENCY: Type.Integer({ minimum: 1, default: 4, description: 'a count' }),
  /** Longest a search waits for its turn; then 503 `service_unavailable` with Retry-After. */
  SEARCH_WAIT_MS: Env.millis(2000),
  /** Where the outbox goes: every subscriber's types and URL, from the manifests (EVENT_SUBSCRIBERS). */
  EVENT_SUBSCRIBERS: Env.eventSubscribers(),
  /** Published outbox events older than this many days are deleted by the relay; 0: never. */
  OUTBOX_RETENTION_DAYS: Env.outboxRetentionDays(),
  /** Deprecated shorthand for EVENT_SUBSCRIBERS=analytics:*=<url>, used when that is unset. */
  ANALYTICS_URL: Type.Optional(Env.url()),
  /** Sent as `x-service-token` to the revocation feed and to analytics. */
  SERVICE_TOKEN: Env.serviceToken(),
});

export type Config = Static<typeof ConfigSchema>;

export const readConfig = (env: Record<string, string | undefined> = process.env): Config =>
  loadConfig(ConfigSchema, env);
