import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { isIP } from 'node:net';
import { type Static, type TObject, Type } from 'typebox';
import Value from 'typebox/value';

/** Thrown when the environment does not satisfy a service's configuration schema. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Reads configuration once, at boot, from environment variables named exactly like the schema's
 * keys. Values are coerced (numbers, booleans), defaults applied, and the first problem is
 * reported as one line naming the variable and what it expected. Values are never echoed: some
 * of them are secrets.
 *
 * Any key may instead come from a file: `X_FILE=/path` reads X from it (one trailing newline and
 * a leading UTF-8 byte order mark dropped), the convention of Docker secrets and official images,
 * so compose.yaml can hand a service its secrets as files rather than as values in its
 * environment. A file named but empty is an error, not an unset X, and so is one that is no
 * regular file (a FIFO, a device, a directory; a link to a file is that file).
 */
export function loadConfig<T extends TObject>(
  schema: T,
  env: Record<string, string | undefined> = process.env,
): Static<T> {
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(schema.properties)) {
    const value = fromFile(key, env) ?? env[key];
    if (value === undefined || value === '') continue;
    // Value.Convert reads "80.7" as 80, "0x1F90" as 8080 and "true" as 1: refused as written.
    const { type, description } = schema.properties[key] as { type?: string; description?: string };
    const shape = type ? WRITTEN[type] : undefined;
    // Spaces around a number or flag are no part of it (the check below already ignored them,
    // Value.Convert did not: ' 5' was 5 and ' true' an error).
    const written = shape ? value.trim() : value;
    if (shape && !(shape.pattern.test(written) && shape.exact(written))) {
      throw new ConfigError(`${key} is invalid: expected ${description ?? shape.expected}`);
    }
    raw[key] = written;
  }
  const value = Value.Default(schema, Value.Convert(schema, raw));
  const [first] = Value.Errors(schema, value);
  if (first) {
    const missing = missingKey(first.params);
    const name = first.instancePath.split('/')[1] || missing || '?';
    const property = schema.properties[name] as { description?: string } | undefined;
    const expected = property?.description ?? first.message;
    throw new ConfigError(`${name} ${missing ? 'is not set' : 'is invalid'}: expected ${expected}`);
  }
  for (const [key, property] of Object.entries(schema.properties)) {
    const { format, description } = property as { format?: string; description?: string };
    const setting = (value as Record<string, unknown>)[key];
    const check = format ? FORMATS[format] : undefined;
    if (check && typeof setting === 'string' && !check(setting)) {
      throw new ConfigError(`${key} is invalid: expected ${description ?? format}`);
    }
  }
  return value as Static<T>;
}

/**
 * The format of a setting that is a server's address (Env.url, Env.postgresUrl…). Its scheme
 * pattern alone took `http://`, `http://a b` or `http://host:99999`: a service then ran against
 * the wrong host or died later with a stack. TypeBox passes a format it does not know; loadConfig
 * checks this one.
 */
const SERVER_URL = 'server-url';

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
 * The format of TRUST_PROXY (Env.trustProxy): what Fastify's trustProxy (proxy-addr) compiles.
 * A malformed entry (`zzz`, `10.0.0.0/99`) passed as any string, and the service died at start
 * with proxy-addr's stack (TypeError: invalid IP address).
 */
const PROXY_LIST = 'proxy-list';

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
const SUBSCRIBER_LIST = 'subscriber-list';

const isSubscriberList = (value: string) =>
  value.split(';').every((entry) => isServerUrl(entry.slice(entry.indexOf('=') + 1)));

/** The formats loadConfig checks itself (TypeBox passes those it does not know). */
const FORMATS: Record<string, (value: string) => boolean> = {
  [SERVER_URL]: isServerUrl,
  [PROXY_LIST]: isProxyList,
  [SUBSCRIBER_LIST]: isSubscriberList,
};

/**
 * The most an X_FILE is read of: what one environment variable can hold (Linux's MAX_ARG_STRLEN).
 * Read whole, a file named by mistake (a log, /dev/zero, /dev/urandom) was read until memory ran
 * out instead of being refused in one line.
 */
const MAX_FILE_BYTES = 128 * 1024;

/** What a path that is not a regular file is, for the one line that refuses it. */
function kindOf(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSocket()) return 'a socket';
  return 'not a file';
}

/** The file is there and readable but no regular file: a FIFO, a device, a directory. */
class NotAFile extends Error {}

/**
 * Up to `limit` bytes from the start of `file` (fewer when it ends sooner), a regular file only
 * (a link to one is that file). Opened without blocking and checked before any read: a FIFO that
 * no one writes to held start-up for ever in the open itself, and a device never ends.
 */
function readAtMost(file: string, limit: number): Buffer {
  const fd = openSync(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) throw new NotAFile(kindOf(stats));
    const buffer = Buffer.alloc(limit);
    let length = 0;
    while (length < limit) {
      const read = readSync(fd, buffer, length, limit - length, null);
      if (read === 0) break;
      length += read;
    }
    return buffer.subarray(0, length);
  } finally {
    closeSync(fd);
  }
}

/** The value `${key}_FILE` points to, if it is set. */
function fromFile(key: string, env: Record<string, string | undefined>): string | undefined {
  const file = env[`${key}_FILE`];
  if (file === undefined || file === '') return undefined;
  // Two sources would leave which one wins to whoever reads this code next.
  if (env[key] !== undefined && env[key] !== '') {
    throw new ConfigError(`${key} and ${key}_FILE are both set: expected one of them`);
  }
  let bytes: Buffer;
  try {
    bytes = readAtMost(file, MAX_FILE_BYTES + 1);
  } catch (error) {
    if (error instanceof NotAFile) {
      throw new ConfigError(
        `${key}_FILE is invalid: ${file} is ${error.message}, not a regular file`,
      );
    }
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ConfigError(`${key}_FILE is invalid: cannot read ${file} (${code})`);
  }
  if (bytes.length > MAX_FILE_BYTES) {
    throw new ConfigError(`${key}_FILE is invalid: ${file} holds more than 128 KiB`);
  }
  // A byte order mark (Notepad, PowerShell's `Out-File -Encoding utf8`) is no part of the value:
  // kept, it made a URL or a token that never matched, and the value looked right when printed.
  const value = bytes
    .toString('utf8')
    .replace(/^\uFEFF/, '')
    .replace(/\r?\n$/, '');
  // Empty would count as unset, and a default or an optional setting's absence would quietly
  // stand in for a secret that was never written.
  if (value === '') throw new ConfigError(`${key}_FILE is invalid: ${file} is empty`);
  return value;
}

/** How a number or flag must be written in the environment, by its schema type. */
const WRITTEN: Record<
  string,
  { pattern: RegExp; exact: (written: string) => boolean; expected: string }
> = {
  // Past 2^53 a number is no longer that integer: 9007199254740993 was read as …992.
  integer: {
    pattern: /^-?\d+$/,
    exact: (written) => Number.isSafeInteger(Number(written)),
    expected: 'an integer',
  },
  // 400 nines are Infinity.
  number: {
    pattern: /^-?(\d+\.?\d*|\.\d+)$/,
    exact: (written) => Number.isFinite(Number(written)),
    expected: 'a number',
  },
  boolean: { pattern: /^(true|false|1|0)$/i, exact: () => true, expected: 'true or false' },
};

function missingKey(params: unknown): string | undefined {
  const p = params as { requiredProperties?: string[]; missingProperty?: string } | undefined;
  return p?.requiredProperties?.[0] ?? p?.missingProperty;
}

/** Runs a service's entry point; a configuration error stops the process with one line. */
export async function runMain(main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (error) {
    const unreachable = unreachableServer(error);
    if (error instanceof ConfigError) {
      process.stderr.write(`configuration error: ${error.message}\n`);
    } else if (unreachable) {
      process.stderr.write(`fatal: ${unreachable}\n`);
    } else {
      process.stderr.write(`fatal: ${describe(error)}\n`);
    }
    process.exit(1);
  }
}

/** Error codes of a server that cannot be reached: a stack says nothing the address does not. */
export const UNREACHABLE_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/**
 * `cannot reach host:port (…)` when the error, or one of its causes, is a failed connection: a
 * database or service that is not up at start is one line, like a bad setting, not a stack.
 */
function unreachableServer(error: unknown): string | undefined {
  for (let e = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    // Node tries each address of a name in turn and reports them together.
    const first = e instanceof AggregateError && e.errors[0] instanceof Error ? e.errors[0] : e;
    const { code, address, hostname, port } = first as NodeJS.ErrnoException & {
      address?: string;
      hostname?: string;
      port?: number;
    };
    const host = address ?? hostname;
    if (code && UNREACHABLE_CODES.has(code) && host) {
      return `cannot reach ${host}${port ? `:${port}` : ''} (${first.message})`;
    }
  }
  return undefined;
}

/**
 * The error's stack and the messages of its causes: a wrapped error says why only there (a failed
 * migration is "Failed query: CREATE TABLE …", its cause `relation "items" already exists`).
 */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  let text = error.stack ?? error.message;
  let cause = error.cause;
  for (let depth = 0; cause !== undefined && depth < 5; depth++) {
    text += `\ncaused by: ${cause instanceof Error ? cause.message : String(cause)}`;
    cause = cause instanceof Error ? cause.cause : undefined;
  }
  return text;
}

/**
 * The longest delay a Node timer holds (2^31 − 1 ms, 24.8 days). A longer one is not an error
 * there: it fires after 1 ms, so UPSTREAM_TOTAL_TIMEOUT=2147484 answered every proxied request
 * with a 504 at once and HEALTH_INTERVAL_MS=2147483648 polled every instance every millisecond.
 */
export const TIMER_MAX_MS = 2 ** 31 - 1;

/**
 * The longest span of seconds a setting counts from now (a session's life, a window): 100 years.
 * Further, now plus it passes the last date a JavaScript Date holds (and PostgreSQL's timestamps).
 */
const SECONDS_MAX = 100 * 365.25 * 24 * 3600;

/** The most days a setting keeps something for: 100 years, as SECONDS_MAX. */
const DAYS_MAX = 36_500;

/** Building blocks shared by every service's configuration schema. */
export const Env = {
  port: (fallback: number) =>
    Type.Integer({
      minimum: 0,
      maximum: 65535,
      default: fallback,
      description: 'a TCP port number',
    }),
  host: () =>
    Type.String({ default: '127.0.0.1', minLength: 1, description: 'an address to listen on' }),
  postgresUrl: () =>
    Type.String({
      pattern: '^postgres(ql)?://',
      format: SERVER_URL,
      description: 'a postgres:// connection URL',
    }),
  redisUrl: () =>
    Type.Optional(
      Type.String({ pattern: '^rediss?://', format: SERVER_URL, description: 'a redis:// URL' }),
    ),
  smtpUrl: () =>
    Type.Optional(
      Type.String({
        pattern: '^smtps?://',
        format: SERVER_URL,
        description: 'an smtp:// or smtps:// URL',
      }),
    ),
  url: (fallback?: string) =>
    Type.String({
      pattern: '^https?://',
      format: SERVER_URL,
      description: 'an http(s):// URL',
      ...(fallback ? { default: fallback } : {}),
    }),
  /**
   * Where a service's outbox goes (EVENT_SUBSCRIBERS, written from the manifests): `name:type,type=url`
   * entries separated by `;`, as @platform/outbox's parseSubscribers reads them.
   */
  eventSubscribers: () =>
    Type.Optional(
      Type.String({
        pattern:
          '^([a-z][a-z0-9-]*:[^=;\\s]+=https?://[^;\\s]+)(;([a-z][a-z0-9-]*:[^=;\\s]+=https?://[^;\\s]+))*$',
        format: SUBSCRIBER_LIST,
        description: 'name:type,type=url entries separated by ;',
      }),
    ),
  /**
   * Days something is kept (a retention), so at most DAYS_MAX: AUDIT_RETENTION_DAYS=10000000000
   * was taken, and every prune failed (PostgreSQL's interval days are 32-bit; now less that many
   * days is no Date).
   */
  days: (fallback: number, minimum = 1, meaning = '') =>
    Type.Integer({
      minimum,
      maximum: DAYS_MAX,
      default: fallback,
      description: `a number of days, ${minimum} to ${DAYS_MAX} (100 years${meaning ? `; ${meaning}` : ''})`,
    }),
  /**
   * Days a producing service keeps its published outbox events (OUTBOX_RETENTION_DAYS) before the
   * relay deletes them; 0 keeps them for good.
   */
  outboxRetentionDays: () => Env.days(7, 0, '0: never delete published outbox events'),
  /** The shared secret of service-to-service calls (`x-service-token`), too long to guess. */
  serviceToken: () => Type.String({ minLength: 32, description: 'at least 32 characters' }),
  /** 32 random bytes for AES-256, e.g. `openssl rand -base64 32` or Node's base64url. */
  keyEncryptionKey: () =>
    Type.String({
      pattern: '^[A-Za-z0-9+/_-]{43}=?$',
      description: '32 random bytes in base64url or base64 (43 or 44 characters)',
    }),
  /** The longest access token (exp - iat) a verifier accepts; auth's ACCESS_TOKEN_TTL fits in. */
  accessTokenMaxLifetime: () =>
    Type.Integer({
      minimum: 1,
      maximum: SECONDS_MAX,
      default: 3600,
      description: 'a number of seconds, at most 3155760000 (100 years)',
    }),
  /**
   * Seconds added to now (a lifetime, a window), so at most SECONDS_MAX: SESSION_TTL=10000000000000
   * was taken, and every sign-in was a 500 (a session expiring past the last date a Date holds).
   */
  seconds: (fallback: number) =>
    Type.Integer({
      minimum: 1,
      maximum: SECONDS_MAX,
      default: fallback,
      description: 'a number of seconds, at most 3155760000 (100 years)',
    }),
  /** Seconds a timer waits (a timeout, a window), so at most TIMER_MAX_MS. */
  timerSeconds: (fallback: number) =>
    Type.Integer({
      minimum: 1,
      maximum: Math.floor(TIMER_MAX_MS / 1000),
      default: fallback,
      description: 'a number of seconds, at most 2147483 (24.8 days)',
    }),
  /** Milliseconds a timer waits (a timeout, an interval), so at most TIMER_MAX_MS. */
  millis: (fallback: number, minimum = 1) =>
    Type.Integer({
      minimum,
      maximum: TIMER_MAX_MS,
      default: fallback,
      description: `a number of milliseconds, ${minimum} to ${TIMER_MAX_MS} (24.8 days)`,
    }),
  /**
   * Proxies whose X-Forwarded-For is believed (Fastify's trustProxy): addresses, CIDRs or
   * loopback, linklocal, uniquelocal, comma-separated.
   */
  trustProxy: (fallback: string, description = 'addresses or CIDRs, comma-separated') =>
    Type.String({ default: fallback, format: PROXY_LIST, description }),
  logLevel: () =>
    Type.Union(
      [
        Type.Literal('fatal'),
        Type.Literal('error'),
        Type.Literal('warn'),
        Type.Literal('info'),
        Type.Literal('debug'),
        Type.Literal('trace'),
        Type.Literal('silent'),
      ],
      { default: 'info', description: 'one of fatal, error, warn, info, debug, trace, silent' },
    ),
};

export { type Static, Type };
