import { type Static, type TObject, Type } from 'typebox';
import Value from 'typebox/value';
import { ConfigError } from './error.ts';
import { readSetting } from './files.ts';
import { FORMATS } from './formats.ts';

export { Env, TIMER_MAX_MS } from './env.ts';
export { folderProblem, readSetting } from './files.ts';
export { ConfigError };

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
    const value = readSetting(key, env);
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
    const verdict = check && typeof setting === 'string' ? check(setting) : true;
    if (typeof verdict === 'string') throw new ConfigError(`${key} is invalid: ${verdict}`);
    if (!verdict) throw new ConfigError(`${key} is invalid: expected ${description ?? format}`);
  }
  return value as Static<T>;
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
 * The error's stack and the messages of its causes: a wrapped error says why only there (drizzle's
 * "Failed query: CREATE TABLE …", its cause `relation "items" already exists`). A failed migration
 * comes as one line of its own (@platform/db's MigrationError, whose stack is its message).
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

export { type Static, Type };
