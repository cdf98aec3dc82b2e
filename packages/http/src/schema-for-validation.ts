// The schema a validator is compiled from: the one a route (or addSchema) declares, rewritten
// by these pure functions; strictValidators (input-strictness.ts) compiles it.

const MAX = Number.MAX_SAFE_INTEGER;

/** What a schema is validated as: integers bounded, unions of literals one enum each. */
export const forValidation = (schema: unknown) => literalsAsEnums(withSafeIntegers(schema));

/** The text a branch allows when it is a string literal alone (TypeBox's `{type, const}`). */
function stringLiteral(branch: unknown): string | undefined {
  if (typeof branch !== 'object' || branch === null || Array.isArray(branch)) return undefined;
  const { type, const: value, ...rest } = branch as Record<string, unknown>;
  return type === 'string' && typeof value === 'string' && Object.keys(rest).length === 0
    ? value
    : undefined;
}

/**
 * A union of string literals (TypeBox's anyOf of consts: a Segment message's `type`, a report's
 * `type`) as the one `enum` it means, as the OpenAPI documents already show it. The same values
 * pass (only strings can equal them, so no `type` is needed, and text needs no coercion); a value
 * that fails is one error instead of one per branch and the anyOf's own: a Segment batch of
 * 45 000 `{"type":1}` messages (500 KB; a browser key is public) was 315 000 errors and about
 * 10 s of analytics' event loop to validate, set aside and describe. fieldErrors words an enum as
 * it words such a union ("must be one of track, identify, …").
 */
function literalsAsEnums(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(literalsAsEnums);
  if (typeof schema !== 'object' || schema === null) return schema;
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) copy[key] = literalsAsEnums(value);
  const values = Array.isArray(copy.anyOf) ? copy.anyOf.map(stringLiteral) : [];
  if (values.length > 1 && values.every((v) => v !== undefined) && !('type' in copy)) {
    delete copy.anyOf;
    copy.enum = values;
  }
  return copy;
}

/** A copy of `schema` in which every integer is bounded by ±(2^53 − 1). */
function withSafeIntegers(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(withSafeIntegers);
  if (typeof schema !== 'object' || schema === null) return schema;
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) copy[key] = withSafeIntegers(value);
  const type = copy.type;
  if (type === 'integer' || (Array.isArray(type) && type.includes('integer'))) {
    copy.minimum = Math.max(typeof copy.minimum === 'number' ? copy.minimum : -MAX, -MAX);
    copy.maximum = Math.min(typeof copy.maximum === 'number' ? copy.maximum : MAX, MAX);
  }
  return copy;
}

/** Header names arrive in lower case; Fastify lowers a schema's only for its own compiler. */
export function lowerCaseHeaders(schema: unknown): unknown {
  if (typeof schema !== 'object' || schema === null) return schema;
  const { properties, required, ...rest } = schema as {
    properties?: Record<string, unknown>;
    required?: string[];
  };
  return {
    ...rest,
    ...(properties
      ? {
          properties: Object.fromEntries(
            Object.entries(properties).map(([k, v]) => [k.toLowerCase(), v]),
          ),
        }
      : {}),
    ...(required ? { required: required.map((k) => k.toLowerCase()) } : {}),
  };
}
