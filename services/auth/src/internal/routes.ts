import { requireServiceToken } from '@platform/auth';
import type { App } from '@platform/http';
import { Type } from 'typebox';
import type { AuthContext } from '../context.ts';
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
}
