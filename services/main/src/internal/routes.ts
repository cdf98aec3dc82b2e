import { requireServiceToken } from '@platform/auth';
import type { App } from '@platform/http';
import { Type } from 'typebox';
import type { MainContext } from '../context.ts';
import { deletePostsOfUser } from '../posts/service.ts';

const DomainEvents = Type.Object({
  events: Type.Array(
    Type.Object({
      id: Type.String({ minLength: 1, maxLength: 200 }),
      type: Type.String({ minLength: 1, maxLength: 100 }),
      occurred_at: Type.String({ format: 'date-time' }),
      user_id: Type.Optional(Type.Union([Type.String({ maxLength: 200 }), Type.Null()])),
      payload: Type.Record(Type.String(), Type.Unknown()),
    }),
    { maxItems: 1000 },
  ),
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Domain events from other services' outboxes, for the types main's manifest subscribes to
 * (`subscribes`). Outside `/main/v1`, so the gateway never forwards them; only callers with
 * SERVICE_TOKEN. Delivery is at least once: every handler is idempotent.
 */
export function internalRoutes(app: App, ctx: MainContext) {
  app.post(
    '/internal/events',
    {
      onRequest: requireServiceToken(ctx.config.SERVICE_TOKEN),
      schema: { hide: true, body: DomainEvents },
    },
    async (request, reply) => {
      let handled = 0;
      for (const event of request.body.events) {
        const userId = event.payload.user_id;
        if (event.type === 'user.deleted' && typeof userId === 'string' && UUID.test(userId)) {
          const posts = await deletePostsOfUser(ctx, userId);
          request.log.info({ user_id: userId, posts }, 'deleted the posts of a deleted account');
          handled += 1;
        }
      }
      return reply.code(202).send({ accepted: handled });
    },
  );
}
