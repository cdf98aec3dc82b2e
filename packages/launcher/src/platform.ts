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

/**
 * An own setting's `launcher` template: `${VAR}` from the launcher's environment, `${DATA_DIR}`
 * its data folder. Unset when any variable it names is unset or empty, so that the service's own
 * default applies.
 */
export function launcherValue(
  template: string,
  env: NodeJS.ProcessEnv,
  dataDir: string,
): string | undefined {
  let unset = false;
  const value = template.replace(/\$\{([A-Z][A-Z0-9_]*)\}/g, (_, name: string) => {
    const found = name === 'DATA_DIR' ? dataDir : env[name];
    if (!found) unset = true;
    return found ?? '';
  });
  return unset ? undefined : value;
}

export type { Service };
