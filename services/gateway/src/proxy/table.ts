import { ConfigError } from '@platform/config';
import { type Config, splitList } from '../config.ts';

/** A public path prefix, the service behind it, and that service's instance URLs. */
export interface Route {
  prefix: string;
  /** Names it in metrics, logs, samples and problem details. */
  service: string;
  /** None: the service is not deployed here, and its prefix answers 503. */
  urls: string[];
}

/** The shorthand settings the launcher and Compose set, and the routes they stand for. */
const SHORTHANDS = [
  { setting: 'AUTH_URLS', prefix: '/accounts', service: 'auth' },
  { setting: 'MAIN_URLS', prefix: '/main', service: 'main' },
  { setting: 'ANALYTICS_URLS', prefix: '/analytics', service: 'analytics' },
] as const;

/**
 * The gateway's own paths, and `/internal` (a route there would forward `/internal/*` to the
 * service as it is: the service-to-service endpoints are never reachable through the gateway);
 * no service may take them.
 */
const RESERVED = ['/health', '/metrics', '/docs', '/internal'];

/**
 * The route table: every `ROUTES` entry (`[name:]/prefix=url,url;…`, the name defaulting to the
 * prefix's first segment), and the shorthands (always routed: the contract's three prefixes
 * answer 503 rather than 404 where their service is not deployed). The schema has checked the
 * syntax; what only the whole table shows (a prefix or name twice, a reserved path) is a
 * ConfigError here.
 */
export function routesOf(config: Config): Route[] {
  const routes: Route[] = [];
  const add = (route: Route, setting: string) => {
    const fail = (why: string) => {
      throw new ConfigError(`${setting} is invalid: ${why}`);
    };
    if (RESERVED.some((p) => route.prefix === p || route.prefix.startsWith(`${p}/`))) {
      fail(`${route.prefix} is the gateway's own path`);
    }
    // The schema's pattern takes any host and port: http://b:99999 passed, and the gateway died
    // at start with a stack (TypeError: Invalid URL).
    const malformed = route.urls.find((url) => !URL.canParse(url));
    if (malformed !== undefined) fail(`${malformed} is not a URL`);
    if (routes.some((r) => r.prefix === route.prefix)) fail(`${route.prefix} is routed twice`);
    if (routes.some((r) => r.service === route.service)) {
      fail(`the service name ${route.service} is used twice`);
    }
    routes.push(route);
  };
  for (const entry of (config.ROUTES ?? '').split(';')) {
    if (!entry.trim()) continue;
    const [target, list] = entry.split('=', 2) as [string, string];
    const [, name, prefix] = /^\s*(?:([a-z][a-z0-9-]*):)?(\S+)\s*$/.exec(target)!;
    const service = name ?? prefix!.split('/')[1]!;
    add({ prefix: prefix!, service, urls: origins(list) }, 'ROUTES');
  }
  for (const { setting, prefix, service } of SHORTHANDS) {
    const urls = origins(config[setting]);
    const taken = routes.some((r) => r.prefix === prefix || r.service === service);
    // Unset and routed by ROUTES: that entry stands. Set twice: a mistake worth stopping for.
    if (!urls.length && taken) continue;
    add({ prefix, service, urls }, setting);
  }
  if (!routes.some((r) => r.urls.length)) {
    throw new ConfigError('ROUTES is not set: expected at least one route (or AUTH_URLS)');
  }
  return routes;
}

const origins = (list: string | undefined) => splitList(list).map((url) => url.replace(/\/+$/, ''));

/** The route a path belongs to, the longest prefix first. */
export function routeFor(routes: readonly Route[], path: string): Route | undefined {
  let best: Route | undefined;
  for (const route of routes) {
    const match = path === route.prefix || path.startsWith(`${route.prefix}/`);
    if (match && (!best || route.prefix.length > best.prefix.length)) best = route;
  }
  return best;
}
