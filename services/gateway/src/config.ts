import { Env, type Static, Type } from '@platform/config';

const urlList = () =>
  Type.String({
    pattern: '^https?://[^,\\s]+(\\s*,\\s*https?://[^,\\s]+)*$',
    description: 'a comma-separated list of http(s):// URLs',
  });

export const ConfigSchema = Type.Object({
  PORT: Env.port(8080),
  HOST: Env.host(),
  LOG_LEVEL: Env.logLevel(),
  AUTH_URLS: urlList(),
  MAIN_URLS: Type.Optional(urlList()),
  ANALYTICS_URLS: Type.Optional(urlList()),
  UPSTREAM_TIMEOUT: Env.seconds(30),
});

export type Config = Static<typeof ConfigSchema>;

export type ServiceName = 'auth' | 'main' | 'analytics';

/** Instance base URLs of every service the gateway fronts; a service that is not deployed has none. */
export type Upstreams = Record<ServiceName, string[]>;

export function upstreamsOf(config: Config): Upstreams {
  return {
    auth: splitUrls(config.AUTH_URLS),
    main: splitUrls(config.MAIN_URLS),
    analytics: splitUrls(config.ANALYTICS_URLS),
  };
}

function splitUrls(list: string | undefined): string[] {
  if (!list) return [];
  return list
    .split(',')
    .map((url) => url.trim().replace(/\/+$/, ''))
    .filter(Boolean);
}
