import { readSetting } from '@platform/config';
import {
  edgeRoutesSetting,
  entryPoint,
  eventSubscribersSetting,
  type PlatformSetting,
  routesSetting,
  type Service,
  serviceOfUrlSetting,
} from '@platform/manifest';
import type { Stack } from './services.ts';

/**
 * The launcher's value of each platform setting (unset: the service's own default). Typed over
 * the whole catalogue, so a setting added to packages/manifest/src/platform.ts fails to compile
 * here until `npm start` knows what to give.
 */
const PLATFORM: Record<PlatformSetting, (stack: Stack) => string | undefined> = {
  SERVICE_TOKEN: (s) => s.config.SERVICE_TOKEN,
  REDIS_URL: (s) => s.config.REDIS_URL,
  PUBLIC_URL: (s) => s.urls[entryPoint(s.services).name],
  JWT_ISSUER: () => undefined,
  JWT_AUDIENCE: () => undefined,
  TRUST_PROXY: () => undefined,
  KEY_ENCRYPTION_KEY: (s) => s.keyEncryptionKey,
  EDGE_ROUTES: (s) => edgeRoutesSetting(s.services) || undefined,
  ROUTES: (s) => routesSetting(s.services, (service) => s.urls[service.name]) || undefined,
  EVENT_SUBSCRIBERS: (s) =>
    eventSubscribersSetting(s.services, (service) => s.urls[service.name]) || undefined,
};

/** A platform setting's value under `npm start`; `<SERVICE>_URL` is that service's address. */
export function platformValue(setting: string, stack: Stack): string | undefined {
  if (Object.hasOwn(PLATFORM, setting)) return PLATFORM[setting as PlatformSetting](stack);
  const target = serviceOfUrlSetting(stack.services, setting);
  return target && stack.urls[target.name];
}

const TEMPLATE_VARIABLE = /\$\{([A-Z][A-Z0-9_]*)\}/g;

/**
 * An own setting's `launcher` template: `${VAR}` from the launcher's environment, `${DATA_DIR}`
 * its data folder. VAR is read as a service reads its settings (packages/config's readSetting):
 * from the file VAR_FILE names when that is set (one trailing newline and a byte order mark
 * dropped; an unreadable or empty file, or VAR and VAR_FILE both set, is a ConfigError), else
 * VAR itself. Unset when any variable it names is unset or empty, so that the service's own
 * default applies.
 */
export function launcherValue(
  template: string,
  env: NodeJS.ProcessEnv,
  dataDir: string,
): string | undefined {
  let unset = false;
  const value = template.replace(TEMPLATE_VARIABLE, (_, name: string) => {
    const found = name === 'DATA_DIR' ? dataDir : readSetting(name, env);
    if (!found) unset = true;
    return found ?? '';
  });
  return unset ? undefined : value;
}

/**
 * Reads every variable the manifests' `launcher` templates name, as launcherValue does, so that
 * a bad one (ADMIN_PASSWORD_FILE naming a missing file, SMTP_URL and SMTP_URL_FILE both set)
 * stops `npm start` at once with the services' own message, before PostgreSQL and the compile.
 */
export function checkLauncherValues(services: readonly Service[], env: NodeJS.ProcessEnv): void {
  for (const service of services) {
    for (const setting of Object.values(service.settings.own)) {
      if (setting.launcher === undefined) continue;
      for (const [, name] of setting.launcher.matchAll(TEMPLATE_VARIABLE))
        if (name !== 'DATA_DIR') readSetting(name!, env);
    }
  }
}

export type { Service };
