import { problems } from '@platform/http';
import type { AnalyticsContext } from '../context.ts';
import { EARLIEST, LATEST } from '../storable.ts';
import { anonymousIdsOf, isForgotten, profileOf } from './repository.ts';

const UUID = /^[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}$/i;

/**
 * A user id as analytics stores it: a UUID (the platform's user ids, which tokens name in lower
 * case) in lower case, whatever case it was asked for in (`6F9619FF-…` and `6f9619ff-…` are
 * one user); any other id as it is, since a site's own user ids (`userId` of Segment messages)
 * may differ only by case.
 */
export function canonicalUserId(userId: string): string {
  return UUID.test(userId) ? userId.toLowerCase() : userId;
}

/**
 * A user's profile: the traits write-key messages gave, the anonymous ids linked to them, and
 * when they were first and last seen over every stored event of theirs (first-party ones and
 * those under a linked anonymous id included, as /user-activity stitches them). 404 for a user
 * analytics has never seen, or has forgotten.
 */
export async function readProfile(ctx: AnalyticsContext, asked: string) {
  const userId = canonicalUserId(asked);
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
