// Segment's messages validated one by one, and each call type converted to the event analytics keeps.
import { randomUUID } from 'node:crypto';
import { type FieldError, problems } from '@platform/http';
import type { Static } from 'typebox';
import type { AnalyticsContext } from '../context.ts';
import type { AcceptedEvent } from '../events.ts';
import { isReserved, RESERVED_NAMESPACES } from '../ingestion/schema.ts';
import type { Refusal } from './refusals.ts';
import { MAX_MESSAGE_BYTES, type Message, type MessageType } from './schema.ts';

type Msg = Static<typeof Message.ref>;

/** Clocks disagree a little; anything later than this is a client bug. */
const MAX_FUTURE_MS = 5 * 60_000;

/** A message as analytics keeps it: the event, and what identity stitching takes from it. */
export interface Converted {
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
