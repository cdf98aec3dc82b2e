import { deref, type Schema } from './hostile-schema.ts';

/** The operations of a service's OpenAPI document as the hostile-input sweep probes them. */
export interface HostileOperation {
  method: string;
  /** The path template, e.g. `/main/v1/posts/{id}`. */
  path: string;
  /** Anyone may call it (no security requirement, or an empty alternative). */
  open: boolean;
  pathParams: string[];
  query: { name: string; required: boolean; schema: Schema }[];
  body?: { type: 'json' | 'multipart'; schema: Schema };
  /** The problem codes its OpenAPI responses document (none given: not checked). */
  codes?: Set<string>;
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

export function hostileOperations(doc: Schema): HostileOperation[] {
  const resolve = (schema: Schema): Schema => {
    let current = schema;
    for (let i = 0; i < 10 && typeof current?.$ref === 'string'; i++) {
      const parts = (current.$ref as string).replace(/^#\//, '').split('/');
      current = parts.reduce<Schema>((node, key) => node?.[key], doc) ?? {};
    }
    return current ?? {};
  };
  const operations: HostileOperation[] = [];
  for (const [path, item] of Object.entries<Schema>(doc.paths ?? {})) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const security: Schema[] | undefined = op.security ?? doc.security;
      const params: Schema[] = [...(item.parameters ?? []), ...(op.parameters ?? [])].map(resolve);
      const content = op.requestBody?.content ?? {};
      const json = content['application/json']?.schema;
      const multipart = content['multipart/form-data']?.schema;
      const codes = new Set<string>();
      for (const response of Object.values<Schema>(op.responses ?? {})) {
        const problem = resolve(
          resolve(response).content?.['application/problem+json']?.schema ?? {},
        );
        for (const code of resolve(problem.properties?.code ?? {}).enum ?? []) codes.add(code);
      }
      operations.push({
        method: method.toUpperCase(),
        path,
        codes,
        open: !security || security.length === 0 || security.some((s) => !Object.keys(s).length),
        pathParams: params.filter((p) => p.in === 'path').map((p) => p.name),
        query: params
          .filter((p) => p.in === 'query')
          .map((p) => ({ name: p.name, required: !!p.required, schema: resolve(p.schema ?? {}) })),
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

/** An operation no document lists (an internal route), with its JSON body's top-level fields. */
export function internal(
  method: string,
  path: string,
  fields?: Record<string, Schema>,
  query: string[] = [],
): HostileOperation {
  return {
    method,
    path,
    open: false,
    pathParams: [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!),
    query: query.map((name) => ({ name, required: false, schema: {} })),
    ...(fields
      ? { body: { type: 'json' as const, schema: { type: 'object', properties: fields } } }
      : {}),
  };
}
