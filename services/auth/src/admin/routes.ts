import type { App } from '@platform/http';
import { Type } from 'typebox';
import { clientOf } from '../audit/service.ts';
import type { AuthContext } from '../context.ts';
import { UserEnvelope, UserIdParams } from '../users/schema.ts';
import { ListUsersQuery, ResetMfaBody, SetRolesBody, UserPage } from './schema.ts';
import { listUsers, resetMfa, setRoles } from './service.ts';

const bearer = [{ bearer: [] }];

export function adminUserRoutes(app: App, ctx: AuthContext) {
  // Authorised before validation, so a caller without the permission learns nothing more.
  const manageUsers = app.authorize('users:manage');

  app.get(
    '/users',
    {
      onRequest: manageUsers,
      schema: {
        tags: ['admin'],
        operationId: 'listUsers',
        errors: ['forbidden'],
        summary: 'Users, oldest first, filtered by text or role (permission users:manage)',
        security: bearer,
        querystring: ListUsersQuery,
        response: { 200: UserPage },
      },
    },
    async (request) => listUsers(ctx, request.query),
  );

  app.put(
    '/users/:id/roles',
    {
      onRequest: manageUsers,
      schema: {
        tags: ['admin'],
        operationId: 'replaceUserRoles',
        errors: ['forbidden', 'not_found', 'last_admin', 'reauthentication_required'],
        summary: "Replace a user's roles",
        description:
          'Taking a role away signs the user out everywhere (their tokens are refused within a ' +
          'second); roles given show in their tokens at the next refresh. Needs a sign-in from the last 15 ' +
          'minutes (refreshing keeps the sign-in time), else 403 `reauthentication_required`.',
        security: bearer,
        params: UserIdParams,
        body: SetRolesBody,
        response: { 200: UserEnvelope },
      },
    },
    async (request) => {
      const user = await setRoles(ctx, request.principal!, request.params.id, request.body.roles, {
        ...clientOf(request),
        log: request.log,
      });
      request.log.info(
        { user_id: user.id, roles: user.roles, by: request.principal!.userId },
        'roles changed',
      );
      return { user };
    },
  );

  app.delete(
    '/users/:id/mfa',
    {
      onRequest: manageUsers,
      schema: {
        tags: ['admin'],
        operationId: 'resetUserMfa',
        errors: ['forbidden', 'not_found', 'mfa_not_enabled', 'current_password_incorrect'],
        summary: "Turn a user's two-factor sign-in off (lost device and recovery codes)",
        description:
          "Needs the calling admin's own `current_password` (wrong: 403 " +
          '`current_password_incorrect`, throttled like sign-ins), so an admin access token ' +
          'alone cannot strip second factors. Removes the TOTP factor, every recovery code, ' +
          'open `mfa_token`s and unredeemed OIDC login codes, and signs the user out everywhere ' +
          '(their tokens are refused within a second): the next sign-in asks only for the ' +
          'password. The user is mailed a notice; audited as `mfa.disabled` with the admin as ' +
          'actor. 409 `mfa_not_enabled` when MFA is off.',
        security: bearer,
        params: UserIdParams,
        body: ResetMfaBody,
        response: { 204: Type.Null({ description: 'MFA is off and the user is signed out' }) },
      },
    },
    async (request, reply) => {
      await resetMfa(ctx, request.principal!, request.params.id, request.body.current_password, {
        ...clientOf(request),
        log: request.log,
      });
      request.log.info({ user_id: request.params.id, by: request.principal!.userId }, 'mfa reset');
      return reply.code(204).send(null);
    },
  );
}
