// Identity side effects of Segment's messages: user profiles and anonymous-id links, in the ingest transaction.
import type { AnalyticsContext } from '../context.ts';
import type { Tx } from '../db/index.ts';
import {
  insertLinks,
  type Link,
  MAX_TRAITS_BYTES,
  type ProfileUpdate,
  upsertProfiles,
} from '../identity/repository.ts';
import type { Converted } from './convert.ts';

/** Per user: profile changes from these messages (traits merged oldest first). */
function profileUpdates(messages: Converted[]): ProfileUpdate[] {
  const byUser = new Map<string, ProfileUpdate>();
  const last = new Map<string, Record<string, unknown>>();
  const ordered = [...messages].sort((a, b) => (a.event.timestamp < b.event.timestamp ? -1 : 1));
  for (const m of ordered) {
    const userId = m.event.userId;
    if (userId === null) continue;
    const at = m.event.timestamp;
    const p = byUser.get(userId) ?? {
      userId,
      traits: {},
      traitsAt: null,
      firstSeen: at,
      lastSeen: at,
    };
    p.lastSeen = at;
    if (m.traits) {
      Object.assign(p.traits, m.traits);
      p.traitsAt = at;
      last.set(userId, m.traits);
    }
    byUser.set(userId, p);
  }
  // As the stored profile does (upsertProfiles): past the limit the newest traits stand alone.
  for (const p of byUser.values()) {
    if (Buffer.byteLength(JSON.stringify(p.traits)) > MAX_TRAITS_BYTES) {
      p.traits = { ...last.get(p.userId) };
    }
  }
  return [...byUser.values()];
}

function linksOf(messages: Converted[]): Link[] {
  const links = new Map<string, Link>();
  for (const m of messages) {
    if (m.links === undefined || links.has(m.links)) continue;
    links.set(m.links, {
      anonymousId: m.links,
      userId: m.event.userId!,
      via: m.type === 'alias' ? 'alias' : 'identify',
      messageId: m.messageId ?? null,
      trusted: m.trusted,
    });
  }
  return [...links.values()];
}

/** Profiles and links of the messages, but of none whose message id was taken before. */
export async function recordIdentities(
  ctx: AnalyticsContext,
  tx: Tx,
  messages: Converted[],
  fps: (string | undefined)[],
) {
  const asks = messages.flatMap((m, i) =>
    fps[i] !== undefined && (m.event.userId !== null || m.links !== undefined) ? [i] : [],
  );
  const taken = await ctx.dedup.taken(
    tx,
    asks.map((i) => fps[i]!),
  );
  const copies = new Set(asks.filter((_, k) => taken[k]));
  const fresh = copies.size ? messages.filter((_, i) => !copies.has(i)) : messages;
  await insertLinks(tx, linksOf(fresh));
  await upsertProfiles(tx, profileUpdates(fresh));
}
