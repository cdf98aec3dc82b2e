/**
 * The requests of the malformed-input sweep, generated from an OpenAPI 3.1 document: for every
 * operation, every path parameter, query parameter and JSON (or multipart) body field in turn
 * gets each malformed value while the rest of the request stays as valid as the schema allows.
 */

// biome-ignore lint/suspicious/noExplicitAny: OpenAPI schemas are walked as plain JSON.
type Schema = Record<string, any>;

export interface Operation {
  method: string;
  /** The path template, e.g. `/main/v1/posts/{id}`. */
  path: string;
  /** Anonymous callers may use it (no security requirement, or an empty alternative). */
  open: boolean;
  parameters: { name: string; in: string; required?: boolean; schema: Schema }[];
  body?: { type: 'json' | 'multipart'; schema: Schema };
}

export interface SweepRequest {
  /** What is being tried, for the failure list: `PUT /main/v1/posts/{id} body title = NUL`. */
  label: string;
  method: string;
  /** Path and query, percent-encoded as sent. */
  url: string;
  body?: string | FormData;
  /** A JSON body over every route's limit: only 413 is right. */
  tooLarge?: boolean;
}

const MB = 'x'.repeat(1024 * 1024);

/** As they appear in a URL (already percent-encoded). */
const URL_VALUES: [string, string][] = [
  ['NUL', 'a%00b'],
  ['lone surrogate', 'a%ED%A0%80b'],
  ['1e400', '1e400'],
  ['-1e400', '-1e400'],
  ['9007199254740993', '9007199254740993'],
  ['Infinity', 'Infinity'],
  ['-Infinity', '-Infinity'],
  ['a word', 'sweep'],
  ['a fraction', '-1.5'],
  ['a boolean', 'true'],
  ['empty', ''],
  ['1 MB string', MB],
];

/** As JSON text, so that numbers JSON.stringify cannot write (1e400) are sent verbatim. */
const JSON_VALUES: [string, string][] = [
  ['NUL', JSON.stringify('a\u0000b')],
  ['lone surrogate', '"a\\ud800b"'],
  ['1e400', '1e400'],
  ['-1e400', '-1e400'],
  ['9007199254740993', '9007199254740993'],
  ['"Infinity"', '"Infinity"'],
  ['"-Infinity"', '"-Infinity"'],
  ['an object', '{"a":1}'],
  ['an array', '[1]'],
  ['true', 'true'],
  ['null', 'null'],
  ['a fraction', '-1.5'],
  ['a word', '"sweep"'],
  ['nested 50000 deep', `${'['.repeat(50_000)}${']'.repeat(50_000)}`],
  ['1 MB string', JSON.stringify(MB)],
];

const SENTINEL = '\u0001sweep\u0001';

export function operationsOf(doc: Schema): Operation[] {
  const resolve = resolver(doc);
  const operations: Operation[] = [];
  for (const [path, item] of Object.entries<Schema>(doc.paths ?? {})) {
    for (const method of ['get', 'post', 'put', 'patch', 'delete']) {
      const op = item[method];
      if (!op) continue;
      const security: Schema[] | undefined = op.security ?? doc.security;
      const content = op.requestBody?.content ?? {};
      const json = content['application/json']?.schema;
      const multipart = content['multipart/form-data']?.schema;
      operations.push({
        method: method.toUpperCase(),
        path,
        open: !security || security.length === 0 || security.some((s) => !Object.keys(s).length),
        parameters: [...(item.parameters ?? []), ...(op.parameters ?? [])].map((p: Schema) => ({
          name: p.name,
          in: p.in,
          required: p.required,
          schema: resolve(p.schema ?? {}),
        })),
        ...(json
          ? { body: { type: 'json' as const, schema: deref(json, resolve) } }
          : multipart
            ? { body: { type: 'multipart' as const, schema: deref(multipart, resolve) } }
            : {}),
      });
    }
  }
  return operations;
}

/**
 * Every malformed request for `op`. `pathValues` gives real ids (an existing post) so that a
 * body is validated and used, not turned away because its resource does not exist.
 */
export function requestsFor(op: Operation, pathValues: Record<string, string>): SweepRequest[] {
  const name = `${op.method} ${op.path}`;
  const pathParams = op.parameters.filter((p) => p.in === 'path');
  const queryParams = op.parameters.filter((p) => p.in === 'query');
  const path = (override?: [string, string]) =>
    op.path.replace(/\{([^}]+)\}/g, (_, key: string) => {
      if (override && override[0] === key) return override[1];
      const param = pathParams.find((p) => p.name === key);
      return encodeURIComponent(pathValues[key] ?? String(example(param?.schema ?? {})));
    });
  const baseQuery = queryParams
    .filter((p) => p.required)
    .map((p) => [p.name, encodeURIComponent(String(example(p.schema)))] as [string, string]);
  const query = (override?: [string, string[]]) => {
    const pairs = baseQuery.filter(([key]) => key !== override?.[0]);
    for (const value of override?.[1] ?? []) pairs.push([override![0], value]);
    return pairs.length ? `?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}` : '';
  };
  const baseBody = op.body ? example(op.body.schema) : undefined;
  const body = (): SweepRequest['body'] =>
    op.body?.type === 'multipart' ? multipartOf(baseBody) : JSON.stringify(baseBody);

  const requests: SweepRequest[] = [];
  for (const param of pathParams) {
    for (const [label, value] of URL_VALUES) {
      requests.push({
        label: `${name} path ${param.name} = ${label}`,
        method: op.method,
        url: path([param.name, value]) + query(),
        body: body(),
      });
    }
  }
  for (const param of queryParams) {
    const values: [string, string[]][] = URL_VALUES.map(([l, v]) => [l, [v]]);
    values.push(['repeated', ['1', '2']]);
    for (const [label, value] of values) {
      requests.push({
        label: `${name} query ${param.name} = ${label}`,
        method: op.method,
        url: path() + query([param.name, value]),
        body: body(),
      });
    }
  }
  if (op.body) {
    const url = path() + query();
    for (const field of fieldsOf(op.body.schema)) {
      const where = field.length ? field.join('.') : '(root)';
      for (const [label, raw] of JSON_VALUES) {
        const request = { label: `${name} body ${where} = ${label}`, method: op.method, url };
        if (op.body.type === 'multipart') {
          if (field.length !== 1) continue;
          const value = raw.startsWith('"') ? (JSON.parse(raw) as string) : raw;
          const fields = { ...(baseBody as object), [field[0]!]: value };
          requests.push({ ...request, body: multipartOf(fields) });
          continue;
        }
        const text = JSON.stringify(withValue(baseBody, field, SENTINEL, op.body.schema));
        requests.push({
          ...request,
          body: text.replace(JSON.stringify(SENTINEL), raw),
          tooLarge: raw.length >= MB.length,
        });
      }
    }
  }
  return requests;
}

function resolver(doc: Schema) {
  return (schema: Schema): Schema => {
    let current = schema;
    for (let i = 0; i < 10 && typeof current.$ref === 'string'; i++) {
      const parts = (current.$ref as string).replace(/^#\//, '').split('/');
      current = parts.reduce<Schema>((node, key) => node?.[key], doc) ?? {};
    }
    return current;
  };
}

/** A copy with every `$ref` replaced by what it points to (documents here have no cycles). */
function deref(schema: unknown, resolve: (s: Schema) => Schema, depth = 0): Schema {
  if (depth > 20 || typeof schema !== 'object' || schema === null) return schema as Schema;
  if (Array.isArray(schema)) return schema.map((s) => deref(s, resolve, depth + 1)) as Schema;
  const resolved = resolve(schema as Schema);
  return Object.fromEntries(
    Object.entries(resolved).map(([k, v]) => [k, deref(v, resolve, depth + 1)]),
  );
}

const branches = (schema: Schema): Schema[] => {
  const alternatives: Schema[] = schema.anyOf ?? schema.oneOf ?? [schema];
  return alternatives.filter((s) => s.type !== 'null');
};

/** The body's fields as paths (`[]` is the body itself, `['tags', 0]` a tag), to depth 3. */
function fieldsOf(schema: Schema, at: (string | number)[] = []): (string | number)[][] {
  const found = [at];
  if (at.length >= 3) return found;
  for (const branch of branches(schema)) {
    for (const [key, child] of Object.entries<Schema>(branch.properties ?? {})) {
      found.push(...fieldsOf(child, [...at, key]));
    }
    const free = branch.additionalProperties;
    if (branch.type === 'object' && (free === true || (free && !Object.keys(free).length))) {
      found.push([...at, 'sweep']);
    }
    if (branch.items) found.push(...fieldsOf(branch.items, [...at, 0]));
  }
  const unique = new Map(found.map((path) => [JSON.stringify(path), path]));
  return [...unique.values()];
}

/** `base` with `value` at `path`, creating the objects and arrays on the way. */
function withValue(base: unknown, path: (string | number)[], value: unknown, schema: Schema) {
  if (!path.length) return value;
  const [key, ...rest] = path as [string | number, ...(string | number)[]];
  const branch = branches(schema).find((b) =>
    typeof key === 'number' ? b.items : b.properties?.[key] || b.additionalProperties,
  );
  const child: Schema = typeof key === 'number' ? branch?.items : branch?.properties?.[key];
  if (typeof key === 'number') {
    const list = Array.isArray(base) ? [...base] : [];
    list[key] = withValue(list[key] ?? example(child ?? {}), rest, value, child ?? {});
    return list;
  }
  const object = typeof base === 'object' && base !== null ? { ...base } : {};
  const current = (object as Record<string, unknown>)[key];
  (object as Record<string, unknown>)[key] = withValue(
    current === undefined && rest.length ? example(child ?? {}) : current,
    rest,
    value,
    child ?? {},
  );
  return object;
}

const CANDIDATES = ['sweep', 'sweep-value-1', 'Sweep value', 'abcdefgh12', 'a', 'A1', 'P7D'];

/** A value the schema accepts, as far as a short list of guesses allows. */
export function example(schema: Schema): unknown {
  if (schema.default !== undefined) return schema.default;
  if (schema.const !== undefined) return schema.const;
  if (schema.enum) return schema.enum[0];
  const branch = branches(schema)[0] ?? {};
  if (branch !== schema) return example(branch);
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'integer':
    case 'number':
      return Math.min(Math.max(1, schema.minimum ?? 1), schema.maximum ?? 1);
    case 'boolean':
      return true;
    case 'array':
      return Array.from({ length: Math.max(1, schema.minItems ?? 1) }, () =>
        example(schema.items ?? {}),
      );
    case 'object': {
      const properties = Object.entries<Schema>(schema.properties ?? {});
      const required = new Set<string>(schema.required ?? []);
      const chosen = properties.filter(([key]) => required.has(key));
      if (!chosen.length && properties.length && (schema.minProperties ?? 0) > 0) {
        chosen.push(properties[0]!);
      }
      return Object.fromEntries(chosen.map(([key, child]) => [key, example(child)]));
    }
    case 'string':
      return stringExample(schema);
    default:
      return schema.properties ? example({ ...schema, type: 'object' }) : 'sweep';
  }
}

let unique = 0;

function stringExample(schema: Schema): string {
  switch (schema.format) {
    case 'uuid':
      return '00000000-0000-4000-8000-000000000000';
    case 'date-time':
      return '2024-01-02T03:04:05.000Z';
    case 'date':
      return '2024-01-02';
    case 'email':
      unique += 1;
      return `sweep${unique}@example.com`;
    case 'uri':
      return 'https://example.com/';
  }
  const min = schema.minLength ?? 0;
  const max = schema.maxLength ?? Number.POSITIVE_INFINITY;
  const pattern = schema.pattern ? new RegExp(schema.pattern, 'u') : undefined;
  const fits = (s: string) => s.length >= min && s.length <= max && (!pattern || pattern.test(s));
  const padded = CANDIDATES.map((c) => c.padEnd(min, 'x'));
  return padded.find(fits) ?? padded[0]!;
}

function multipartOf(fields: unknown): FormData {
  const form = new FormData();
  for (const [key, value] of Object.entries((fields ?? {}) as Record<string, unknown>)) {
    form.append(key, new Blob([String(value)]), 'sweep.bin');
  }
  return form;
}
