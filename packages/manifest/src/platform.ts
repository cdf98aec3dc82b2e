/**
 * The settings the platform provides to any service that lists them in `settings.platform`. Each
 * place a service runs gives them a value of its own: the launcher in code
 * (packages/launcher/src/platform.ts, typed over this list so none is forgotten), compose.yaml in
 * its `x-platform` block, Kubernetes in the platform-config ConfigMap or platform-secrets Secret.
 * Besides these, `<SERVICE>_URL` is the internal base URL of any service that has a manifest.
 */
export const PLATFORM_SETTINGS = {
  SERVICE_TOKEN:
    'the shared secret services prove themselves with on /internal/* (x-service-token)',
  REDIS_URL: 'Redis, for state shared between replicas (rate limits, token revocations)',
  PUBLIC_URL: "where users reach the system: the entry point's public URL",
  JWT_ISSUER: 'the issuer of access tokens',
  JWT_AUDIENCE: 'the audience of access tokens',
  TRUST_PROXY: 'proxies whose X-Forwarded-For is believed',
  KEY_ENCRYPTION_KEY:
    'seals private keys stored at rest (auth: signing keys); 32 random bytes, base64url',
  EDGE_ROUTES:
    "the routes the gateway limits apart (stricter rate limits, larger bodies): every manifest's edge entries",
  ROUTES: "the gateway's route table: `name:/prefix=url` for every service with a prefix",
  EVENT_SUBSCRIBERS:
    'where a producing service relays its outbox: `name:type,type=url` for every service whose manifest subscribes to domain events',
} as const satisfies Record<string, string>;

export type PlatformSetting = keyof typeof PLATFORM_SETTINGS;

export const isPlatformSetting = (name: string): name is PlatformSetting =>
  Object.hasOwn(PLATFORM_SETTINGS, name);

/** What every service is given without declaring it. */
export const IMPLICIT_SETTINGS = [
  'PORT',
  'HOST',
  'LOG_LEVEL',
  'SERVICE_NAME',
  'DATABASE_URL',
  'NODE_OPTIONS',
  /** Set only where a manifest has metrics_port. */
  'METRICS_PORT',
] as const;
