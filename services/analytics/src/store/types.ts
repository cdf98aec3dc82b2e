import type { AcceptedEvent, Sample } from '../events.ts';

/**
 * Queued items carry the queue's sequence number: writing the same one twice changes nothing.
 * An event's properties come as their JSON text (older queue rows: as the object).
 */
export type QueuedEvent = Omit<AcceptedEvent, 'properties'> & {
  seq: number;
  /**
   * Its InfluxDB point number (ingestion/point-numbers.ts), the same whenever it is written;
   * absent in rows queued by earlier versions (then `seq` stands in). PostgreSQL keys on `seq`.
   */
  point?: number;
  properties: string | Record<string, unknown>;
  /** `timestamp` in epoch milliseconds, when the producer had it at hand. */
  time?: number;
};
export type QueuedSample = Sample & { seq: number; point?: number };

export interface ActivityQuery {
  /**
   * The user whose events these are; null for a visitor's: then the events sent under
   * `anonymousIds`, whatever user they name.
   */
  userId: string | null;
  /**
   * Anonymous ids linked to the user (identity stitching): their events without a user count as
   * the user's too. Without a user, the anonymous ids asked for.
   */
  anonymousIds?: string[];
  from: Date;
  to: Date;
  event?: string | undefined;
  limit: number;
  /** Opaque, from a previous page's `nextCursor`. */
  cursor?: string | undefined;
  /** Oldest first (a first page only: no cursor goes with it). */
  oldestFirst?: boolean;
}

/** One event as funnels and retention need it: when, who, what. */
export interface TimelineEvent {
  /** Epoch milliseconds. */
  time: number;
  userId: string | null;
  anonymousId: string | null;
  event: string;
}

/** Events a funnel or retention report reads at most; a wider range is the caller's to narrow. */
export const MAX_TIMELINE_EVENTS = 1_000_000;

export interface PerformanceQuery {
  /** Both multiples of the interval since the epoch. */
  from: Date;
  to: Date;
  /** Whole minutes; read from the widest rollup that divides it (rollups.ts). */
  intervalSeconds: number;
  service?: string | undefined;
}

export interface PerformancePoint {
  service: string;
  route: string;
  /** Start of the interval. */
  time: Date;
  requests: number;
  errors: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

/** Which user each of these anonymous ids is linked to (those linked at all). */
export type LinkedUsers = (anonymousIds: string[]) => Promise<ReadonlyMap<string, string>>;

export interface Range {
  from: Date;
  to: Date;
}

/**
 * Where events and samples live: InfluxDB when INFLUX_URL is set, else PostgreSQL. Both pass the
 * same contract tests (test/store-contract.ts). Writes must be idempotent: the writer retries.
 */
export interface Store {
  readonly kind: 'postgres' | 'influxdb';
  /** Creates what the store needs (InfluxDB: database and retention policy). */
  init(): Promise<void>;
  writeEvents(events: QueuedEvent[]): Promise<void>;
  /**
   * Optional, together: events' write body made once, as one flat text, when they are accepted,
   * and a write of such bodies. What waits in the writer's memory is then one string per request
   * instead of objects per event, which the garbage collector would trace and copy while they
   * wait (InfluxDB: line protocol). Without them the writer hands over the events themselves.
   */
  encodeEvents?(events: QueuedEvent[]): string;
  writeEncoded?(bodies: (string | Buffer)[]): Promise<void>;
  writeSamples(samples: QueuedSample[]): Promise<void>;
  /** One user's events, newest first. */
  activity(query: ActivityQuery): Promise<{ items: AcceptedEvent[]; nextCursor: string | null }>;
  performance(query: PerformanceQuery): Promise<PerformancePoint[]>;
  /**
   * Per UTC day, the users active that day: the user ids of its events, and the users its
   * events' anonymous ids are linked to (identity stitching), each counted once. PostgreSQL
   * joins its link table; InfluxDB asks `linkedUsers` (absent: no stitching).
   */
  dailyActiveUsers(
    range: Range,
    linkedUsers?: LinkedUsers,
  ): Promise<{ day: string; users: number }[]>;
  topEvents(range: Range, limit: number): Promise<{ event: string; count: number }[]>;
  topRoutes(
    range: Range,
    limit: number,
  ): Promise<{ service: string; route: string; requests: number; errors: number }[]>;
  signups(range: Range): Promise<{ day: string; signups: number }[]>;
  /**
   * The events named `events` in the range, oldest first, for funnels and retention (computed
   * from these by the service, so both stores give the same answers). Throws TooManyEvents
   * beyond MAX_TIMELINE_EVENTS.
   */
  timeline(range: Range, events: string[]): Promise<TimelineEvent[]>;
  /**
   * Brings derived data up to date with what was written: InfluxDB's rollups (one round of
   * computeRollups); resolves to how much it did, 0 once up to date. PostgreSQL keeps its
   * rollups as it writes and has none.
   */
  settle?(): Promise<number>;
  /**
   * Unlinks deleted users (`user.deleted`), all in one pass over the store: in every stored event
   * and sample whose user id (or an event's anonymous id) is a `userId`, in any case, or whose
   * properties mention it, the id becomes its `pseudonym`. Idempotent; `rewritten` is how many were rewritten. A `userId` is a UUID (auth's
   * ids), so it cannot be a pattern or clash. Given `since` (a `mark` an earlier pass returned),
   * it reads only what was written from about when that pass began: what the earlier pass may
   * not have seen. A store that cannot tell returns no mark, and each pass reads everything.
   */
  forgetUsers(
    users: { userId: string; pseudonym: string }[],
    since?: string,
  ): Promise<{ rewritten: number; mark?: string }>;
  /** Deletes what is older than `before` (InfluxDB's retention policy does this by itself). */
  prune(before: Date): Promise<void>;
  ping(): Promise<void>;
}
