import type { App } from '@platform/http';
import { Type } from 'typebox';
import type { AuthContext } from '../context.ts';
import { resetMailer } from './reset.ts';
import { Accepted, ChangePasswordBody, ConfirmResetBody, ResetPasswordBody } from './schema.ts';
import { changePassword, confirmReset } from './service.ts';

const bearer = [{ bearer: [] }];
const ACCEPTED = {
  detail: 'If an account uses this email, a password reset token has been mailed to it.',
};

export function passwordRoutes(app: App, ctx: AuthContext) {
  const mailReset = resetMailer(app, ctx);

  app.post(
    '/change-password',
    {
      preHandler: app.authenticate,
      schema: {
        tags: ['passwords'],
        operationId: 'changePassword',
        errors: ['current_password_incorrect'],
        summary: "Change the signed-in user's password; their other sessions are signed out",
        security: bearer,
        body: ChangePasswordBody,
        response: { 204: Type.Null({ description: 'Password changed' }) },
      },
    },
    async (request, reply) => {
      await changePassword(ctx, request.principal!, request.body, {
        ip: request.ip,
        userAgent: request.headers['user-agent'],
        log: request.log,
      });
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/reset-password',
    {
      // A way (back) in: an old token the client may still attach is ignored (packages/auth).
      config: { ignoresToken: true },
      schema: {
        tags: ['passwords'],
        operationId: 'requestPasswordReset',
        security: [],
        summary: 'Mail a single-use password reset token, if an account uses this email',
        body: ResetPasswordBody,
        response: { 202: Accepted },
      },
    },
    async (request, reply) => {
      reply.code(202).send(ACCEPTED);
      mailReset(request.body.email, request.log);
      return reply;
    },
  );

  app.post(
    '/reset-password/confirm',
    {
      // A way (back) in: an old token the client may still attach is ignored (packages/auth).
      config: { ignoresToken: true },
      schema: {
        tags: ['passwords'],
        operationId: 'confirmPasswordReset',
        security: [],
        errors: ['invalid_token'],
        summary: 'Set a new password with a mailed reset token; every session is signed out',
        body: ConfirmResetBody,
        response: { 204: Type.Null({ description: 'Password set' }) },
      },
    },
    async (request, reply) => {
      await confirmReset(ctx, request.body, {
        ip: request.ip,
        userAgent: request.headers['user-agent'],
        log: request.log,
      });
      return reply.code(204).send(null);
    },
  );
}
