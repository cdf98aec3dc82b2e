/**
 * OpenAPI schemas as the hostile-input sweep walks them (hostile-input.ts): a valid example of a
 * schema, the fields of a body, a copy of a body with one value replaced.
 */

// biome-ignore lint/suspicious/noExplicitAny: OpenAPI schemas are walked as plain JSON.
export type Schema = Record<string, any>;

/**
 * `base` with `value` at `path` (a copy; arrays and objects on the way are copied too). What is
 * missing on the way is made from the schema's example, so that only the one value is wrong.
 */
export function withAt(
  base: unknown,
  path: (string | number)[],
  value: unknown,
  schema: Schema = {},
): unknown {
  if (!path.length) return value;
  const [key, ...rest] = path as [string | number, ...(string | number)[]];
  const branch = branchesOf(schema).find((b) =>
    typeof key === 'number' ? b.items : b.properties?.[key] || b.additionalProperties,
  );
  const child: Schema = (typeof key === 'number' ? branch?.items : branch?.properties?.[key]) ?? {};
  const container =
    typeof base === 'object' && base !== null ? base : typeof key === 'number' ? [] : {};
  const copy = (Array.isArray(container) ? [...container] : { ...container }) as Record<
    string | number,
    unknown
  >;
  const current = copy[key] === undefined && rest.length ? exampleOf(child) : copy[key];
  copy[key] = withAt(current, rest, value, child);
  return copy;
}

/** A schema's alternatives but null. */
function branchesOf(schema: Schema): Schema[] {
  const alternatives: Schema[] = schema.anyOf ?? schema.oneOf ?? [schema];
  return alternatives.filter((s) => s.type !== 'null');
}

/** A body's fields as paths (`[]` the body itself, `['tags', 0]` a tag), to depth 3. */
export function fieldsOf(schema: Schema, at: (string | number)[] = []): (string | number)[][] {
  const found = [at];
  if (at.length >= 3) return found;
  for (const branch of branchesOf(schema)) {
    for (const [key, child] of Object.entries<Schema>(branch.properties ?? {})) {
      found.push(...fieldsOf(child, [...at, key]));
    }
    const free = branch.additionalProperties;
    if (branch.type === 'object' && (free === true || (free && !Object.keys(free).length))) {
      found.push([...at, 'hostile']);
    }
    if (branch.items) found.push(...fieldsOf(branch.items, [...at, 0]));
  }
  return [...new Map(found.map((path) => [JSON.stringify(path), path])).values()];
}

/** A copy of `schema` with every `$ref` replaced by what it points to (no cycles here). */
export function deref(schema: unknown, resolve: (s: Schema) => Schema, depth = 0): Schema {
  if (depth > 20 || typeof schema !== 'object' || schema === null) return schema as Schema;
  if (Array.isArray(schema)) return schema.map((s) => deref(s, resolve, depth + 1)) as Schema;
  return Object.fromEntries(
    Object.entries(resolve(schema as Schema)).map(([k, v]) => [k, deref(v, resolve, depth + 1)]),
  );
}

/** A multipart/form-data body with each field as a file part. */
export function multipartOf(fields: unknown): string {
  const parts = Object.entries((fields ?? {}) as Record<string, unknown>).map(
    ([key, value]) =>
      `--b\r\ncontent-disposition: form-data; name="${key}"; filename="hostile.bin"\r\n\r\n${String(value)}\r\n`,
  );
  return `${parts.join('')}--b--\r\n`;
}

/** The objects and arrays in `value` with their paths, to depth 3. */
export function containersOf(
  value: unknown,
  path: (string | number)[] = [],
): [(string | number)[], object][] {
  if (typeof value !== 'object' || value === null || path.length > 3) return [];
  const found: [(string | number)[], object][] = [[path, value]];
  for (const [key, inner] of Object.entries(value)) {
    found.push(...containersOf(inner, [...path, Array.isArray(value) ? Number(key) : key]));
  }
  return found;
}

/** The names of a body's top-level fields, over every branch of a union. */
export function topLevelFields(schema: Schema): string[] {
  const branches: Schema[] = schema.anyOf ?? schema.oneOf ?? [schema];
  return [...new Set(branches.flatMap((b) => Object.keys(b.properties ?? {})))];
}

/** A value the schema accepts, as far as a short list of guesses allows. */
export function exampleOf(schema: Schema): unknown {
  if (schema.default !== undefined) return schema.default;
  if (schema.const !== undefined) return schema.const;
  if (schema.enum) return schema.enum[0];
  const branches: Schema[] = (schema.anyOf ?? schema.oneOf ?? []).filter(
    (s: Schema) => s.type !== 'null',
  );
  if (branches.length) return exampleOf(branches[0]!);
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'integer':
    case 'number':
      return Math.min(Math.max(1, schema.minimum ?? 1), schema.maximum ?? 1);
    case 'boolean':
      return true;
    case 'array':
      return Array.from({ length: Math.max(0, schema.minItems ?? 0) }, () =>
        exampleOf(schema.items ?? {}),
      );
    case 'object':
    case undefined: {
      if (type === undefined && !schema.properties) return 'hostile';
      const requiredNames = new Set<string>(schema.required ?? []);
      const properties = Object.entries<Schema>(schema.properties ?? {});
      const chosen = properties.filter(([key]) => requiredNames.has(key));
      if (!chosen.length && properties.length && (schema.minProperties ?? 0) > 0) {
        chosen.push(properties[0]!);
      }
      return Object.fromEntries(chosen.map(([key, child]) => [key, exampleOf(child)]));
    }
    default:
      return stringExample(schema);
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
      return `hostile${unique}@example.com`;
    case 'uri':
      return 'https://example.com/';
  }
  const min = schema.minLength ?? 0;
  const max = schema.maxLength ?? Number.POSITIVE_INFINITY;
  const pattern = schema.pattern ? new RegExp(schema.pattern, 'u') : undefined;
  const fits = (s: string) => s.length >= min && s.length <= max && (!pattern || pattern.test(s));
  const candidates = [
    'hostile',
    'hostile-value-1',
    'Hostile value',
    'abcdefgh12',
    'a',
    'A1',
    'P7D',
  ];
  const padded = candidates.map((c) => c.padEnd(min, 'x'));
  return padded.find(fits) ?? padded[0]!;
}
