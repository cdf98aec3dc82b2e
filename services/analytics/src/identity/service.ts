import { problems } from '@platform/http';
import type { AnalyticsContext } from '../context.ts';
import { EARLIEST, LATEST } from '../storable.ts';
import { anonymousIdsOf, isForgotten, profileOf } from './repository.ts';

const UUID = /^[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}$/i;

/**
 * Whether `asked` names the caller's own id, `own`: a UUID (the platform's user ids, which tokens
 * name in lower case) in any case, any other id as written. Only the caller's own id is read in
 * their spelling: events are stored under the `userId` a sender gave, and a site whose Segment
 * clients send upper-case UUIDs (Swift's `uuidString`) keeps them so, so an admin's lookup takes
 * the id as written.
 */
export function isOwnUserId(asked: string, own: string): boolean {
  return asked === own || (UUID.test(asked) && asked.toLowerCase() === own.toLowerCase());
}

/**
 * A user's profile: the traits write-key messages gave, the anonymous ids linked to them, and
 * when they were first and last seen over every stored event of theirs (first-party ones and
 * those under a linked anonymous id included, as /user-activity stitches them). 404 for a user
 * analytics has never seen, or has forgotten.
 */
export async function readProfile(ctx: AnalyticsContext, userId: string) {
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
