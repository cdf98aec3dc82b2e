import type { FastifyInstance, FastifyRequest, preValidationHookHandler } from 'fastify';

type Schema = Record<string, unknown>;

/** Cuts the arrays of one value as its schema says. */
type Cut = (value: unknown) => void;

const isObject = (value: unknown): value is Schema =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A registered schema by its `$id` (`namedSchemas`), as a route's instance knows it. */
type Resolve = (id: string) => unknown;

/**
 * The cuts a body schema asks for: every array with a `maxItems`, reached through plain object
 * properties, array items and `$ref`s to registered schemas (a union is not followed). Undefined
 * when the schema has none, so most routes get no hook at all.
 */
function cutsOf(schema: unknown, resolve: Resolve, depth = 0): Cut | undefined {
  if (!isObject(schema) || depth > 32) return undefined;
  if (typeof schema.$ref === 'string') {
    let target: unknown;
    try {
      target = resolve(schema.$ref.replace(/#$/, ''));
    } catch {
      return undefined;
    }
    return cutsOf(target, resolve, depth + 1);
  }
  if (schema.type === 'array') {
    const max = typeof schema.maxItems === 'number' ? schema.maxItems : undefined;
    const inner = cutsOf(schema.items, resolve, depth + 1);
    if (max === undefined && !inner) return undefined;
    return (value) => {
      if (!Array.isArray(value)) return;
      if (max !== undefined && value.length > max + 1) value.length = max + 1;
      if (inner) for (const item of value) inner(item);
    };
  }
  if (!isObject(schema.properties)) return undefined;
  const inner = Object.entries(schema.properties).flatMap(([name, property]) => {
    const cut = cutsOf(property, resolve, depth + 1);
    return cut ? [[name, cut] as const] : [];
  });
  if (inner.length === 0) return undefined;
  return (value) => {
    if (!isObject(value)) return;
    for (const [name, cut] of inner) if (Object.hasOwn(value, name)) cut(value[name]);
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
    const cut = cutsOf((route.schema as { body?: unknown } | undefined)?.body, (id) =>
      this.getSchema(id),
    );
    if (!cut) return;
    const hook: preValidationHookHandler = (request: FastifyRequest, _reply, done) => {
      cut(request.body);
      done();
    };
    route.preValidation = [...[route.preValidation ?? []].flat(), hook];
  });
}
