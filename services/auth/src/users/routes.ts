import type { App } from '@platform/http';
import type { AuthContext } from '../context.ts';
import { UpdateUserBody, UserEnvelope } from './schema.ts';
import { getUser, updateUser } from './service.ts';

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

  app.patch(
    '/user',
    {
      // Before validation: an anonymous caller learns nothing about the body's rules.
      onRequest: app.authenticate,
      schema: {
        tags: ['users'],
        summary: "Change the signed-in user's profile; a new email must be verified again",
        security: bearer,
        body: UpdateUserBody,
        response: { 200: UserEnvelope },
      },
    },
    async (request) => ({
      user: await updateUser(ctx, request.principal!.userId, request.body, request.log),
    }),
  );
}
