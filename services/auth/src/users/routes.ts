import type { App } from '@platform/http';
import type { AuthContext } from '../context.ts';
import { UserEnvelope } from './schema.ts';
import { getUser } from './service.ts';

const bearer = [{ bearer: [] }];

export function userRoutes(app: App, ctx: AuthContext) {
  app.get(
    '/user',
    {
      preHandler: app.authenticate,
      schema: {
        tags: ['users'],
        summary: 'The signed-in user',
        security: bearer,
        response: { 200: UserEnvelope },
      },
    },
    async (request) => ({ user: await getUser(ctx, request.principal!.userId) }),
  );
}
