import { type Static, type TSchema, type TUnsafe, Type } from 'typebox';
import type { App } from './app.ts';

/** A schema several routes share, under a name (see namedSchema). */
export interface NamedSchema<T extends TSchema = TSchema> {
  /** Its name: the `$id` it is registered under, and its `components.schemas` key. */
  readonly name: string;
  /** The schema with its `$id`, as `app.addSchema` takes it. */
  readonly schema: T & { $id: string };
  /** What a route (or another named schema) writes in its place: `{$ref: name}`, typed as it. */
  readonly ref: TUnsafe<Static<T>>;
}

/** Component names OpenAPI allows, which are also plain ajv ids (no `#`, no `/`). */
const NAME = /^[A-Za-z0-9._-]+$/;

/**
 * A schema that several routes take or answer, named once: registered with `app.addSchema`
 * (namedSchemas) and written in routes as `ref`, the OpenAPI document shows it once as
 * `components.schemas.<name>` with a `$ref` from each operation, and the typed client names it
 * (`components['schemas'][name]`). Inlined in every route, a large shape was repeated in the
 * document once per route and per content type (the Segment routes' message: 21 copies).
 * Validation is the same as inline: ajv follows the `$ref` to the registered schema, which
 * input-strictness.ts bounds as a route's own, and its errors name the same fields. The name is
 * global to the whole API: the gateway's /docs merges the services' components by name, so
 * prefix it with the feature (`SegmentMessage`).
 */
export function namedSchema<T extends TSchema>(name: string, schema: T): NamedSchema<T> {
  if (!NAME.test(name)) throw new Error(`named schema ${JSON.stringify(name)}: use [A-Za-z0-9._-]`);
  return {
    name,
    schema: { ...schema, $id: name },
    ref: Type.Unsafe<Static<T>>({ $ref: name }),
  };
}

/**
 * Registers named schemas on `app` (and so on every scope registered inside it afterwards),
 * before the routes that refer to them. Registering one again is a no-op; another schema under a
 * name already taken is an error (Fastify's own would be too, less clearly).
 */
export function namedSchemas(app: App, schemas: readonly NamedSchema[]): void {
  for (const { name, schema } of schemas) {
    const existing = app.getSchema(name);
    if (existing === undefined) app.addSchema(schema);
    else if (JSON.stringify(existing) !== JSON.stringify(schema)) {
      throw new Error(`named schema ${name}: another schema is registered under this name`);
    }
  }
}
