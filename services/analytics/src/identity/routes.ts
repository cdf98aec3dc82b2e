import { type App, problems } from '@platform/http';
import { Type } from 'typebox';
import type { AnalyticsContext } from '../context.ts';
import { EARLIEST, LATEST } from '../storable.ts';
import { anonymousIdsOf, isForgotten, profileOf } from './repository.ts';

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
    async (request) => {
      const userId = request.params.user_id;
      if (await isForgotten(ctx.db, userId)) throw problems.notFound('No profile for this user.');
      const [profile, anonymousIds] = await Promise.all([
        profileOf(ctx.db, userId),
        anonymousIdsOf(ctx.db, userId),
      ]);
      const [first, last] = await Promise.all([
        seenAt(ctx, userId, anonymousIds, true),
        seenAt(ctx, userId, anonymousIds, false),
      ]);
      const times = [profile?.firstSeen, profile?.lastSeen, first, last].flatMap((t) =>
        t ? [t.getTime()] : [],
      );
      if (times.length === 0) throw problems.notFound('No profile for this user.');
      return {
        user_id: userId,
        traits: profile?.traits ?? {},
        anonymous_ids: anonymousIds,
        first_seen: new Date(Math.min(...times)).toISOString(),
        last_seen: new Date(Math.max(...times)).toISOString(),
      };
    },
  );
}

/**
 * The time of the user's oldest or newest event, those under their linked anonymous ids
 * included (as /user-activity stitches them), whatever sent it: the profile row knows only the
 * write-key messages naming the user. A few rows, since InfluxDB drops a linked id's events that
 * name another user only after reading them.
 */
async function seenAt(
  ctx: AnalyticsContext,
  userId: string,
  anonymousIds: string[],
  oldestFirst: boolean,
): Promise<Date | undefined> {
  const { items } = await ctx.store.activity({
    userId,
    anonymousIds,
    from: new Date(EARLIEST),
    to: new Date(LATEST),
    limit: 20,
    oldestFirst,
  });
  const at = items[0]?.timestamp;
  return at === undefined ? undefined : new Date(at);
}
