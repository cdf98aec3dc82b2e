import type { App } from '@platform/http';
import { Type } from 'typebox';
import type { AuthContext } from '../context.ts';
import { getUser } from '../users/service.ts';
import { deleteAccount } from './deletion.ts';
import { updateUser } from './profile-service.ts';
import { DeleteUserBody, UpdateUserBody, UserEnvelope } from './schema.ts';

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
      user: await updateUser(ctx, request.principal!, request.body, {
        ip: request.ip,
        userAgent: request.headers['user-agent'],
        log: request.log,
      }),
    }),
  );

  app.delete(
    '/user',
    {
      // Before validation: an anonymous caller learns nothing about the body's rules.
      onRequest: app.authenticate,
      schema: {
        tags: ['users'],
        operationId: 'deleteOwnAccount',
        errors: ['current_password_incorrect', 'last_admin'],
        summary: "Delete the signed-in user's account",
        description:
          'Needs `current_password` (wrong: 403, throttled like sign-ins). Removes the account, ' +
          'its sessions (refused everywhere within a second), avatar and personal data; main ' +
          "deletes the user's posts and analytics unlinks their events. Email and username are " +
          'free again. The last admin cannot delete their account (409).',
        security: bearer,
        body: DeleteUserBody,
        response: { 204: Type.Null({ description: 'Account deleted' }) },
      },
    },
    async (request, reply) => {
      await deleteAccount(ctx, request.principal!, request.body.current_password, {
        ip: request.ip,
        userAgent: request.headers['user-agent'],
        log: request.log,
      });
      return reply.code(204).send(null);
    },
  );
}
