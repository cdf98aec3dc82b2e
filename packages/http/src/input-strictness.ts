import { AjvCompiler, type BuildCompilerFromPool } from '@fastify/ajv-compiler';
import querystring from 'fast-querystring';
import { numbersAsWritten, refs } from './numbers-as-written.ts';
import { forValidation, lowerCaseHeaders } from './schema-for-validation.ts';
import { type AjvError, PATTERN_MESSAGE, readable } from './validation-errors.ts';
import { fault, segment, type Validator } from './validator.ts';

/**
 * Input no handler should ever see, refused where every request part is validated, so each
 * service (and each new one) gets it with its schemas:
 * - NUL characters: PostgreSQL refuses them in text and jsonb, which made every text field a 500;
 * - unpaired surrogates (`"\ud800"` in JSON, `%ED%A0%80` in a URL): not Unicode, stored as U+FFFD;
 * - numbers that are not finite: ajv coerces "Infinity" and "1e400" to Infinity and then skips
 *   its minimum and maximum checks, so `limit=Infinity` reached SQL;
 * - integers beyond ±(2^53 − 1), which a JavaScript number cannot hold exactly (in the schema:
 *   schema-for-validation.ts);
 * - JSON nested more than 100 levels deep, which overflows the stack of JSON.stringify;
 * - date-times outside the years 1 to 9999, or with a leap second;
 * - uuids written as URNs (`urn:uuid:…`), which PostgreSQL's uuid type refuses.
 * The walk over each request part is a loop over its values (a few for a query), no copy.
 */

/**
 * The ajv-compiler Fastify uses, each validator followed by the checks above. A schema that
 * recurs (an id in the path, a page query, the same headers on many routes) is compiled once per
 * ajv instance: each compile is milliseconds of start-up, and a validator keeps no state between
 * calls (Fastify reads its errors right after the call).
 *
 * A JSON body is validated by an ajv of its own that never coerces types: JSON states them, and
 * `{"title": 123}` stored as "123" or `{"flag": "true"}` taken as true hides a client's bug.
 * Query strings, path parameters and headers arrive as text and keep the app's coercion
 * (`?limit=5` is a number).
 */
export function strictValidators(): BuildCompilerFromPool {
  const build = AjvCompiler();
  const compiled = new WeakMap<object, Map<string, unknown>>();
  return (externalSchemas, options) => {
    const onCreate = options?.onCreate;
    // Registered schemas (`addSchema`, named by `$ref`) are bounded as a route's own are: an
    // integer there took 9007199254740993 as …992. ajv-compiler pools by their text, not identity.
    const externals = Object.fromEntries(
      Object.entries(externalSchemas ?? {}).map(([id, schema]) => [id, forValidation(schema)]),
    ) as typeof externalSchemas;
    const compilerFor = (customOptions: object | undefined) => {
      const compile = build(externals, {
        ...options,
        // verbose: each error carries its schema, where a pattern's words are (`readable`).
        customOptions: { ...(customOptions ?? options?.customOptions), verbose: true },
        onCreate: (ajv) => {
          boundDateTimes(ajv);
          plainUuids(ajv);
          ajv.addKeyword({ keyword: PATTERN_MESSAGE, schemaType: 'string' });
          onCreate?.(ajv as never);
        },
      } as typeof options);
      // ajv-compiler hands out one compile function per ajv instance (per externals and options).
      const known = compiled.get(compile) ?? new Map<string, unknown>();
      compiled.set(compile, known);
      return { compile, known };
    };
    const parts = compilerFor(undefined);
    const bodies = compilerFor({ ...options?.customOptions, coerceTypes: false });
    return (route) => {
      const { compile, known } = route.httpPart === 'body' ? bodies : parts;
      const key = `${route.httpPart}\0${JSON.stringify(route.schema)}`;
      const existing = known.get(key);
      if (existing) return existing as ReturnType<typeof compile>;
      const safe = forValidation(route.schema);
      // Node hands headers over by their lower-case names: the checks below read those too.
      const schema = route.httpPart === 'headers' ? lowerCaseHeaders(safe) : safe;
      const validate = compile({ ...route, schema: schema as object });
      let checked = strictly(validate as unknown as Validator);
      if (route.httpPart !== 'body') {
        checked = numbersAsWritten(schema, checked, refs(externalSchemas, schema));
      }
      known.set(key, checked);
      return checked as unknown as typeof validate;
    };
  };
}

function strictly(validate: Validator): Validator {
  const check: Validator = (data, context) => {
    const valid = validate(data, context);
    // A root value ajv coerced (or defaulted) lives in the parent now.
    const value = context?.parentData ? context.parentData[context.parentDataProperty!] : data;
    const faults = isClean(value) ? [] : faultsOf(value);
    if (valid) check.errors = faults;
    else {
      // One message per field: ajv's ("must be integer" for 1e400) when it has one.
      const errors = readable(validate.errors ?? []);
      // ajv's own errors (verbose: they hold the value sent, a password maybe) are let go now,
      // not kept until the route's next request.
      validate.errors = null;
      const reported = new Set(errors.map((e) => e.instancePath));
      check.errors = [...errors, ...faults.filter((f) => !reported.has(f.instancePath))];
    }
    return valid && faults.length === 0;
  };
  // Fastify passes the parent (so ajv can replace a root value) to functions that have this.
  if (validate.schemaEnv) check.schemaEnv = validate.schemaEnv;
  return check;
}

const FIRST_DAY = Date.parse('0001-01-01T00:00:00Z');
const LAST_MOMENT = Date.parse('9999-12-31T23:59:59.999Z');

/**
 * ajv-formats' `date-time`, within the years 1 to 9999 in UTC and without leap seconds: year 0
 * and `+23:59` offsets at either end are refused by PostgreSQL, and `23:59:60` by Date.parse.
 */
function boundDateTimes(ajv: {
  formats: Record<string, unknown>;
  addFormat(name: string, format: unknown): unknown;
}) {
  const original = ajv.formats['date-time'] as { validate?: unknown } | undefined;
  const validate = original?.validate;
  if (typeof validate !== 'function') return;
  ajv.addFormat('date-time', {
    ...original,
    validate: (text: string) => {
      if (!validate(text)) return false;
      const ms = Date.parse(text);
      return ms >= FIRST_DAY && ms <= LAST_MOMENT;
    },
  });
}

/**
 * ajv-formats' `uuid` without its optional `urn:uuid:` prefix: PostgreSQL's uuid type refuses
 * that form, so `GET /main/v1/posts?author=urn:uuid:…` passed validation and failed in SQL (a
 * 500 for anyone); no id the API hands out is written so.
 */
function plainUuids(ajv: { addFormat(name: string, format: unknown): unknown }) {
  ajv.addFormat('uuid', /^[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}$/i);
}

/** Query parameters whose percent-escapes are not UTF-8, marked by parseQuery. */
const UNDECODABLE = Symbol('undecodable query parameters');

/** A `%` that is not an ASCII escape: only those can fail to decode (`%20` never does). */
const BEYOND_ASCII_ESCAPE = /%(?![0-7][0-9A-Fa-f])/;

/**
 * Fastify's query parser, except that a parameter with an escape that decodes to no UTF-8
 * (fast-querystring keeps such text as it came) is marked, for validation to refuse.
 */
export function parseQuery(text: string): Record<string, unknown> {
  const query = querystring.parse(text) as Record<string | symbol, unknown>;
  if (BEYOND_ASCII_ESCAPE.test(text)) {
    const names: string[] = [];
    for (const pair of text.split('&')) {
      const eq = pair.indexOf('=');
      const key = eq === -1 ? pair : pair.slice(0, eq);
      const keyDecodes = decodes(key);
      if (!keyDecodes || (eq !== -1 && !decodes(pair.slice(eq + 1)))) {
        names.push(keyDecodes ? decodeURIComponent(key) : key);
      }
    }
    if (names.length) query[UNDECODABLE] = names;
  }
  return query;
}

/** Whether `text` is valid percent-encoded UTF-8. */
export function decodes(text: string): boolean {
  try {
    decodeURIComponent(text);
    return true;
  } catch {
    return false;
  }
}

// ES2024's String.prototype.isWellFormed (Node 20 has it; the project's lib is ES2023).
const wellFormed = (s: string) => (s as unknown as { isWellFormed(): boolean }).isWellFormed();
const badString = (s: string) => s.includes('\u0000') || !wellFormed(s);

type Json = Record<string, unknown> | unknown[];
/**
 * A plain object or array as parsed from JSON, a query or a path (those two are objects whose
 * prototype has a null prototype), not a Buffer or a stream.
 */
const isContainer = (v: unknown): v is Json => {
  if (typeof v !== 'object' || v === null) return false;
  if (Array.isArray(v)) return true;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null || Object.getPrototypeOf(proto) === null;
};

/** Deeper JSON is refused: JSON.stringify (a log line, a store, a reply) recurses, and overflows. */
const MAX_DEPTH = 100;
/** Enough to show what is wrong without a reply as large as the request. */
const MAX_FAULTS = 20;

/** The common case, without building a path for every value: nothing to report. */
function isClean(root: unknown): boolean {
  if (isContainer(root) && UNDECODABLE in root) return false;
  const values: unknown[] = [root];
  const depths: number[] = [0];
  while (values.length) {
    const value = values.pop();
    const depth = depths.pop()!;
    if (typeof value === 'string') {
      if (badString(value)) return false;
    } else if (typeof value === 'number') {
      if (!Number.isFinite(value)) return false;
    } else if (isContainer(value)) {
      if (depth >= MAX_DEPTH) return false;
      if (Array.isArray(value)) {
        for (const item of value) {
          values.push(item);
          depths.push(depth + 1);
        }
      } else {
        for (const key in value) {
          if (badString(key)) return false;
          values.push(value[key]);
          depths.push(depth + 1);
        }
      }
    }
  }
  return true;
}

function stringFault(s: string): string | undefined {
  if (s.includes('\u0000')) return 'must not contain NUL characters';
  if (!wellFormed(s)) return 'must be well-formed Unicode (it has an unpaired surrogate)';
  return undefined;
}

/** Each bad value (or key) with its JSON pointer, as ajv reports errors. */
function faultsOf(root: unknown): AjvError[] {
  const faults: AjvError[] = [];
  if (isContainer(root) && UNDECODABLE in root) {
    const names = (root as Record<symbol, string[]>)[UNDECODABLE]!;
    for (const name of new Set(names)) {
      faults.push(fault(`/${segment(name)}`, 'must be valid percent-encoded UTF-8'));
    }
  }
  const stack: [unknown, string, number][] = [[root, '', 0]];
  while (stack.length && faults.length < MAX_FAULTS) {
    const [value, path, depth] = stack.pop()!;
    if (typeof value === 'string') {
      const message = stringFault(value);
      if (message) faults.push(fault(path, message));
    } else if (typeof value === 'number') {
      if (!Number.isFinite(value)) faults.push(fault(path, 'must be a finite number'));
    } else if (isContainer(value) && depth >= MAX_DEPTH) {
      faults.push(fault(path, `must not nest more than ${MAX_DEPTH} levels deep`));
    } else if (Array.isArray(value)) {
      value.forEach((item, i) => {
        stack.push([item, `${path}/${i}`, depth + 1]);
      });
    } else if (isContainer(value)) {
      for (const [key, item] of Object.entries(value)) {
        const message = stringFault(key);
        if (message) faults.push(fault(`${path}/${segment(key)}`, `has a name that ${message}`));
        else stack.push([item, `${path}/${segment(key)}`, depth + 1]);
      }
    }
  }
  return faults.reverse();
}
