import { ConfigError, Env, loadConfig, type Static, Type } from '@platform/config';
import { parseProviders, parseRedirectUris } from './oidc/settings.ts';
import { relyingParty } from './passkeys/settings.ts';

const count = (fallback: number) =>
  Type.Integer({ minimum: 1, default: fallback, description: 'a count' });

export const ConfigSchema = Type.Object({
  PORT: Env.port(8081),
  HOST: Env.host(),
  LOG_LEVEL: Env.logLevel(),
  DATABASE_URL: Env.postgresUrl(),
  /** Where users reach the system (the gateway); used in mailed links and avatar URLs. */
  PUBLIC_URL: Env.url('http://127.0.0.1:8080'),
  REDIS_URL: Env.redisUrl(),
  SMTP_URL: Env.smtpUrl(),
  /** The sender of every mail: an address, or a name and an address in <>. */
  MAIL_FROM: Type.String({
    default: 'Microservice Template <no-reply@localhost>',
    // Taken before as any 3 characters: `MAIL_FROM=Support` started, and every mail went out
    // with no sender address (an SMTP server's MAIL FROM:<>, or a refusal, at each sign-up).
    pattern: '^\\s*([^<>]*<[^\\s<>@]+@[^\\s<>@]+>|[^\\s<>@]+@[^\\s<>@]+)\\s*$',
    description: 'an email address, or a name and one in <> (Support <no-reply@example.com>)',
  }),
  MAIL_DIR: Type.String({ default: '.data/mail', minLength: 1, description: 'a folder path' }),
  JWT_ISSUER: Type.String({ default: 'auth', minLength: 1 }),
  JWT_AUDIENCE: Type.String({ default: 'microservice-template', minLength: 1 }),
  ACCESS_TOKEN_TTL: Env.seconds(15 * 60),
  /** Tokens whose exp - iat is longer are refused (by every verifier); at least ACCESS_TOKEN_TTL. */
  ACCESS_TOKEN_MAX_LIFETIME: Env.accessTokenMaxLifetime(),
  SESSION_TTL: Env.seconds(30 * 24 * 3600),
  /** Seals private signing keys at rest (AES-256-GCM); losing it means new keys and new sign-ins. */
  KEY_ENCRYPTION_KEY: Env.keyEncryptionKey(),
  /**
   * Earlier KEY_ENCRYPTION_KEYs, comma-separated, newest first: values sealed under them still
   * open and are sealed again under KEY_ENCRYPTION_KEY in the background (docs/auth.md).
   */
  KEY_ENCRYPTION_KEY_PREVIOUS: Type.Optional(
    Type.String({
      pattern: '^\\s*[A-Za-z0-9+/_-]{43}=?\\s*(,\\s*[A-Za-z0-9+/_-]{43}=?\\s*)*$',
      description: 'comma-separated keys of 32 random bytes in base64url or base64',
    }),
  ),
  /** A new signing key is made when the current one is older; the previous stays published. */
  KEY_ROTATION_INTERVAL: Env.seconds(30 * 24 * 3600),
  // Failed password checks allowed per LOGIN_FAILURE_WINDOW before 429 (see sessions/throttle.ts).
  LOGIN_MAX_FAILURES_PER_ACCOUNT_ADDRESS: count(5),
  /** The ceiling over all addresses; addresses the account signed in from before are spared. */
  LOGIN_MAX_FAILURES_PER_ACCOUNT: count(100),
  LOGIN_MAX_FAILURES_PER_ADDRESS: count(30),
  LOGIN_FAILURE_WINDOW: Env.seconds(15 * 60),
  /** Email change requests per account per LOGIN_FAILURE_WINDOW: each one sends mail. */
  EMAIL_CHANGE_MAX_PER_ACCOUNT: count(5),
  /**
   * Wrong second-factor codes an account takes from all addresses per MFA_FAILURE_WINDOW before
   * 429 (addresses it signed in from are spared). Far below the password's ceiling: whoever sends
   * codes has the password, and a six-digit code falls to 100 guesses per 15 minutes in weeks.
   */
  MFA_MAX_FAILURES_PER_ACCOUNT: count(20),
  MFA_FAILURE_WINDOW: Env.seconds(6 * 3600),
  /** How long a sign-in waits for its second factor (`mfa_token`), seconds. */
  MFA_CHALLENGE_TTL: Env.seconds(5 * 60),
  /** The product's name: the issuer authenticator apps show, and the name mails and pages use. */
  APP_NAME: Type.String({ default: 'Microservice Template', minLength: 1, maxLength: 64 }),
  /**
   * Base of the links in mails (`…/verify-email?token=…`, `…/reset-password?token=…`): a web
   * app's pages. Unset: auth's own pages under PUBLIC_URL/accounts/v1.
   */
  APP_URL: Type.Optional(Env.url()),
  /** A folder whose mail and page templates replace the built-in ones of the same name. */
  MAIL_TEMPLATES_DIR: Type.Optional(Type.String({ minLength: 1, description: 'a folder path' })),
  /** Avatar uploads: an image declaring more pixels is refused (422) before it is decoded. */
  AVATAR_MAX_PIXELS: Type.Integer({
    minimum: 1,
    default: 25_000_000,
    description: 'a number of pixels',
  }),
  /**
   * How long NGINX (any cache honouring X-Accel-Expires) keeps a versioned avatar before asking
   * again: browsers are told a year, but a removed avatar (or a deleted account's) must leave the
   * cache in front of the gateway, which otherwise kept it 30 days.
   */
  AVATAR_EDGE_CACHE_SECONDS: Env.seconds(600),
  /** Images decoded at once, and uploads that may wait for a turn (more: 503). */
  AVATAR_DECODE_CONCURRENCY: Type.Integer({ minimum: 1, default: 2, description: 'a count' }),
  AVATAR_DECODE_QUEUE: Type.Integer({ minimum: 0, default: 8, description: 'a count' }),
  /** Uploads per user per window (more: 429 with Retry-After). */
  AVATAR_UPLOADS_PER_WINDOW: Type.Integer({ minimum: 1, default: 10, description: 'a count' }),
  AVATAR_UPLOAD_WINDOW: Env.timerSeconds(3600),
  /** Audit events older than this many days are pruned (docs/auth.md, Audit log). */
  AUDIT_RETENTION_DAYS: Env.days(400),
  /** Proxies whose X-Forwarded-For is believed (the gateway); see Fastify's trustProxy. */
  TRUST_PROXY: Env.trustProxy('loopback'),
  ADMIN_EMAIL: Type.Optional(Type.String({ format: 'email', description: 'an email address' })),
  ADMIN_PASSWORD: Type.Optional(
    Type.String({ minLength: 8, maxLength: 256, description: '8 to 256 characters' }),
  ),
  /** JSON array of `{id, name, issuer, client_id, client_secret, scopes?}` (oidc/settings.ts). */
  OIDC_PROVIDERS: Type.Optional(Type.String({ description: 'a JSON array of providers' })),
  /** Where OIDC sign-in may send the browser back to, comma-separated; matched exactly. */
  OAUTH_REDIRECT_URIS: Type.Optional(Type.String({ description: 'comma-separated URLs' })),
  /** Passkeys' relying party id; default `localhost`. */
  WEBAUTHN_RP_ID: Type.Optional(Type.String({ description: 'a domain name' })),
  /** Origins whose passkey ceremonies are accepted; default the PUBLIC_URL on localhost and 127.0.0.1. */
  WEBAUTHN_ORIGINS: Type.Optional(Type.String({ description: 'comma-separated origins' })),
  /** The name passkey prompts show for this site. */
  WEBAUTHN_RP_NAME: Type.String({ default: 'Microservice Template', minLength: 1, maxLength: 64 }),
  /** Where the outbox goes: every subscriber's types and URL, from the manifests (EVENT_SUBSCRIBERS). */
  EVENT_SUBSCRIBERS: Env.eventSubscribers(),
  /** Published outbox events older than this many days are deleted by the relay; 0: never. */
  OUTBOX_RETENTION_DAYS: Env.outboxRetentionDays(),
  /** Deprecated shorthand for EVENT_SUBSCRIBERS=analytics:*=<url>, used when that is unset. */
  ANALYTICS_URL: Type.Optional(Env.url()),
  /** Callers of `/internal/*` must send it (`x-service-token`); the relay sends it to analytics. */
  SERVICE_TOKEN: Env.serviceToken(),
});

export type Config = Static<typeof ConfigSchema>;

export function readConfig(env: Record<string, string | undefined> = process.env): Config {
  const config = loadConfig(ConfigSchema, env);
  // Otherwise auth would sign tokens that it and every other service refuse.
  if (config.ACCESS_TOKEN_TTL > config.ACCESS_TOKEN_MAX_LIFETIME) {
    throw new ConfigError(
      'ACCESS_TOKEN_TTL is invalid: expected at most ACCESS_TOKEN_MAX_LIFETIME seconds',
    );
  }
  // Parsed again where used; here so a malformed one stops the service at start.
  parseProviders(config.OIDC_PROVIDERS);
  parseRedirectUris(config.OAUTH_REDIRECT_URIS);
  relyingParty(config.WEBAUTHN_RP_ID, config.WEBAUTHN_ORIGINS, config.PUBLIC_URL);
  return config;
}
