import { requireServiceToken } from '@platform/auth';
import type { App } from '@platform/http';
import { Type } from 'typebox';
import type { AuthContext } from '../context.ts';
import { declarePermissions } from '../permissions/service.ts';
import { revocationFeed } from '../sessions/revocations.ts';

const FeedQuery = Type.Object(
  {
    after: Type.Integer({ minimum: 0, default: 0, description: 'the last id already seen' }),
    limit: Type.Integer({ minimum: 1, maximum: 1000, default: 1000 }),
  },
  { additionalProperties: false },
);

const Feed = Type.Object({
  items: Type.Array(
    Type.Object({
      id: Type.Integer(),
      session_id: Type.String(),
      expires_at: Type.String({ format: 'date-time' }),
    }),
  ),
  /** Pass as `after` next time; equals `after` when nothing new arrived. */
  last_id: Type.Integer(),
});

const NAME = '^[a-z][a-z0-9-]*$';

const Declaration = Type.Object(
  {
    permissions: Type.Array(
      Type.Object(
        {
          name: Type.String({ pattern: '^[a-z][a-z0-9-]*:[a-z][a-z0-9-]*$', maxLength: 100 }),
          description: Type.String({ minLength: 1, maxLength: 500 }),
          roles: Type.Array(Type.String({ pattern: NAME, maxLength: 100 }), {
            uniqueItems: true,
            maxItems: 100,
          }),
        },
        { additionalProperties: false },
      ),
      { maxItems: 500 },
    ),
  },
  { additionalProperties: false },
);

/**
 * Service-to-service routes. They sit outside `/accounts/v1` because the gateway forwards only
 * `/accounts/*`, and answer only callers with SERVICE_TOKEN: anything else on the private
 * network (a compromised pod, a misrouted proxy) learns nothing about who signed out.
 */
export function internalRoutes(app: App, ctx: AuthContext) {
  app.get(
    '/internal/revocations',
    {
      onRequest: requireServiceToken(ctx.config.SERVICE_TOKEN),
      schema: { hide: true, querystring: FeedQuery, response: { 200: Feed } },
      // Every verifier polls this a few times a second; its access log lines would drown the rest.
      logLevel: 'warn',
    },
    async (request) => revocationFeed(ctx.db, request.query.after, request.query.limit),
  );

  // A service declares the permissions it checks (its manifest's) when it starts: see
  // permissions/service.ts. Auth declares its own the same way, without HTTP.
  app.put(
    '/internal/permissions/:service',
    {
      onRequest: requireServiceToken(ctx.config.SERVICE_TOKEN),
      schema: {
        hide: true,
        params: Type.Object({ service: Type.String({ pattern: NAME, maxLength: 100 }) }),
        body: Declaration,
      },
    },
    async (request, reply) => {
      await declarePermissions(ctx.db, request.params.service, request.body.permissions);
      return reply.code(204).send();
    },
  );
}
