import type { App } from '@platform/http';
import { Type } from 'typebox';
import type { AuthContext } from '../context.ts';
import { RegisterBody, UserEnvelope, VerifyEmailBody } from './schema.ts';
import { register } from './service.ts';
import { verifyEmail } from './verification.ts';

export function accountRoutes(app: App, ctx: AuthContext) {
  app.post(
    '/register',
    {
      // A way (back) in: an old token the client may still attach is ignored (packages/auth).
      config: { ignoresToken: true },
      schema: {
        tags: ['accounts'],
        operationId: 'register',
        security: [],
        errors: ['email_taken', 'username_taken'],
        summary: 'Create an account; a verification token is mailed',
        body: RegisterBody,
        response: { 201: UserEnvelope },
      },
    },
    async (request, reply) => {
      const user = await register(ctx, request.body, request.log);
      return reply.code(201).send({ user });
    },
  );

  app.post(
    '/verify-email',
    {
      // A way (back) in: an old token the client may still attach is ignored (packages/auth).
      config: { ignoresToken: true },
      schema: {
        tags: ['accounts'],
        operationId: 'verifyEmail',
        security: [],
        errors: ['invalid_token', 'email_taken'],
        summary: 'Confirm an email address with the token mailed to it',
        description:
          'A token from registration verifies the email; one from an email change makes the ' +
          'pending address the email (409 if another account took it meanwhile).',
        body: VerifyEmailBody,
        response: { 204: Type.Null({ description: 'Verified' }) },
      },
    },
    async (request, reply) => {
      await verifyEmail(ctx, request.body.token, {
        ip: request.ip,
        userAgent: request.headers['user-agent'],
        log: request.log,
      });
      return reply.code(204).send(null);
    },
  );
}
