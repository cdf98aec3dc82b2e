import { existsSync } from 'node:fs';
import path from 'node:path';
import type { LauncherConfig } from './config.ts';

/** What a service's environment is built from once ports and databases are known. */
export interface Stack {
  config: LauncherConfig;
  dataDir: string;
  /** Auth's KEY_ENCRYPTION_KEY: given, or kept under DATA_DIR (secrets.ts). */
  keyEncryptionKey: string;
  /** Internal base URL of each service that runs (absent for those skipped). */
  urls: Partial<Record<ServiceName, string>>;
}

export type ServiceName = 'gateway' | 'auth' | 'main' | 'analytics';
type PortVariable = 'GATEWAY_PORT' | 'AUTH_PORT' | 'MAIN_PORT' | 'ANALYTICS_PORT';

export interface ServiceSpec {
  name: ServiceName;
  /** The variable that sets its port; unset, the port is GATEWAY_PORT + offset. */
  portVariable: PortVariable;
  portOffset: number;
  /** Its own database on the PostgreSQL server, created before it starts. */
  database?: string;
  /** Started and ready before the others, which fetch its keys at start. */
  first?: boolean;
  /** Service-specific variables; PORT, HOST, LOG_LEVEL and DATABASE_URL are added for all. */
  env(stack: Stack): Record<string, string | undefined>;
  /** Node.js flags it runs with; compose.yaml and deploy/k8s set the same in NODE_OPTIONS. */
  nodeOptions?: string[];
}

const authUrl = (s: Stack) => ({ AUTH_URL: s.urls.auth, REDIS_URL: s.config.REDIS_URL });
/** Where services send domain events and samples, and the secret that proves they are services. */
const analytics = (s: Stack) => ({
  ANALYTICS_URL: s.urls.analytics,
  SERVICE_TOKEN: s.config.SERVICE_TOKEN,
});

/** Every service of the stack; adding one is one entry here. */
export const SERVICES: ServiceSpec[] = [
  {
    name: 'auth',
    portVariable: 'AUTH_PORT',
    portOffset: 1,
    database: 'auth',
    first: true,
    env: (s) => ({
      PUBLIC_URL: s.urls.gateway,
      MAIL_DIR: path.join(s.dataDir, 'mail'),
      SMTP_URL: s.config.SMTP_URL,
      REDIS_URL: s.config.REDIS_URL,
      ADMIN_EMAIL: s.config.ADMIN_EMAIL,
      ADMIN_PASSWORD: s.config.ADMIN_PASSWORD,
      KEY_ENCRYPTION_KEY: s.keyEncryptionKey,
      ...analytics(s),
    }),
  },
  {
    name: 'main',
    portVariable: 'MAIN_PORT',
    portOffset: 2,
    database: 'main',
    env: (s) => ({ ...authUrl(s), ...analytics(s) }),
  },
  {
    name: 'analytics',
    portVariable: 'ANALYTICS_PORT',
    portOffset: 3,
    database: 'analytics',
    env: (s) => ({
      ...authUrl(s),
      SERVICE_TOKEN: s.config.SERVICE_TOKEN,
      INFLUX_URL: s.config.INFLUX_URL,
      INFLUX_DB: s.config.INFLUX_DB,
      INFLUX_TOKEN: s.config.INFLUX_TOKEN,
    }),
    // Ingestion allocates in proportion to each 500-event batch, nearly all of it short-lived:
    // 64 MB semi-spaces (Node's default is 16) let it die young instead of being copied and
    // promoted, which cut the service's CPU per event by a sixth in `npm run bench:analytics`.
    nodeOptions: ['--max-semi-space-size=64'],
  },
  {
    name: 'gateway',
    portVariable: 'GATEWAY_PORT',
    portOffset: 0,
    env: (s) => ({
      ...authUrl(s),
      ...analytics(s),
      AUTH_URLS: s.urls.auth,
      MAIN_URLS: s.urls.main,
      ANALYTICS_URLS: s.urls.analytics,
    }),
  },
];

/**
 * Variables a service could read that only the launcher may set: a value left in the user's
 * shell (say a DATABASE_URL for another project) must not leak into a service.
 */
export const SERVICE_VARIABLES = [
  'PORT',
  'HOST',
  'LOG_LEVEL',
  'DATABASE_URL',
  'SERVICE_NAME',
  'PUBLIC_URL',
  'MAIL_DIR',
  'SMTP_URL',
  'REDIS_URL',
  'ADMIN_EMAIL',
  'ADMIN_PASSWORD',
  'AUTH_URL',
  'AUTH_URLS',
  'MAIN_URLS',
  'ANALYTICS_URLS',
  'INFLUX_URL',
  'INFLUX_DB',
  'INFLUX_TOKEN',
  'ANALYTICS_URL',
  'SERVICE_TOKEN',
  'KEY_ENCRYPTION_KEY',
];

export interface PlannedService {
  spec: ServiceSpec;
  port: number;
  /** How the port was chosen, for messages: `AUTH_PORT` or `AUTH_PORT unset: GATEWAY_PORT+1`. */
  portSource: string;
  url: string;
  entry: string;
}

export const HOST = '127.0.0.1';

/** The services whose code exists (main and analytics arrive later), with their ports. */
export function planServices(
  config: LauncherConfig,
  root: string,
): {
  planned: PlannedService[];
  skipped: ServiceName[];
} {
  const planned: PlannedService[] = [];
  const skipped: ServiceName[] = [];
  for (const spec of SERVICES) {
    const entry = path.join(root, 'services', spec.name, 'src', 'server.ts');
    if (!existsSync(entry)) {
      skipped.push(spec.name);
      continue;
    }
    const given = config[spec.portVariable];
    const port = given ?? config.GATEWAY_PORT + spec.portOffset;
    const portSource =
      given === undefined && spec.portOffset > 0
        ? `${spec.portVariable} unset: GATEWAY_PORT+${spec.portOffset}`
        : spec.portVariable;
    planned.push({ spec, port, portSource, url: `http://${HOST}:${port}`, entry });
  }
  return { planned, skipped };
}

export function serviceEnv(
  service: PlannedService,
  stack: Stack,
  databaseUrl: string | undefined,
  base: NodeJS.ProcessEnv = process.env,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  for (const key of SERVICE_VARIABLES) delete env[key];
  const own = {
    ...service.spec.env(stack),
    SERVICE_NAME: service.spec.name,
    PORT: String(service.port),
    HOST,
    LOG_LEVEL: stack.config.LOG_LEVEL as string,
    DATABASE_URL: databaseUrl,
  };
  for (const [key, value] of Object.entries(own)) if (value !== undefined) env[key] = value;
  return env;
}
