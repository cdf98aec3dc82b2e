import type { SwaggerOptions } from '@fastify/swagger';
import { type CodeTable, GENERIC_CODES } from './codes.ts';

declare module 'fastify' {
  interface FastifySchema {
    /**
     * The codes of the problems this operation answers beyond the ones every operation of its
     * kind gets (validation_failed with input, unauthorized and rate_limited always).
     * Each must be in the service's code table; the OpenAPI document lists them by status.
     */
    errors?: readonly string[];
  }
}

type Schema = Record<string, unknown>;

const FIELD_ERRORS = {
  type: 'array',
  description: 'One entry per invalid field (validation_failed and some conflicts).',
  items: {
    type: 'object',
    required: ['field', 'message'],
    properties: { field: { type: 'string' }, message: { type: 'string' } },
  },
};

/** RFC 9457 problem+json whose `code` is one of `codes`. */
export function problemSchema(codes: readonly string[]): Schema {
  return {
    type: 'object',
    required: ['type', 'title', 'status', 'code', 'detail', 'request_id'],
    properties: {
      type: { type: 'string' },
      title: { type: 'string' },
      status: { type: 'integer' },
      code: { type: 'string', enum: [...codes] },
      detail: { type: 'string' },
      request_id: { type: 'string' },
      errors: FIELD_ERRORS,
    },
  };
}

const hasParts = (schema: Schema) =>
  ['body', 'querystring', 'params', 'headers'].some((part) => schema[part] !== undefined);

/** Methods whose request body Fastify never reads (its `bodyless` methods). */
const BODYLESS = new Set(['GET', 'HEAD', 'TRACE']);

/**
 * The codes an operation can answer: the ones its shape implies, then the declared ones. A method
 * whose body Fastify reads parses one even when the route takes none, so a stray `content-type:
 * application/json` with a malformed body is `bad_request` there too (an empty one is no body) (and an unknown
 * type `unsupported_media_type`, a huge body `payload_too_large`); without a method, only a
 * declared body implies them.
 */
export function operationCodes(schema: Schema, method?: string | readonly string[]): string[] {
  const codes = new Set<string>();
  const readsBody = [method ?? []].flat().some((m) => !BODYLESS.has(m.toUpperCase()));
  if (schema.body !== undefined || readsBody) {
    for (const code of ['bad_request', 'payload_too_large', 'unsupported_media_type']) {
      codes.add(code);
    }
  }
  if (hasParts(schema)) codes.add('validation_failed');
  // Every operation, also a public one: a request carrying a bad, expired or revoked Bearer token
  // is refused with 401 wherever it goes (@platform/auth's authentication, and the gateway).
  codes.add('unauthorized');
  codes.add('rate_limited');
  for (const code of (schema.errors as string[] | undefined) ?? []) codes.add(code);
  return [...codes];
}

/** The problem responses of an operation, by status, from its codes and the table. */
export function problemResponses(codes: readonly string[], table: CodeTable, where: string) {
  const byStatus = new Map<number, string[]>();
  for (const code of codes) {
    const entry = table[code];
    if (!entry)
      throw new Error(`${where}: problem code ${code} is not in the service's code table`);
    byStatus.set(entry.status, [...(byStatus.get(entry.status) ?? []), code]);
  }
  const responses: Record<string, Schema> = {};
  for (const [status, sameStatus] of byStatus) {
    responses[status] = {
      description: sameStatus.map((code) => `\`${code}\`: ${table[code]!.description}`).join(' '),
      content: { 'application/problem+json': { schema: problemSchema(sameStatus) } },
    };
  }
  return responses;
}

/** The values a literal branch allows (`{const}` or `{enum}`), or undefined for another shape. */
function choices(branch: unknown): unknown[] | undefined {
  if (typeof branch !== 'object' || branch === null) return undefined;
  const { const: only, enum: values, type, ...rest } = branch as Schema;
  if (Object.keys(rest).length > 0 || (type !== undefined && typeof type !== 'string')) {
    return undefined;
  }
  if (Array.isArray(values)) return values;
  return only === undefined ? undefined : [only];
}

/**
 * A copy for documentation: a union of literals (TypeBox's anyOf of consts) becomes one enum,
 * and a property with a default is not required (the server fills it in).
 */
export function documentedSchema(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(documentedSchema);
  if (typeof value !== 'object' || value === null) return value;
  const schema: Schema = {};
  for (const [key, inner] of Object.entries(value)) schema[key] = documentedSchema(inner);
  const branches = schema.anyOf as unknown[] | undefined;
  const values = Array.isArray(branches) ? branches.map(choices) : [];
  if (values.length > 1 && values.every((v) => v !== undefined)) {
    const types = new Set((branches as Schema[]).map((branch) => branch.type));
    delete schema.anyOf;
    if (types.size === 1 && [...types][0] !== undefined) schema.type = [...types][0];
    schema.enum = values.flat();
  }
  const properties = schema.properties as Record<string, Schema> | undefined;
  if (Array.isArray(schema.required) && properties) {
    schema.required = schema.required.filter((name) => properties[name]?.default === undefined);
    if ((schema.required as unknown[]).length === 0) delete schema.required;
  }
  return schema;
}

const PARTS = ['body', 'querystring', 'params', 'headers'] as const;

const COMPONENT = '#/components/schemas/';

/** The names of the named schemas `node` refers to, and those they refer to in turn. */
function referredTo(node: unknown, named: Record<string, unknown>, found = new Set<string>()) {
  if (typeof node !== 'object' || node === null) return found;
  const ref = (node as Schema).$ref;
  if (typeof ref === 'string' && ref.startsWith(COMPONENT)) {
    const name = ref.slice(COMPONENT.length);
    if (!found.has(name)) {
      found.add(name);
      referredTo(named[name], named, found);
    }
  }
  for (const inner of Object.values(node)) referredTo(inner, named, found);
  return found;
}

/**
 * The document with its named schemas (named-schemas.ts) as a route's own would be: one a request
 * takes documented by documentedSchema (as the transform below documents a route's input), one
 * an answer holds as it is (as answers are), and a request body that is one described by its
 * description (@fastify/swagger takes a body's description from the schema, which a `$ref` lacks).
 */
function withNamedSchemas(openapi: Schema): Schema {
  const components = (openapi.components ?? {}) as Schema;
  const named = (components.schemas ?? {}) as Record<string, unknown>;
  if (Object.keys(named).length === 0) return openapi;
  const operations = Object.values((openapi.paths ?? {}) as Record<string, Schema>).flatMap(
    (item) => Object.values(item) as (Schema | null)[],
  );
  const answered = referredTo(
    operations.map((operation) => operation?.responses),
    named,
  );
  const schemas = Object.fromEntries(
    Object.entries(named).map(([name, schema]) => [
      name,
      (answered.has(name) ? schema : documentedSchema(schema)) as Schema,
    ]),
  );
  for (const item of Object.values((openapi.paths ?? {}) as Record<string, Schema>)) {
    for (const operation of Object.values(item)) {
      const body = (operation as { requestBody?: Schema } | null)?.requestBody;
      if (!body || body.description !== undefined) continue;
      const media = Object.values((body.content ?? {}) as Record<string, { schema?: Schema }>);
      const refs = new Set(media.map((m) => m.schema?.$ref));
      const [ref] = refs;
      if (refs.size !== 1 || typeof ref !== 'string' || !ref.startsWith(COMPONENT)) continue;
      const description = schemas[ref.slice(COMPONENT.length)]?.description;
      if (typeof description === 'string') body.description = description;
    }
  }
  return { ...openapi, components: { ...components, schemas } };
}

const RESPONSE = '#/components/responses/';

/**
 * The document with each problem response once, in `components.responses`, and a `$ref` to it
 * from every operation that answers it: the same `rate_limited`, `unauthorized`… responses (the
 * whole problem+json schema and the codes' descriptions) were repeated in every operation, over
 * half of each service's document. A response is named by the service and its codes
 * (`analytics.unauthorized.invalid_write_key`): the gateway's /docs merges the services'
 * components by name, and two services may describe a code of the same name differently.
 */
function withSharedProblems(openapi: Schema, service: string): Schema {
  const shared: Record<string, Schema> = {
    ...(((openapi.components as Schema | undefined)?.responses ?? {}) as Record<string, Schema>),
  };
  for (const item of Object.values((openapi.paths ?? {}) as Record<string, Schema>)) {
    for (const operation of Object.values(item) as (Schema | null)[]) {
      const responses = operation?.responses as Record<string, Schema> | undefined;
      for (const [status, response] of Object.entries(responses ?? {})) {
        const media = (response.content as Record<string, { schema?: Schema }> | undefined)?.[
          'application/problem+json'
        ];
        const codes = (media?.schema?.properties as { code?: { enum?: unknown } } | undefined)?.code
          ?.enum;
        if (!Array.isArray(codes) || codes.length === 0) continue;
        const name = [service, ...codes].join('.');
        if (!/^[A-Za-z0-9._-]+$/.test(name)) continue;
        const existing = shared[name];
        if (existing && JSON.stringify(existing) !== JSON.stringify(response)) continue;
        shared[name] = response;
        responses![status] = { $ref: `${RESPONSE}${name}` };
      }
    }
  }
  if (Object.keys(shared).length === 0) return openapi;
  return { ...openapi, components: { ...(openapi.components as Schema), responses: shared } };
}

/**
 * @fastify/swagger options for a service: servers, license, security schemes, and every
 * operation's problem responses generated from the code table (see operationCodes).
 */
export function swaggerOptions(options: {
  name: string;
  version: string;
  description?: string;
  codes?: CodeTable;
  securitySchemes?: Record<string, { type: 'http'; scheme: string; description?: string }>;
}): SwaggerOptions {
  const table = options.codes ?? GENERIC_CODES;
  return {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: `${options.name} service`,
        version: options.version,
        ...(options.description ? { description: options.description } : {}),
        license: { name: 'MIT', identifier: 'MIT' },
      },
      servers: [{ url: '/', description: 'The gateway (or the service itself)' }],
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
          ...options.securitySchemes,
        },
      },
    },
    // A schema registered under a name (named-schemas.ts) is listed under that name, not `def-0`.
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) =>
        typeof json.$id === 'string' && /^[A-Za-z0-9._-]+$/.test(json.$id) ? json.$id : `def-${i}`,
    },
    transformObject: (document) =>
      'openapiObject' in document
        ? (withSharedProblems(
            withNamedSchemas(document.openapiObject as Schema),
            options.name,
          ) as typeof document.openapiObject)
        : document.swaggerObject,
    transform: ({ schema, url, route }) => {
      if (!schema || schema.hide) return { schema, url };
      const where = `${route.method} ${url}`;
      const documented: Schema = { ...(schema as Schema) };
      for (const part of PARTS) {
        if (documented[part] !== undefined) documented[part] = documentedSchema(documented[part]);
      }
      const codes = operationCodes(documented, route.method);
      documented.response = {
        ...((documented.response as Schema | undefined) ?? {}),
        ...problemResponses(codes, table, where),
      };
      delete documented.errors;
      return { schema: documented as typeof schema, url };
    },
  };
}
