import { type App, problems } from '@platform/http';
import { Type } from 'typebox';
import type { AuthContext } from '../context.ts';
import { logout, refresh } from './rotation.ts';
import { LoginBody, LogoutBody, RefreshBody, TokenPair } from './schema.ts';
import { login } from './service.ts';

export function sessionRoutes(app: App, ctx: AuthContext) {
  app.post(
    '/login',
    {
      schema: {
        tags: ['sessions'],
        operationId: 'login',
        security: [],
        errors: ['invalid_credentials'],
        summary: 'Sign in with email or username and password',
        body: LoginBody,
        response: { 200: TokenPair },
      },
    },
    async (request) => {
      const body = request.body;
      const identifier = body.email ?? body.username;
      if (!identifier || (body.email && body.username)) {
        throw problems.badRequest('Give either email or username.', [
          { field: 'email', message: 'give either email or username' },
        ]);
      }
      return login(
        ctx,
        { login: identifier, password: body.password },
        {
          ip: request.ip,
          userAgent: request.headers['user-agent'],
          log: request.log,
        },
      );
    },
  );

  app.post(
    '/refresh',
    {
      schema: {
        tags: ['sessions'],
        operationId: 'refreshTokens',
        security: [],
        errors: ['invalid_refresh_token'],
        summary: 'Trade a refresh token for a new pair; the old refresh token is spent',
        description:
          'Presenting an already spent refresh token revokes every token of its session.',
        body: RefreshBody,
        response: { 200: TokenPair },
      },
    },
    async (request) => refresh(ctx, request.body.refresh_token, request.log),
  );

  app.post(
    '/logout',
    {
      // Before validation, so an anonymous caller learns nothing about the body it sent.
      onRequest: app.authenticate,
      // The body is optional, but Fastify validates a missing one as `undefined`.
      preValidation: async (request) => {
        request.body ??= {};
      },
      schema: {
        tags: ['sessions'],
        operationId: 'logout',
        summary: "End the caller's session (and optionally another of theirs)",
        description: 'Its access and refresh tokens are refused everywhere within a second.',
        security: [{ bearer: [] }],
        body: LogoutBody,
        response: { 204: Type.Null({ description: 'Signed out' }) },
      },
    },
    async (request, reply) => {
      await logout(ctx, request.principal!, request.body?.refresh_token, request.log);
      return reply.code(204).send(null);
    },
  );
}
