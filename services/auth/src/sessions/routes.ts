import { type App, problems } from '@platform/http';
import { Type } from 'typebox';
import type { AuthContext } from '../context.ts';
import { completeMfaSignIn } from './mfa-sign-in.ts';
import { endOtherSessions, endSession, listSessions } from './own-sessions.ts';
import { logout, logoutWithRefreshToken, refresh } from './rotation.ts';
import {
  LoginBody,
  LogoutBody,
  LogoutQuery,
  MfaLoginBody,
  RefreshBody,
  SessionList,
  SessionParams,
  SignInResponse,
  TokenPair,
} from './schema.ts';
import { login } from './sign-in.ts';
import { uncached } from './uncached.ts';

export function sessionRoutes(app: App, ctx: AuthContext) {
  app.post(
    '/login',
    {
      // A way (back) in: an old token the client may still attach is ignored (packages/auth).
      config: { ignoresToken: true },
      onRequest: uncached,
      schema: {
        tags: ['sessions'],
        operationId: 'login',
        security: [],
        errors: ['invalid_credentials'],
        summary: 'Sign in with email or username and password',
        description:
          'With MFA on, the answer is `{mfa_required: true, mfa_token, methods}` instead of ' +
          'tokens; finish at POST /login/mfa.',
        body: LoginBody,
        response: { 200: SignInResponse },
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
    '/login/mfa',
    {
      // A way (back) in: an old token the client may still attach is ignored (packages/auth).
      config: { ignoresToken: true },
      onRequest: uncached,
      schema: {
        tags: ['sessions'],
        operationId: 'completeMfaLogin',
        errors: ['invalid_mfa_code', 'invalid_mfa_token'],
        summary: 'Finish a sign-in with a TOTP code or a recovery code',
        description:
          'The `mfa_token` from /login works once and for a few minutes. A code is refused a ' +
          'second time, and so is a recovery code. Wrong codes count like wrong passwords ' +
          '(429 with Retry-After); `invalid_mfa_token` means signing in again.',
        security: [],
        body: MfaLoginBody,
        response: { 200: TokenPair },
      },
    },
    async (request) => {
      const { mfa_token, code, recovery_code } = request.body;
      if ((code === undefined) === (recovery_code === undefined)) {
        throw problems.badRequest('Give either code or recovery_code.', [
          { field: 'code', message: 'give either code or recovery_code' },
        ]);
      }
      const proof = code !== undefined ? { code } : { recovery_code: recovery_code! };
      const done = await completeMfaSignIn(
        ctx,
        { mfaToken: mfa_token, proof },
        { ip: request.ip, userAgent: request.headers['user-agent'], log: request.log },
      );
      return done.response;
    },
  );

  app.post(
    '/refresh',
    {
      // A way (back) in: an old token the client may still attach is ignored (packages/auth).
      config: { ignoresToken: true },
      onRequest: uncached,
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
    async (request) =>
      refresh(ctx, request.body.refresh_token, {
        ip: request.ip,
        userAgent: request.headers['user-agent'],
        log: request.log,
      }),
  );

  app.post(
    '/logout',
    {
      // A client idle past its access token's 15 minutes still signs out: with the expired token
      // (or none) and the session's refresh token, which proves the session as much as a /refresh
      // would. A 401 there left the session, and its refresh token, alive for 30 days.
      config: { tokenOptional: true },
      // The body is optional, but Fastify validates a missing one as `undefined`.
      preValidation: async (request) => {
        request.body ??= {};
      },
      schema: {
        tags: ['sessions'],
        operationId: 'logout',
        summary: "End the caller's session (and optionally another of theirs)",
        description:
          'Its access and refresh tokens are refused everywhere within a second. Without a ' +
          'valid access token (expired, or none), the `refresh_token` of a live session signs ' +
          'that session out; without either, 401. A spent `refresh_token` there is a reuse, ' +
          'as at `/refresh`: 401, and its whole session is revoked. `?scope=others` signs out ' +
          'every other device instead (as DELETE /user/sessions), `?scope=global` every ' +
          'session of the caller; both need a valid access token (else 401).',
        security: [{ bearer: [] }, {}],
        querystring: LogoutQuery,
        body: LogoutBody,
        response: { 204: Type.Null({ description: 'Signed out' }) },
      },
    },
    async (request, reply) => {
      const client = { ip: request.ip, userAgent: request.headers['user-agent'], log: request.log };
      const refreshToken = request.body?.refresh_token;
      const { scope } = request.query;
      if (scope !== 'local') {
        // Ending other sessions needs to know whose: a refresh token alone does not say enough.
        if (!request.principal) throw problems.unauthorized('A valid access token is required.');
        await endOtherSessions(ctx, request.principal, client);
        if (scope === 'global') await logout(ctx, request.principal, refreshToken, client);
      } else if (request.principal) await logout(ctx, request.principal, refreshToken, client);
      else if (!refreshToken || !(await logoutWithRefreshToken(ctx, refreshToken, client))) {
        throw problems.unauthorized('The access token is invalid, expired or revoked.');
      }
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/user/sessions',
    {
      onRequest: app.authenticate,
      schema: {
        tags: ['sessions'],
        operationId: 'listOwnSessions',
        summary: "The signed-in user's live sessions, most recently used first",
        security: [{ bearer: [] }],
        response: { 200: SessionList },
      },
    },
    async (request) => listSessions(ctx, request.principal!),
  );

  app.delete(
    '/user/sessions',
    {
      onRequest: app.authenticate,
      schema: {
        tags: ['sessions'],
        operationId: 'endOtherOwnSessions',
        summary: 'Sign out every other device: end all the caller’s sessions but this one',
        description:
          'Their access and refresh tokens are refused everywhere within a second; each ended ' +
          'session is recorded as `session.revoked`. The session of the token asking stays ' +
          '(end it with POST /logout). None other: 204 all the same.',
        security: [{ bearer: [] }],
        response: { 204: Type.Null({ description: 'Every other session ended' }) },
      },
    },
    async (request, reply) => {
      await endOtherSessions(ctx, request.principal!, {
        ip: request.ip,
        userAgent: request.headers['user-agent'],
        log: request.log,
      });
      return reply.code(204).send(null);
    },
  );

  app.delete(
    '/user/sessions/:id',
    {
      onRequest: app.authenticate,
      schema: {
        tags: ['sessions'],
        operationId: 'endOwnSession',
        errors: ['not_found'],
        summary: 'End one of the signed-in user’s sessions',
        description:
          'Its access and refresh tokens are refused everywhere within a second. Another ' +
          "user's session, an ended one or an unknown id: 404.",
        security: [{ bearer: [] }],
        params: SessionParams,
        response: { 204: Type.Null({ description: 'Session ended' }) },
      },
    },
    async (request, reply) => {
      await endSession(ctx, request.principal!, request.params.id, {
        ip: request.ip,
        userAgent: request.headers['user-agent'],
        log: request.log,
      });
      return reply.code(204).send(null);
    },
  );
}
