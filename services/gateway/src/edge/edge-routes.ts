import { ConfigError } from '@platform/config';
import { type Static, Type } from 'typebox';
import Value from 'typebox/value';
import type { Config } from '../config.ts';
import type { ExactRoute } from '../proxy/options.ts';
import { strictLimit, strictLimits } from './rate-limits.ts';

const EdgeRoutesSchema = Type.Array(
  Type.Object(
    {
      method: Type.Union(['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].map((m) => Type.Literal(m))),
      // A `:name` segment is a path parameter (Fastify's syntax): any one segment.
      url: Type.String({
        pattern: '^(/([A-Za-z0-9._~-]+|:[A-Za-z][A-Za-z0-9_]*))+$',
        'x-pattern-message':
          'must be a path: segments of letters, digits, . _ ~ or -, or :name parameters, each after a /',
      }),
      limit: Type.Optional(Type.String()),
      body_limit: Type.Optional(Type.Integer({ minimum: 1 })),
      requires_token: Type.Optional(Type.Boolean()),
      basic_auth: Type.Optional(Type.Boolean()),
      any_origin: Type.Optional(Type.Boolean()),
      ignores_token: Type.Optional(Type.Boolean()),
      cache: Type.Optional(Type.Literal('anonymous')),
    },
    { additionalProperties: false },
  ),
);

const EXPECTED =
  'a JSON array of {method, url, limit?, body_limit?, requires_token?, basic_auth?, any_origin?, ignores_token?, cache?}';

/**
 * EDGE_ROUTES: the routes treated apart from the rest of their service's prefix, as the services'
 * manifests declare them (`edge`): a stricter per-address rate limit for routes that guess or
 * spend credentials, a larger body limit for uploads, a token required before a large body is
 * read. The gateway itself names no route.
 */
export function edgeRoutes(config: Config): ExactRoute[] {
  if (!config.EDGE_ROUTES) return [];
  let value: unknown;
  try {
    value = JSON.parse(config.EDGE_ROUTES);
  } catch {
    throw new ConfigError(`EDGE_ROUTES is invalid: expected ${EXPECTED}`);
  }
  const [first] = Value.Errors(EdgeRoutesSchema, value);
  if (first) {
    throw new ConfigError(`EDGE_ROUTES is invalid: ${first.instancePath || '/'} ${first.message}`);
  }
  const limits = strictLimits(config);
  return (value as Static<typeof EdgeRoutesSchema>).map((route) => {
    const max = route.limit === undefined ? undefined : limits[route.limit];
    if (route.limit !== undefined && max === undefined) {
      throw new ConfigError(
        `EDGE_ROUTES is invalid: ${route.url} asks for limit ${route.limit}; expected one of ${Object.keys(limits).join(', ')}`,
      );
    }
    if (route.cache && route.method !== 'GET') {
      throw new ConfigError(
        `EDGE_ROUTES is invalid: ${route.url} asks for cache on ${route.method}; only GET answers are kept`,
      );
    }
    const strict =
      route.limit && max !== undefined ? strictLimit(config, route.limit, max) : undefined;
    return {
      method: route.method as ExactRoute['method'],
      url: route.url,
      options: {
        ...(route.body_limit ? { bodyLimit: route.body_limit } : {}),
        config: {
          ...strict?.config,
          ...(route.requires_token ? { requiresToken: true } : {}),
          // The service checks these credentials itself (packages/auth, basicAuth).
          ...(route.basic_auth ? { basicAuth: true } : {}),
          // Pages on any origin call it (edge/security.ts); CORS_ORIGINS does not apply.
          ...(route.any_origin ? { anyOrigin: true, cors: false } : {}),
          // A route that hands out tokens: the old token a client still attaches is ignored.
          ...(route.ignores_token ? { ignoresToken: true } : {}),
          // Anonymous answers kept and served by the gateway while current (proxy/freshness.ts).
          ...(route.cache === 'anonymous' ? { sharedCache: true } : {}),
        },
      },
    };
  });
}
