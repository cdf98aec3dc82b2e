import { randomBytes } from 'node:crypto';
import { Env, loadConfig, type Static, Type } from '@platform/config';

const port = (description: string) =>
  Type.Integer({ minimum: 1, maximum: 65535, description: `${description} (1-65535)` });

/** What `npm start` honours; see the README's table. Every variable is optional. */
export const LauncherSchema = Type.Object({
  GATEWAY_PORT: Type.Integer({
    minimum: 1,
    maximum: 65532,
    default: 8080,
    description: 'a TCP port number (1-65532)',
  }),
  AUTH_PORT: Type.Optional(port('a TCP port number')),
  MAIN_PORT: Type.Optional(port('a TCP port number')),
  ANALYTICS_PORT: Type.Optional(port('a TCP port number')),
  DATA_DIR: Type.String({ default: './.data', minLength: 1, description: 'a folder path' }),
  POSTGRES_URL: Type.Optional(Env.postgresUrl()),
  REDIS_URL: Env.redisUrl(),
  SMTP_URL: Type.Optional(
    Type.String({ pattern: '^smtps?://', description: 'an smtp:// or smtps:// URL' }),
  ),
  INFLUX_URL: Type.Optional(Env.url()),
  INFLUX_DB: Type.Optional(Type.String({ minLength: 1, description: 'a database name' })),
  INFLUX_TOKEN: Type.Optional(Type.String({ minLength: 1, description: 'a token' })),
  ADMIN_EMAIL: Type.Optional(
    Type.String({ pattern: '^[^@\\s]+@[^@\\s]+$', description: 'an email address' }),
  ),
  ADMIN_PASSWORD: Type.Optional(Type.String({ minLength: 1, description: 'a password' })),
  /** Shared secret services use among themselves (`x-service-token`); a fresh one per start. */
  SERVICE_TOKEN: Type.String({
    minLength: 32,
    default: randomBytes(32).toString('base64url'),
    description: 'at least 32 characters',
  }),
  /** Seals auth's signing keys at rest; unset, one is generated once and kept under DATA_DIR. */
  KEY_ENCRYPTION_KEY: Type.Optional(Env.keyEncryptionKey()),
  LOG_LEVEL: Env.logLevel(),
});

export type LauncherConfig = Static<typeof LauncherSchema>;

export const readLauncherConfig = (env: Record<string, string | undefined> = process.env) =>
  loadConfig(LauncherSchema, env);
