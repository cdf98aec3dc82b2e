import { isIP } from 'node:net';

/**
 * The format of a setting that is a server's address (Env.url, Env.postgresUrl…). Its scheme
 * pattern alone took `http://`, `http://a b` or `http://host:99999`: a service then ran against
 * the wrong host or died later with a stack. TypeBox passes a format it does not know; loadConfig
 * checks this one.
 */
export const SERVER_URL = 'server-url';

/**
 * A URL that parses, names a host and holds no white space (the URL parser drops some, and the
 * service would meet the value as written). PostgreSQL's socket form
 * (`postgres:///db?host=/run/postgresql`) names its host in the query.
 */
function isServerUrl(value: string): boolean {
  if (/\s/.test(value)) return false;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.hostname !== '') return true;
  return /^postgres(ql)?:$/.test(url.protocol) && !!url.searchParams.get('host');
}

/**
 * The format of a URL that paths are appended to (Env.url: a service's, PUBLIC_URL, APP_URL): a
 * server URL without a query or fragment. `http://auth:8081/?x=1` or `https://app.example/#/` were
 * taken, and every call or mailed link then went to `…?x=1/verify-email?token=…`.
 */
export const BASE_URL = 'base-url';

function baseUrlProblem(value: string): boolean | string {
  if (!isServerUrl(value)) return false;
  if (/[?#]/.test(value))
    return 'expected an http(s):// URL with no query or fragment (paths are appended to it)';
  return true;
}

/**
 * The format of TRUST_PROXY (Env.trustProxy): what Fastify's trustProxy (proxy-addr) compiles.
 * A malformed entry (`zzz`, `10.0.0.0/99`) passed as any string, and the service died at start
 * with proxy-addr's stack (TypeError: invalid IP address).
 */
export const PROXY_LIST = 'proxy-list';

/** proxy-addr's named ranges. */
const NAMED_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** Comma-separated addresses, CIDRs (`10.0.0.0/8`), IPv4 netmasks or named ranges; blanks skipped. */
function isProxyList(value: string): boolean {
  return value.split(',').every((item) => {
    const entry = item.trim();
    if (entry === '' || NAMED_RANGES.has(entry)) return true;
    const slash = entry.lastIndexOf('/');
    const kind = isIP(slash === -1 ? entry : entry.slice(0, slash));
    if (kind === 0) return false;
    if (slash === -1) return true;
    const range = entry.slice(slash + 1);
    if (/^\d+$/.test(range)) return Number(range) >= 1 && Number(range) <= (kind === 6 ? 128 : 32);
    // 255.255.255.0: ones then zeros, at least one.
    if (kind !== 4 || isIP(range) !== 4) return false;
    const bits = range
      .split('.')
      .map((octet) => Number(octet).toString(2).padStart(8, '0'))
      .join('');
    return /^1+0*$/.test(bits);
  });
}

/**
 * The format of EVENT_SUBSCRIBERS (Env.eventSubscribers): each entry's URL, after its `=`, a
 * server URL. The pattern took `http://analytics:99999`, and the outbox then failed every relay.
 */
export const SUBSCRIBER_LIST = 'subscriber-list';

const isSubscriberList = (value: string) =>
  value.split(';').every((entry) => isServerUrl(entry.slice(entry.indexOf('=') + 1)));

/**
 * The format of a list of browser origins (Env.origins: the gateway's CORS_ORIGINS): `*`, or
 * comma-separated `scheme://host[:port]` as a browser writes its `Origin` header. Compared as
 * text only, `example.com`, `https://example.com/`, `http://example.com:80` or `HTTPS://A.example`
 * never matched what a browser sends, and nothing said so.
 */
export const ORIGIN_LIST = 'origin-list';

/** What is wrong with one entry of an origin list, naming it; undefined when it is an origin. */
export function originProblem(entry: string): string | undefined {
  if (entry === '*') return undefined;
  let url: URL | undefined;
  try {
    url = new URL(entry);
  } catch {}
  if (!url || !/^https?:$/.test(url.protocol) || url.hostname === '' || /\s/.test(entry)) {
    return `"${entry}" is not an origin: expected http(s)://host[:port], e.g. https://app.example.com`;
  }
  if (url.hostname.includes('*')) {
    return `"${entry}" is not an origin: no wildcards in a host (list each origin, or * for any)`;
  }
  if (
    url.username ||
    url.password ||
    url.search ||
    url.hash ||
    url.pathname !== '/' ||
    entry.endsWith('/')
  ) {
    // A browser's Origin header never ends in a slash nor carries a path.
    return `"${entry}" is not an origin: no path, query or trailing slash (write ${url.origin})`;
  }
  if (url.origin !== entry) {
    // The default port left out, the scheme and host in lower case: as a browser sends it.
    return `"${entry}" never matches a browser's Origin header: write it as ${url.origin}`;
  }
  return undefined;
}

const originListProblem = (value: string) => {
  for (const item of value.split(',')) {
    const entry = item.trim();
    const problem = entry === '' ? undefined : originProblem(entry);
    if (problem) return problem;
  }
  return true;
};

/**
 * The formats loadConfig checks itself (TypeBox passes those it does not know): true when the
 * value has the format, false or (for a setting that is no secret) what is wrong, naming it.
 */
export const FORMATS: Record<string, (value: string) => boolean | string> = {
  [SERVER_URL]: isServerUrl,
  [BASE_URL]: baseUrlProblem,
  [PROXY_LIST]: isProxyList,
  [SUBSCRIBER_LIST]: isSubscriberList,
  [ORIGIN_LIST]: originListProblem,
};
