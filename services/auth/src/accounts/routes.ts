import type { App } from '@platform/http';
import type { AuthContext } from '../context.ts';
import { RegisterBody, UserEnvelope } from './schema.ts';
import { register } from './service.ts';

export function accountRoutes(app: App, ctx: AuthContext) {
  app.post(
    '/register',
    {
      schema: {
        tags: ['accounts'],
        summary: 'Create an account; a verification link is mailed',
        body: RegisterBody,
        response: { 201: UserEnvelope },
      },
    },
    async (request, reply) => {
      const user = await register(ctx, request.body);
      return reply.code(201).send({ user });
    },
  );
}
