import { ConfigError, Env, loadConfig, type Static, Type } from '@platform/config';

const count = (fallback: number, minimum = 1) =>
  Type.Integer({ minimum, default: fallback, description: 'a count' });

export const ConfigSchema = Type.Object({
  PORT: Env.port(8083),
  HOST: Env.host(),
  LOG_LEVEL: Env.logLevel(),
  DATABASE_URL: Env.postgresUrl(),
  /** Internal base URL of the auth service: keys and the revocation feed come from there. */
  AUTH_URL: Env.url('http://127.0.0.1:8081'),
  REDIS_URL: Env.redisUrl(),
  /** Where users reach the system (the gateway): analytics.js's settings name it as apiHost. */
  PUBLIC_URL: Env.url('http://127.0.0.1:8080'),
  JWT_ISSUER: Type.String({ default: 'auth', minLength: 1 }),
  JWT_AUDIENCE: Type.String({ default: 'microservice-template', minLength: 1 }),
  /** Longer-lived access tokens (exp - iat) are refused; keep auth's ACCESS_TOKEN_TTL below. */
  ACCESS_TOKEN_MAX_LIFETIME: Env.accessTokenMaxLifetime(),
  /** Proves a caller of `/internal/*` is one of our services (`x-service-token`). */
  SERVICE_TOKEN: Env.serviceToken(),
  /** Set: events and samples are stored in InfluxDB (v1 HTTP API); unset: in PostgreSQL. */
  INFLUX_URL: Type.Optional(Env.url()),
  INFLUX_DB: Type.String({ default: 'analytics', minLength: 1, description: 'a database name' }),
  INFLUX_TOKEN: Type.Optional(Type.String({ minLength: 1, description: 'a token' })),
  INFLUX_USERNAME: Type.Optional(Type.String({ minLength: 1, description: 'a user name' })),
  INFLUX_PASSWORD: Type.Optional(Type.String({ minLength: 1, description: 'a password' })),
  /** Events and samples older than this are deleted (InfluxDB: the retention policy). */
  RETENTION_DAYS: Env.days(90),
  /**
   * Message ids (a Segment `messageId`, a `/track-event` `message_id`, another service's event id)
   * are remembered this long: a copy within it is stored and counted once, a later one again.
   */
  DEDUP_DAYS: Env.days(7),
  /**
   * Message ids each replica remembers at most (16–32 bytes each); beyond it the oldest are
   * forgotten before DEDUP_DAYS (analytics_dedup_evicted_total).
   */
  DEDUP_MAX_IDS: count(5_000_000, 1000),
  /** Largest batch the background writer moves from the queue to the store at once. */
  WRITER_BATCH_SIZE: count(5000),
  /** How often the writer looks at the queue when nothing wakes it. */
  WRITER_INTERVAL_MS: Env.millis(500, 10),
  /** Backoff after a failed store write doubles from 100 ms up to this. */
  WRITER_MAX_BACKOFF_MS: Env.millis(10_000, 100),
  /** How often InfluxDB's rollups are brought up to date with the samples written. */
  ROLLUP_INTERVAL_MS: Env.millis(5000, 100),
  /**
   * Distinct event names clients may send (`/track-event`, Segment's `track`): on InfluxDB each
   * is a series. A name beyond it is a 400; names the services emit are not counted.
   */
  EVENT_NAMES_MAX: count(1000),
  /**
   * Of those, how many public senders may register (anonymous or signed-in `/track-event`,
   * browser write keys: anyone): the rest stays for trusted ones (server write keys, admins), so
   * junk from the public cannot lock the owners' own new names out. At most EVENT_NAMES_MAX; 0:
   * only trusted senders register names. Unset: half of EVENT_NAMES_MAX.
   */
  EVENT_NAMES_PUBLIC_MAX: Type.Optional(
    Type.Integer({ minimum: 0, description: 'a count, at most EVENT_NAMES_MAX' }),
  ),
  /** How often each replica re-reads the registry: names deleted elsewhere are forgotten then. */
  EVENT_NAMES_REFRESH_MS: Env.millis(10_000, 100),
  /** Longest a PostgreSQL statement (a report over a long range) may run; then 503. */
  QUERY_TIMEOUT_MS: Env.millis(60_000, 100),
  /**
   * Reports (`/performance`, `/reports`) a replica runs at once, and as many `/user-activity`
   * reads (a line of their own), so they never take the connections ingestion needs (the pool
   * holds 20); more wait their turn.
   */
  QUERY_CONCURRENCY: count(4),
  /** Longest a query waits for its turn; then 503 `service_unavailable` with Retry-After. */
  QUERY_WAIT_MS: Env.millis(10_000, 1),
  /** Webhooks that receive Segment-style `track` calls: JSON, see destinations/config.ts. */
  DESTINATIONS: Type.Optional(
    Type.String({ description: 'a JSON array of {name, url, secret, events?}' }),
  ),
  /** Tries per delivery before it becomes a dead letter. */
  DESTINATION_MAX_ATTEMPTS: count(15),
  /** Wait before the second try; it doubles for each further one, up to the maximum. */
  DESTINATION_RETRY_BASE_MS: Env.millis(1000, 1),
  DESTINATION_RETRY_MAX_MS: Env.millis(3_600_000, 1),
  DESTINATION_TIMEOUT_MS: Env.millis(10_000, 100),
  DESTINATION_INTERVAL_MS: Env.millis(1000, 10),
  DESTINATION_CONCURRENCY: count(16),
});

export type Config = Static<typeof ConfigSchema>;

export function readConfig(env: Record<string, string | undefined> = process.env): Config {
  const config = loadConfig(ConfigSchema, env);
  // Fewer would empty the writer's memory of ids at every pass (each claims up to a batch).
  if (config.DEDUP_MAX_IDS < config.WRITER_BATCH_SIZE) {
    throw new ConfigError(
      'DEDUP_MAX_IDS is invalid: expected at least WRITER_BATCH_SIZE (the ids one pass claims)',
    );
  }
  if (config.EVENT_NAMES_PUBLIC_MAX === undefined) {
    config.EVENT_NAMES_PUBLIC_MAX = Math.floor(config.EVENT_NAMES_MAX / 2);
  } else if (config.EVENT_NAMES_PUBLIC_MAX > config.EVENT_NAMES_MAX) {
    throw new ConfigError(
      'EVENT_NAMES_PUBLIC_MAX is invalid: expected at most EVENT_NAMES_MAX (the public share of the names)',
    );
  }
  return config;
}
