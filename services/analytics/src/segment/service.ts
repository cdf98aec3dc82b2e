import { randomUUID } from 'node:crypto';
import { type FieldError, HttpProblem, problems } from '@platform/http';
import type { Static } from 'typebox';
import type { AnalyticsContext } from '../context.ts';
import type { Tx } from '../db/index.ts';
import {
  insertLinks,
  type Link,
  MAX_TRAITS_BYTES,
  type ProfileUpdate,
  upsertProfiles,
} from '../identity/repository.ts';
import { fingerprint, segmentKey } from '../ingestion/dedup.ts';
import { numbered } from '../ingestion/point-numbers.ts';
import { insertRows, packRows } from '../ingestion/queue.ts';
import { eventsRow, ROW_ITEMS } from '../ingestion/queue-rows.ts';
import { isReserved, RESERVED_NAMESPACES } from '../ingestion/schema.ts';
import type { AcceptedEvent } from '../ingestion/types.ts';
import { MAX_MESSAGE_BYTES, type Message, type MessageType } from './schema.ts';

type Msg = Static<typeof Message.ref>;

/** Clocks disagree a little; anything later than this is a client bug. */
const MAX_FUTURE_MS = 5 * 60_000;

/** A message as analytics keeps it: the event, and what identity stitching takes from it. */
interface Converted {
  event: AcceptedEvent;
  type: MessageType;
  messageId: string | undefined;
  traits: Record<string, unknown> | undefined;
  /** An anonymous id this message links to its userId (identify naming both, or alias). */
  links: string | undefined;
  /** Sent with a server write key (false: a browser key's, public). */
  trusted: boolean;
  /** Its place in the request's batch (0 for a single call), as refusals name it. */
  index: number;
}

/** A message of a batch set aside: its place in the batch and what is wrong with it. */
export interface Refusal {
  index: number;
  errors: FieldError[];
  /** Over Segment's 32 KB per message (a batch of only such messages is a 413). */
  large?: boolean;
}

/**
 * Where Segment's messages are stored from, per key kind: a server key's come from a backend of
 * the owners', a browser key's from any page (public, so its userIds are claims) — reports,
 * exports and destinations tell them apart.
 */
export const SEGMENT_SOURCE = { server: 'segment', browser: 'segment-browser' } as const;
/** What a browser key's event ids start with: its message ids, apart from a backend's. */
export const BROWSER_ID_PREFIX = 'browser:';

/** What each type stores as its event's name and properties. */
function shape(m: Msg, type: MessageType): { event: string; properties: Record<string, unknown> } {
  const named = {
    ...(m.name ? { name: m.name } : {}),
    ...(m.category ? { category: m.category } : {}),
  };
  switch (type) {
    case 'track':
      return { event: m.event!, properties: m.properties ?? {} };
    case 'page':
    case 'screen':
      return { event: type, properties: { ...m.properties, ...named } };
    case 'identify':
      return { event: 'identify', properties: m.traits ?? {} };
    case 'group':
      return { event: 'group', properties: { ...m.traits, group_id: m.groupId } };
    case 'alias':
      return { event: 'alias', properties: { previous_id: m.previousId } };
  }
}

/** What a message of this type lacks, as field errors. */
function missing(m: Msg, type: MessageType, at: string): FieldError[] {
  const errors: FieldError[] = [];
  const need = (field: keyof Msg, message: string) => {
    if (m[field] === undefined) errors.push({ field: `${at}${field}`, message });
  };
  if (type === 'alias') {
    need('userId', 'alias needs userId');
    need('previousId', 'alias needs previousId');
  } else if (m.userId === undefined && m.anonymousId === undefined) {
    errors.push({ field: `${at}userId`, message: 'userId or anonymousId is required' });
  }
  if (type === 'track') need('event', 'track needs event');
  if (type === 'group') need('groupId', 'group needs groupId');
  if (m.event !== undefined && isReserved(m.event)) {
    errors.push({
      field: `${at}event`,
      message: `names under ${RESERVED_NAMESPACES.map((n) => `${n}.`).join(', ')} are reserved to the services that emit them`,
    });
  }
  return errors;
}

/**
 * When it happened: `timestamp` as given; else Segment's skew correction, the receive time less
 * how long before `sentAt` the client's `originalTimestamp` was; else the receive time.
 */
function timeOf(m: Msg, sentAt: string | undefined, now: number): number {
  if (m.timestamp) return Date.parse(m.timestamp);
  const sent = m.sentAt ?? sentAt;
  if (m.originalTimestamp && sent) {
    return now - Math.max(0, Date.parse(sent) - Date.parse(m.originalTimestamp));
  }
  return now;
}

/**
 * Validates the messages and converts them. A single call's invalid message is thrown (a 400);
 * a batch's invalid messages (one over Segment's 32 KB too) are set aside in `refused`, each
 * judged alone, so the good ones sent with one bad one are kept (routes.ts answers for them all).
 * A time is not a reason to refuse: Segment takes historical timestamps (imports), and a client
 * library answered 400 drops its whole batch, the good messages with the bad. A message dated
 * after now (a client clock ahead of ours) is kept at the time it arrived; one older than
 * RETENTION_DAYS, which retention would delete at once, is acknowledged and left out, counted in
 * `tooOld`.
 */
export function convert(
  ctx: AnalyticsContext,
  messages: Msg[],
  options: {
    type?: MessageType;
    sentAt?: string | undefined;
    batch: boolean;
    /** The batch index of each message (routes.ts set some aside before); default its place. */
    indices?: readonly number[];
    /**
     * False for a browser key's messages: the key is public, so its identify changes no
     * profile's traits (they stay in the identify event's properties).
     */
    trusted: boolean;
  },
): { messages: Converted[]; tooOld: number; refused: Refusal[] } {
  const now = Date.now();
  const oldest = now - ctx.config.RETENTION_DAYS * 86_400_000;
  const refused: Refusal[] = [];
  let tooOld = 0;
  const out = messages.map((m, i): Converted | undefined => {
    const index = options.indices?.[i] ?? i;
    const at = options.batch ? `batch.${index}.` : '';
    if (options.batch && Buffer.byteLength(JSON.stringify(m)) > MAX_MESSAGE_BYTES) {
      const message = `must be at most ${MAX_MESSAGE_BYTES} bytes`;
      refused.push({ index, errors: [{ field: `batch.${index}`, message }], large: true });
      return undefined;
    }
    const errors: FieldError[] = [];
    const type = options.type ?? m.type;
    if (!type) {
      errors.push({ field: `${at}type`, message: 'each message in a batch needs its type' });
      refused.push({ index, errors });
      return undefined;
    }
    if (options.type && m.type && m.type !== options.type) {
      errors.push({ field: 'type', message: `must be "${options.type}" on this endpoint` });
    }
    errors.push(...missing(m, type, at));
    let time = timeOf(m, options.sentAt, now);
    if (Number.isNaN(time)) {
      errors.push({ field: `${at}timestamp`, message: 'must be a valid date-time' });
    }
    if (errors.length) {
      refused.push({ index, errors });
      return undefined;
    }
    if (time > now + MAX_FUTURE_MS) {
      time = now;
    } else if (time < oldest) {
      tooOld += 1;
      return undefined;
    }
    const { event, properties } = shape(m, type);
    const links =
      type === 'alias'
        ? m.previousId
        : type === 'identify' && m.userId !== undefined
          ? m.anonymousId
          : undefined;
    return {
      event: {
        // A page's ids apart from a backend's (segmentKey): on PostgreSQL an id is stored once.
        id:
          m.messageId === undefined
            ? randomUUID()
            : options.trusted
              ? m.messageId
              : `${BROWSER_ID_PREFIX}${m.messageId}`,
        event,
        source: options.trusted ? SEGMENT_SOURCE.server : SEGMENT_SOURCE.browser,
        userId: m.userId ?? null,
        anonymousId: m.anonymousId ?? null,
        properties,
        timestamp: new Date(time).toISOString(),
      },
      type,
      messageId: m.messageId,
      traits: type === 'identify' && options.trusted ? m.traits : undefined,
      // An id linked to itself says nothing.
      links: links !== undefined && links !== m.userId ? links : undefined,
      trusted: options.trusted,
      index,
    };
  });
  if (!options.batch && refused.length) {
    throw problems.badRequest('Some messages are invalid.', refused[0]!.errors);
  }
  return { messages: out.filter((m) => m !== undefined), tooOld, refused };
}

/** A batch none of whose messages was accepted: nothing is stored, as before batches were split. */
export function noneAccepted(refused: Refusal[]): HttpProblem {
  const errors = byIndex(refused);
  if (refused.some((r) => r.large)) {
    return new HttpProblem(413, `Segment's limit is ${MAX_MESSAGE_BYTES} bytes per message.`, {
      code: 'payload_too_large',
      errors,
    });
  }
  return problems.badRequest('Some messages are invalid; none was stored.', errors);
}

/**
 * A batch of which some messages were stored and some refused: a 400 (the code of any invalid
 * batch), so the client's developer learns of the bad ones, whose errors name each by its index.
 * Segment's libraries drop a batch answered 4xx without retrying: nothing accepted comes twice.
 */
export function partlyAccepted(total: number, refused: Refusal[]): HttpProblem {
  const accepted = total - refused.length;
  return problems.badRequest(
    `${accepted} of ${total} messages were accepted and ${refused.length} refused: the refused ` +
      'ones are listed in errors by their place in the batch (batch.<index>.<field>); the ' +
      'accepted ones are kept, so send only the refused ones again, once corrected.',
    byIndex(refused),
  );
}

const byIndex = (refused: Refusal[]) =>
  [...refused].sort((a, b) => a.index - b.index).flatMap((r) => r.errors);

/**
 * Registers the event names of these messages that this replica does not know (track's `event`;
 * the other types' names are fixed) from the key's budget (a server key's trusted, a browser
 * key's public), all of them or none (registry.ts). A single call whose name the full registry
 * could not take is refused with 400 before anything of it is kept; in a batch, the messages
 * bearing such names are set aside and the others (names known, or fixed) pass: the registry is
 * asked once, for every new name of the batch's valid messages, so no message's name is
 * registered in place of another's by the order they came in, and no request holds the
 * registry's lock more than once.
 */
export async function admitNames(
  ctx: AnalyticsContext,
  messages: Converted[],
  options: { batch: boolean; trusted: boolean },
): Promise<{ admitted: Converted[]; refused: Refusal[] }> {
  const errors = await ctx.eventNames.admit(
    messages.map((m) => m.event.event),
    (i) => (options.batch ? `batch.${messages[i]!.index}.event` : 'event'),
    // A server key is a backend of the owners'; a browser key is in every page: anyone's.
    options.trusted ? 'trusted' : 'public',
  );
  if (errors.length === 0) return { admitted: messages, refused: [] };
  if (!options.batch) throw problems.badRequest('Some event names cannot be registered.', errors);
  const byField = new Map(errors.map((e) => [e.field, e]));
  const refused: Refusal[] = [];
  const admitted = messages.filter((m) => {
    const error = byField.get(`batch.${m.index}.event`);
    if (error) refused.push({ index: m.index, errors: [error] });
    return !error;
  });
  return { admitted, refused };
}

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

/**
 * In one transaction: records profiles and links, hands the events without a message id to the
 * destinations, and queues every event with its message id's fingerprint. The writer claims the
 * ids before it writes (writer-claims.ts): a message seen before is dropped there, so it is
 * stored and counted once on either store, and handed to the destinations only by the claim that
 * took its id. Profiles and links need no claim: a copy changes nothing (a newer identify wins, an
 * older one only fills gaps; the first link stands) — unless the user was deleted meanwhile, so a
 * message whose id a committed claim holds leaves them alone (its answer lost, a client retrying
 * after the account's deletion would bring the profile back; review). Resolves to how many were
 * queued.
 */
export async function ingest(ctx: AnalyticsContext, messages: Converted[]): Promise<number> {
  // The first of a batch's repeats stands for them all.
  const seen = new Set<string>();
  const unique = messages.filter((m) => {
    if (m.messageId === undefined) return true;
    if (seen.has(m.messageId)) return false;
    seen.add(m.messageId);
    return true;
  });
  if (unique.length === 0) return 0;
  const fps = unique.map((m) =>
    m.messageId === undefined ? undefined : fingerprint(segmentKey(m.messageId, m.trusted)),
  );
  const parts = [];
  for (let i = 0; i < unique.length; i += ROW_ITEMS) {
    parts.push(
      eventsRow(
        unique.slice(i, i + ROW_ITEMS).map((m) => m.event),
        fps.slice(i, i + ROW_ITEMS),
      ),
    );
  }
  // Numbered and packed before the transaction begins (see numbered, packRows).
  const numberedParts = await packRows(await numbered(parts, ctx.points));
  const rows = await ctx.db.transaction(async (tx) => {
    await recordIdentities(ctx, tx, unique, fps);
    const unkeyed = unique.filter((m) => m.messageId === undefined).map((m) => m.event);
    if (ctx.destinations.list.length && unkeyed.length) {
      await ctx.destinations.enqueue(tx, unkeyed);
    }
    return insertRows(tx, numberedParts);
  });
  for (const row of rows) ctx.writer.remember(row);
  if (rows.length) ctx.writer.wake();
  return rows.reduce((n, r) => n + r.item.length, 0);
}

/** Profiles and links of the messages, but of none whose message id was taken before. */
async function recordIdentities(
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
