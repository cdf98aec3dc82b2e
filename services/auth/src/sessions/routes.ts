import { type App, problems } from '@platform/http';
import type { AuthContext } from '../context.ts';
import { LoginBody, TokenPair } from './schema.ts';
import { login } from './service.ts';
import { createLoginThrottle } from './throttle.ts';

export function sessionRoutes(app: App, ctx: AuthContext) {
  const throttle = createLoginThrottle(
    ctx.db,
    {
      perAccount: ctx.config.LOGIN_MAX_FAILURES_PER_ACCOUNT,
      perAddress: ctx.config.LOGIN_MAX_FAILURES_PER_ADDRESS,
      windowSeconds: ctx.config.LOGIN_FAILURE_WINDOW,
    },
    app.metrics,
  );

  app.post(
    '/login',
    {
      schema: {
        tags: ['sessions'],
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
        throttle,
        { login: identifier, password: body.password },
        {
          ip: request.ip,
          userAgent: request.headers['user-agent'],
        },
      );
    },
  );
}
