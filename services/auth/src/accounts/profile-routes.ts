import type { App } from '@platform/http';
import type { AuthContext } from '../context.ts';
import { getUser } from '../users/service.ts';
import { updateUser } from './profile-service.ts';
import { UpdateUserBody, UserEnvelope } from './schema.ts';

const bearer = [{ bearer: [] }];

export function profileRoutes(app: App, ctx: AuthContext) {
  app.get(
    '/user',
    {
      preHandler: app.authenticate,
      schema: {
        tags: ['users'],
        operationId: 'getCurrentUser',
        errors: ['not_found'],
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
        operationId: 'updateCurrentUser',
        errors: ['current_password_incorrect', 'not_found', 'username_taken'],
        summary: "Change the signed-in user's profile",
        description:
          'An email change needs `current_password` and stays in `pending_email` until the token ' +
          'mailed to the new address is sent to `POST /verify-email`; the current address is told. ' +
          'Wrong passwords are throttled like sign-ins (429); email changes are limited per account.',
        security: bearer,
        body: UpdateUserBody,
        response: { 200: UserEnvelope },
      },
    },
    async (request) => ({
      user: await updateUser(ctx, request.principal!.userId, request.body, {
        ip: request.ip,
        log: request.log,
      }),
    }),
  );
}
