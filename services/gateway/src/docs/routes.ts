import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { App } from '@platform/http';
import type { Chooser } from '../proxy/panic.ts';
import type { Route } from '../proxy/table.ts';
import { mergeDocuments, type OpenApi } from './merge.ts';

const FETCH_TIMEOUT_MS = 3000;
/** The documents change only on deploys; a minute old is fresh enough for a docs page. */
const CACHE_MS = 60_000;

/**
 * `GET /docs`: Swagger UI (its files from node_modules, no CDN) over one OpenAPI document merged
 * from every service's `/<prefix>/v1/openapi.json`, fetched from a live instance of each.
 */
export async function docsRoutes(
  app: App,
  options: {
    routes: readonly Route[];
    /** By service (proxy/panic.ts): with every instance out, panic-routed as proxied requests. */
    choosers: ReadonlyMap<string, Chooser>;
  },
) {
  let merged: OpenApi | undefined;
  let fetchedAt = 0;
  /** The fetch round under way: everyone who asks meanwhile waits for it rather than start one. */
  let fetching: Promise<void> | undefined;

  const fetchDocument = async (service: string, prefix: string) => {
    const instance = options.choosers.get(service)?.();
    if (!instance) return undefined;
    try {
      const response = await fetch(`${instance.url}${prefix}/v1/openapi.json`, {
        signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
      });
      if (!response.ok) throw new Error(`answered ${response.status}`);
      return (await response.json()) as OpenApi;
    } catch (err) {
      app.log.warn({ err, service }, 'fetching an OpenAPI document failed');
      return undefined;
    }
  };

  const refresh = async () => {
    const documents = await Promise.all(
      options.routes.map(async ({ service, prefix }) => ({
        service,
        prefix,
        document: await fetchDocument(service, prefix),
      })),
    );
    merged = mergeDocuments(app.swagger() as OpenApi, documents);
    // A service that was down is asked again on the next load, not a minute later.
    fetchedAt = documents.every((d) => d.document) ? Date.now() : 0;
  };

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Microservice template API',
        description: 'Every service behind the gateway, one section per service.',
        version: '1.0.0',
        license: { name: 'MIT', identifier: 'MIT' },
      },
      servers: [{ url: '/', description: 'The gateway' }],
    },
  });
  // Someone who opens the gateway's address in a browser lands on the API's documentation.
  app.get('/', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/docs', 302));
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    uiConfig: { docExpansion: 'list', deepLinking: true },
    staticCSP: false,
    // Merged at request time (see the hook below), so the page is whole once services are up.
    transformSpecification: (spec) => merged ?? (spec as OpenApi),
    transformSpecificationClone: false,
    uiHooks: {
      onRequest: async (request) => {
        if (!request.url.startsWith('/docs/json')) return;
        if (merged && Date.now() - fetchedAt < CACHE_MS) return;
        fetching ??= refresh().finally(() => {
          fetching = undefined;
        });
        await fetching;
      },
    },
  });
}
