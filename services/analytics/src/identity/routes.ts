import type { App } from '@platform/http';
import { Type } from 'typebox';
import type { AnalyticsContext } from '../context.ts';
import { readProfile } from './service.ts';

const Profile = Type.Object({
  user_id: Type.String(),
  traits: Type.Record(Type.String(), Type.Unknown(), {
    description: 'Merged from identify calls; a newer one wins',
  }),
  anonymous_ids: Type.Array(Type.String(), {
    description: 'Linked to this user by alias or identify, oldest first',
  }),
  first_seen: Type.String({ format: 'date-time' }),
  last_seen: Type.String({ format: 'date-time' }),
});

const Params = Type.Object({
  user_id: Type.String({
    minLength: 1,
    maxLength: 200,
    pattern: '^[^\\u0000-\\u001f\\u007f]+$',
    'x-pattern-message': 'must not contain control characters (line breaks, tabs)',
    description: 'The user id messages named',
  }),
});

/** Admins read a user's profile (analytics:read). */
export function profileRoutes(api: App, ctx: AnalyticsContext) {
  api.get(
    '/profiles/:user_id',
    {
      onRequest: api.authorize('analytics:read'),
      schema: {
        operationId: 'getProfile',
        errors: ['forbidden', 'not_found'],
        tags: ['profiles'],
        summary: "A user's traits, linked anonymous ids and when they were first and last seen",
        security: [{ bearer: [] }],
        params: Params,
        response: { 200: Profile },
      },
    },
    async (request) => readProfile(ctx, request.params.user_id),
  );
}
