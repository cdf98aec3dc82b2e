/** Just the parts of an OpenAPI 3.1 document that merging touches. */
export interface OpenApi {
  openapi?: string;
  info?: { title?: string; description?: string };
  paths?: Record<string, Record<string, { tags?: string[] } & Record<string, unknown>>>;
  components?: Record<string, Record<string, unknown>>;
  tags?: { name: string; description?: string }[];
  [key: string]: unknown;
}

const METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

/**
 * One document for the whole API. Each service's paths already carry its public prefix, so
 * paths merge as they are; every operation is tagged with its service (the page groups by it),
 * and components merge by name (the first service to define one keeps it).
 */
export function mergeDocuments(
  base: OpenApi,
  documents: { service: string; prefix: string; document: OpenApi | undefined }[],
): OpenApi {
  const paths: NonNullable<OpenApi['paths']> = {};
  const components: NonNullable<OpenApi['components']> = {};
  const tags: NonNullable<OpenApi['tags']> = [];
  const operationIds = new Set<string>();
  for (const { service, prefix, document } of documents) {
    // operationIds are unique per service; one another service also uses gets its name first.
    const uniqueId = (id: unknown) => {
      if (typeof id !== 'string') return {};
      const unique = operationIds.has(id) ? `${service}${id[0]!.toUpperCase()}${id.slice(1)}` : id;
      operationIds.add(unique);
      return { operationId: unique };
    };
    tags.push({
      name: service,
      description: document
        ? (document.info?.description ?? document.info?.title ?? service)
        : `Unavailable: ${prefix}/v1/openapi.json could not be fetched.`,
    });
    if (!document) continue;
    for (const [path, item] of Object.entries(document.paths ?? {})) {
      const tagged: (typeof paths)[string] = {};
      for (const [method, operation] of Object.entries(item)) {
        tagged[method] =
          METHODS.has(method) && operation && typeof operation === 'object'
            ? { ...operation, ...uniqueId(operation.operationId), tags: [service] }
            : operation;
      }
      paths[path] = tagged;
    }
    for (const [kind, entries] of Object.entries(document.components ?? {})) {
      components[kind] = { ...entries, ...components[kind] };
    }
  }
  return { ...base, openapi: '3.1.0', tags, paths, components };
}
