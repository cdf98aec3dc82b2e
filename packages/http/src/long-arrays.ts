import type { FastifyInstance, FastifyRequest, preValidationHookHandler } from 'fastify';

type Schema = Record<string, unknown>;

/**
 * Cuts the arrays of one value as its schema says, `depth` levels into the body. A body nested
 * deeper than any JSON the services accept (input-strictness refuses 100 levels) is not followed.
 */
type Cut = (value: unknown, depth: number) => void;

const MAX_DEPTH = 128;

const isObject = (value: unknown): value is Schema =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A registered schema by its `$id` (`namedSchemas`), as a route's instance knows it. */
type Resolve = (id: string) => unknown;

/** A registered schema whose cuts are being found: a `$ref` to it from inside is a cycle. */
const PENDING = Symbol('pending');

/** The cuts of each registered schema reached, found once per route. */
type Found = Map<Schema, Cut | undefined | typeof PENDING>;

/**
 * The cuts a body schema asks for: every array with a `maxItems`, reached through plain object
 * properties, array items and `$ref`s to registered schemas (a union is not followed). Undefined
 * when the schema has none, so most routes get no hook at all. A registered schema is walked
 * once, however many `$ref`s name it: walked per path, one that names itself three times (a
 * filter of `and`, `or` and `not`) was 3^16 paths to a fixed depth, minutes before its route
 * registered; a `$ref` back to one still being walked cuts as it will once it is.
 */
function cutsOf(schema: unknown, resolve: Resolve, found: Found, depth = 0): Cut | undefined {
  if (!isObject(schema) || depth > 64) return undefined;
  if (typeof schema.$ref === 'string') {
    let target: unknown;
    try {
      target = resolve(schema.$ref.replace(/#$/, ''));
    } catch {
      return undefined;
    }
    if (!isObject(target)) return undefined;
    const known = found.get(target);
    if (known === PENDING) {
      return (value, at) => {
        const cut = found.get(target);
        if (typeof cut === 'function') cut(value, at);
      };
    }
    if (found.has(target)) return known;
    found.set(target, PENDING);
    const cut = cutsOf(target, resolve, found, depth + 1);
    found.set(target, cut);
    return cut;
  }
  if (schema.type === 'array') {
    const max = typeof schema.maxItems === 'number' ? schema.maxItems : undefined;
    const inner = cutsOf(schema.items, resolve, found, depth + 1);
    if (max === undefined && !inner) return undefined;
    return (value, at) => {
      if (!Array.isArray(value) || at > MAX_DEPTH) return;
      if (max !== undefined && value.length > max + 1) value.length = max + 1;
      if (inner) for (const item of value) inner(item, at + 1);
    };
  }
  if (!isObject(schema.properties)) return undefined;
  const inner = Object.entries(schema.properties).flatMap(([name, property]) => {
    const cut = cutsOf(property, resolve, found, depth + 1);
    return cut ? [[name, cut] as const] : [];
  });
  if (inner.length === 0) return undefined;
  return (value, at) => {
    if (!isObject(value) || at > MAX_DEPTH) return;
    for (const [name, cut] of inner) if (Object.hasOwn(value, name)) cut(value[name], at + 1);
  };
}

/**
 * A body's arrays longer than their schema allows are cut to one item past the limit before
 * validation. ajv (allErrors) checks every item of an array that is already too long, so 240 KB
 * of `0` in a list of ten passkey transports, 500 tracked events or ten post tags was 120 000
 * errors and about 2 s of a service's event loop for one request — long enough for the
 * gateway's health poll to find the instance not ready and answer 503 for all of it. Cut, the
 * answer still says the array is too long and lists its first items' faults.
 */
export function capLongArrays(app: FastifyInstance) {
  app.addHook('onRoute', function (this: FastifyInstance, route) {
    const cut = cutsOf(
      (route.schema as { body?: unknown } | undefined)?.body,
      (id) => this.getSchema(id),
      new Map(),
    );
    if (!cut) return;
    const hook: preValidationHookHandler = (request: FastifyRequest, _reply, done) => {
      cut(request.body, 0);
      done();
    };
    route.preValidation = [...[route.preValidation ?? []].flat(), hook];
  });
}
