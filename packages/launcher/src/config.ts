import { randomBytes } from 'node:crypto';
import { Env, loadConfig, type Static, Type } from '@platform/config';
import { portVariable, type Service } from '@platform/manifest';
import { checkLauncherValues } from './platform.ts';

/** What `npm start` honours besides the port variables; see the README's table. All optional. */
const CommonSchema = Type.Object({
  DATA_DIR: Type.String({ default: './.data', minLength: 1, description: 'a folder path' }),
  POSTGRES_URL: Type.Optional(Env.postgresUrl()),
  REDIS_URL: Env.redisUrl(),
  /** Shared secret services use among themselves (`x-service-token`); a fresh one per start. */
  SERVICE_TOKEN: Type.String({
    minLength: 32,
    default: randomBytes(32).toString('base64url'),
    description: 'at least 32 characters',
  }),
  /** Seals signing keys at rest (auth's); unset, one is generated once and kept under DATA_DIR. */
  KEY_ENCRYPTION_KEY: Type.Optional(Env.keyEncryptionKey()),
  LOG_LEVEL: Env.logLevel(),
});

/**
 * The launcher's own settings and the ports, as read from the environment: `<NAME>_PORT` for each
 * service, the entry point's (GATEWAY_PORT) defaulting to 8080 and the others, unset, to that
 * plus their port_offset. Settings a single service reads are passed through its manifest.
 */
export type LauncherConfig = Static<typeof CommonSchema> & {
  /** The port variables' values, by variable. */
  ports: Record<string, number | undefined>;
};

export function readLauncherConfig(
  services: readonly Service[],
  env: Record<string, string | undefined> = process.env,
): LauncherConfig {
  const highest = Math.max(0, ...services.map((s) => s.port_offset));
  const ports: Parameters<typeof Type.Object>[0] = {};
  for (const s of services) {
    ports[portVariable(s.name)] =
      s.port_offset === 0
        ? Type.Integer({
            minimum: 1,
            maximum: 65535 - highest,
            default: 8080,
            description: `a TCP port number (1-${65535 - highest})`,
          })
        : Type.Optional(
            Type.Integer({
              minimum: 1,
              maximum: 65535,
              description: 'a TCP port number (1-65535)',
            }),
          );
  }
  const schema = Type.Object({ ...ports, ...CommonSchema.properties });
  const config = loadConfig(schema, env) as Static<typeof CommonSchema> & Record<string, unknown>;
  // The variables the manifests' launcher values name (SMTP_URL, ADMIN_PASSWORD…), each from X or
  // X_FILE like the settings above: checked now, read again for each service's environment.
  checkLauncherValues(services, env);
  return {
    ...config,
    ports: Object.fromEntries(Object.keys(ports).map((k) => [k, config[k] as number | undefined])),
  };
}
