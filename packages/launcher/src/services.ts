import { existsSync } from 'node:fs';
import path from 'node:path';
import {
  IMPLICIT_SETTINGS,
  PLATFORM_SETTINGS,
  portVariable,
  type Service,
  urlSetting,
} from '@platform/manifest';
import type { LauncherConfig } from './config.ts';
import { launcherValue, platformValue } from './platform.ts';

/** What a service's environment is built from once ports and databases are known. */
export interface Stack {
  config: LauncherConfig;
  dataDir: string;
  /** Every service with a manifest (services/<name>/service.json). */
  services: readonly Service[];
  /** KEY_ENCRYPTION_KEY: given, or kept under DATA_DIR (secrets.ts); only if a service reads it. */
  keyEncryptionKey?: string;
  /** Internal base URL of each service that runs (absent for those skipped). */
  urls: Partial<Record<string, string>>;
}

export interface PlannedService {
  spec: Service;
  /** The variable that sets its port; unset, the port is GATEWAY_PORT + port_offset. */
  portVariable: string;
  port: number;
  /** How the port was chosen, for messages: `AUTH_PORT` or `AUTH_PORT unset: GATEWAY_PORT+1`. */
  portSource: string;
  url: string;
  entry: string;
}

export const HOST = '127.0.0.1';

/**
 * Variables a service could read that only the launcher may set: a value left in the user's
 * shell (say a DATABASE_URL for another project) must not leak into a service: every platform
 * setting, each service's address variables, and the own settings a manifest gives a `launcher`
 * value. Any other variable (DATABASE_POOL_SIZE=20 npm start) reaches every service as it is.
 */
export function serviceVariables(services: readonly Service[]): string[] {
  return [
    ...new Set([
      // Left alone: the user's own NODE_OPTIONS (say --inspect) and METRICS_PORT (npm start sets
      // none) still reach the services.
      ...IMPLICIT_SETTINGS.filter((name) => name !== 'NODE_OPTIONS' && name !== 'METRICS_PORT'),
      ...Object.keys(PLATFORM_SETTINGS),
      // <NAME>_URLS: the gateway's older per-service route settings, which ROUTES replaces.
      ...services.flatMap((s) => [urlSetting(s.name), `${urlSetting(s.name)}S`]),
      ...services.flatMap((s) => s.settings.platform),
      // Own settings the launcher values; the others pass through like any other variable.
      ...services.flatMap((s) =>
        Object.entries(s.settings.own)
          .filter(([, setting]) => setting.launcher !== undefined)
          .map(([name]) => name),
      ),
    ]),
  ];
}

/** The services whose code exists (a manifest may arrive before its server.ts), with their ports. */
export function planServices(
  config: LauncherConfig,
  root: string,
  services: readonly Service[],
): { planned: PlannedService[]; skipped: string[] } {
  const planned: PlannedService[] = [];
  const skipped: string[] = [];
  const base = services.find((s) => s.port_offset === 0)!;
  const basePort = config.ports[portVariable(base.name)]!;
  for (const spec of services) {
    const entry = path.join(root, 'services', spec.name, 'src', 'server.ts');
    if (!existsSync(entry)) {
      skipped.push(spec.name);
      continue;
    }
    const variable = portVariable(spec.name);
    const given = config.ports[variable];
    const port = given ?? basePort + spec.port_offset;
    const portSource =
      given === undefined && spec.port_offset > 0
        ? `${variable} unset: ${portVariable(base.name)}+${spec.port_offset}`
        : variable;
    planned.push({
      spec,
      portVariable: variable,
      port,
      portSource,
      url: `http://${HOST}:${port}`,
      entry,
    });
  }
  return { planned, skipped };
}

/** The settings its manifest declares, valued for `npm start`, and the ones every service gets. */
export function serviceEnv(
  service: PlannedService,
  stack: Stack,
  databaseUrl: string | undefined,
  base: NodeJS.ProcessEnv = process.env,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  for (const key of serviceVariables(stack.services)) {
    delete env[key];
    // packages/config would read X from X_FILE too, and refuses both at once. An X_FILE for a
    // setting valued here has been read already, by launcherValue: its value is X below.
    delete env[`${key}_FILE`];
  }
  const { platform, own } = service.spec.settings;
  const values: Record<string, string | undefined> = {
    ...Object.fromEntries(platform.map((name) => [name, platformValue(name, stack)])),
    ...Object.fromEntries(
      Object.entries(own).map(([name, setting]) => [
        name,
        setting.launcher === undefined
          ? undefined
          : launcherValue(setting.launcher, base, stack.dataDir),
      ]),
    ),
    SERVICE_NAME: service.spec.name,
    PORT: String(service.port),
    HOST,
    LOG_LEVEL: stack.config.LOG_LEVEL as string,
    DATABASE_URL: databaseUrl,
  };
  for (const [key, value] of Object.entries(values)) if (value !== undefined) env[key] = value;
  return env;
}
