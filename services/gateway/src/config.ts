import { ConfigError, Env, loadConfig, type Static, Type } from '@platform/config';
import { samplerProblem } from '@platform/telemetry';

/** An instance's origin: scheme, host and port, no path (a trailing slash is allowed). */
const ORIGIN = 'https?://[^/,;=\\s]+/?';
const URLS = `${ORIGIN}(\\s*,\\s*${ORIGIN})*`;
const urlList = () =>
  Type.String({
    pattern: `^${URLS}$`,
    description: 'a comma-separated list of http(s)://host:port URLs',
  });
/** `[name:]/prefix=url,url`, entries separated by `;`. */
const ROUTE = `\\s*([a-z][a-z0-9-]*:)?(/[A-Za-z0-9_~-][A-Za-z0-9._~-]*)+\\s*=\\s*${URLS}\\s*`;
const count = (fallback: number) =>
  Type.Integer({ minimum: 1, default: fallback, description: 'a positive whole number' });
const bytes = (fallback: number) =>
  Type.Integer({ minimum: 1, default: fallback, description: 'a number of bytes' });
const millis = (fallback: number) => Env.millis(fallback);

export const ConfigSchema = Type.Object({
  PORT: Env.port(8080),
  HOST: Env.host(),
  LOG_LEVEL: Env.logLevel(),

  // Routing: a path prefix per service and its instances (see proxy/table.ts). ROUTES is the
  // table; npm start, Compose and Kubernetes derive it from services/*/service.json. The three
  // below are deprecated shorthands for `/accounts`, `/main` and `/analytics`, kept for callers
  // (and tests) that still set them.
  AUTH_URLS: Type.Optional(urlList()),
  MAIN_URLS: Type.Optional(urlList()),
  ANALYTICS_URLS: Type.Optional(urlList()),
  ROUTES: Type.Optional(
    Type.String({
      pattern: `^${ROUTE}(;${ROUTE})*;?\\s*$`,
      description: '[name:]/prefix=http://host:port[,http://host:port…] entries separated by ";"',
    }),
  ),
  /** How often host names in the URLs are resolved again (every address is an instance). */
  DNS_REFRESH_MS: millis(5000),
  /** Time to the upstream's response headers, and the longest silence inside a body. */
  UPSTREAM_TIMEOUT: Env.timerSeconds(30),
  /** The whole exchange with an upstream, bodies included: a body that trickles ends here. */
  UPSTREAM_TOTAL_TIMEOUT: Env.timerSeconds(60),
  UPSTREAM_CONNECT_TIMEOUT_MS: millis(2000),
  /** How long an instance that refused a connection or timed out gets no traffic. */
  UPSTREAM_EJECT_MS: millis(10_000),
  /** How often every instance's `/health/ready` is polled. */
  HEALTH_INTERVAL_MS: millis(2000),

  // Edge authentication: the same verifier the services use.
  AUTH_URL: Type.Optional(Env.url()),
  REDIS_URL: Env.redisUrl(),
  JWT_ISSUER: Type.String({ default: 'auth', minLength: 1 }),
  JWT_AUDIENCE: Type.String({ default: 'microservice-template', minLength: 1 }),
  /** Longer-lived access tokens (exp - iat) are refused; keep auth's ACCESS_TOKEN_TTL below. */
  ACCESS_TOKEN_MAX_LIFETIME: Env.accessTokenMaxLifetime(),
  /**
   * Proxies whose X-Forwarded-For is believed (NGINX, the ingress); see Fastify's trustProxy.
   * None by default: `npm start` has nothing in front, and every client there is on loopback.
   */
  TRUST_PROXY: Env.trustProxy('', 'addresses or CIDRs, comma-separated (empty: none)'),

  // Rate limits, per window; signed-in clients are counted per user, others per address.
  RATE_LIMIT_WINDOW: Env.timerSeconds(60),
  RATE_LIMIT_PER_ADDRESS: count(6000),
  RATE_LIMIT_PER_USER: count(6000),
  /**
   * Signed-in requests from one address, whatever their users: one address signing up account
   * after account had each one's whole per-user limit. Five users' worth (an office behind NAT).
   */
  RATE_LIMIT_PER_ADDRESS_SIGNED_IN: count(30_000),
  RATE_LIMIT_LOGIN: count(120),
  RATE_LIMIT_REGISTER: count(120),
  RATE_LIMIT_PASSWORD_RESET: count(10),

  /** Origins allowed to call the API from a browser: `*`, or a comma-separated list. */
  CORS_ORIGINS: Env.origins(),
  /** Every route but EDGE_ROUTES' own; services hold JSON to smaller limits (256 KB by default). */
  BODY_LIMIT: bytes(1024 * 1024),
  /** Routes limited apart (their own rate limit or body limit), from the services' manifests. */
  EDGE_ROUTES: Type.Optional(
    Type.String({
      description:
        'a JSON array of {method, url, limit?, body_limit?, requires_token?, basic_auth?, any_origin?, ignores_token?, cache?}',
    }),
  ),
  /** Bodies are read whole before they go on; this much of them in memory at once, then 503s. */
  BODY_BUFFER_TOTAL: bytes(64 * 1024 * 1024),
  /** Of that, what one client address may hold at once (then 429s for it alone): an eighth. */
  BODY_BUFFER_PER_ADDRESS: bytes(8 * 1024 * 1024),
  /** Of an address's share, what its requests without a valid token may hold: two full bodies. */
  BODY_BUFFER_ANONYMOUS_PER_ADDRESS: bytes(2 * 1024 * 1024),

  // Slow clients: each is given this long, and one address only so many connections.
  /** The request headers must be in within this (else 408 and the connection closes). */
  CLIENT_HEADERS_TIMEOUT_MS: millis(10_000),
  /** The longest silence inside a request body (else 408). */
  CLIENT_BODY_TIMEOUT_MS: millis(10_000),
  /** The whole request, headers and body, must be in within this: a trickled body ends here. */
  CLIENT_REQUEST_TIMEOUT: Env.timerSeconds(60),
  /** Open connections per client address; those from TRUST_PROXY (NGINX) are not counted. */
  MAX_CONNECTIONS_PER_ADDRESS: count(64),

  // The shared cache of anonymous public answers (proxy/revalidation.ts, proxy/freshness.ts).
  /** `off`: routes the services declare cacheable are revalidated with them on every request. */
  RESPONSE_CACHE: Type.Union([Type.Literal('on'), Type.Literal('off')], {
    default: 'on',
    description: 'on or off',
  }),
  /** Memory the kept answers may take, bodies and keys. */
  RESPONSE_CACHE_BYTES: bytes(16 * 1024 * 1024),
  RESPONSE_CACHE_ENTRIES: count(10_000),
  /** A larger answer is never kept. */
  RESPONSE_CACHE_ANSWER_BYTES: bytes(1024 * 1024),
  /** How often each such service is asked for its cache version (its change feed). */
  RESPONSE_CACHE_FEED_MS: millis(250),
  /**
   * Seconds a service may hold a cache-version request while its version stays the one the
   * gateway knows (a long poll); 0 asks plainly every RESPONSE_CACHE_FEED_MS.
   */
  RESPONSE_CACHE_FEED_WAIT: Type.Integer({
    minimum: 0,
    maximum: 30,
    default: 25,
    description: 'a number of seconds, 0 to 30',
  }),
  /**
   * A kept answer is served without asking the service only while the feed confirmed the
   * version this recently: the longest a write not made through this gateway goes unseen.
   */
  RESPONSE_CACHE_MAX_STALENESS_MS: millis(1000),

  /** The port of the gateway's own `/metrics` (for Prometheus, never published); unset: none. */
  METRICS_PORT: Type.Optional(
    Type.Integer({ minimum: 0, maximum: 65535, description: 'a TCP port number' }),
  ),

  /** Sent as `x-service-token` to the revocation feed and analytics; needed with AUTH_URL(S). */
  SERVICE_TOKEN: Type.Optional(Env.serviceToken()),

  // Trace sampling, read as OpenTelemetry reads them (docs/observability.md). Also with tracing
  // off here: the sampled flag the services follow is then still the gateway's, at this ratio.
  OTEL_TRACES_SAMPLER: Type.Optional(Type.String()),
  OTEL_TRACES_SAMPLER_ARG: Type.Optional(Type.String()),

  // Performance samples to analytics.
  ANALYTICS_URL: Type.Optional(Env.url()),
  SAMPLE_BUFFER: count(10_000),
  SAMPLE_BATCH: Type.Integer({ minimum: 1, maximum: 1000, default: 500, description: '1 to 1000' }),
  SAMPLE_FLUSH_MS: millis(1000),
});

export type Config = Static<typeof ConfigSchema>;

export function readConfig(env: Record<string, string | undefined> = process.env): Config {
  const config = loadConfig(ConfigSchema, env);
  // Read here also with tracing off: the gateway decides every trace's sampling (app.ts).
  const sampling = samplerProblem(config);
  if (sampling) throw new ConfigError(sampling);
  return config;
}

export function splitList(list: string | undefined): string[] {
  if (!list) return [];
  return list
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}
