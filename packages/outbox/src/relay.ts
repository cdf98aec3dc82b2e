import { setTimeout as sleep } from 'node:timers/promises';
import { type OutageLogger, outageLog } from '@platform/http';
import { withLinkedSpan } from '@platform/telemetry';
import type pg from 'pg';
import { type PurgeOptions, purgeDelay, purgePublishedEvents } from './purge.ts';
import {
  type Answers,
  MAX_BACKOFF_MS,
  REFUSES_EVENTS,
  type RefusableRow,
  type Refusal,
  type RefusalPolicyOptions,
  refusalRecorder,
  refusedAsABatch,
} from './refusals.ts';

/** The subset of a pino/Fastify logger the relay uses. */
export type RelayLog = OutageLogger;

export interface OutboxRelayOptions extends RefusalPolicyOptions, PurgeOptions {
  /** The producing service's pool, or its Drizzle database (whose `$client` is the pool). */
  pool?: pg.Pool;
  db?: { $client: pg.Pool };
  /** Prefix of the event ids subscribers see: `<service>:<outbox id>`. */
  service: string;
  /** Where each event goes: every subscriber whose types match it (see parseSubscribers). */
  subscribers: EventSubscriber[];
  serviceToken: string;
  log: RelayLog;
  /** Pause between looks at an empty outbox (default 500 ms). */
  intervalMs?: number;
  /** Rows per POST (default 200). */
  batchSize?: number;
  /**
   * Failures are debug lines until a subscriber (or the database) has been unreachable this long
   * (default 30 s), and this process is twice that old (outageLog's `startupMs`): in a start,
   * subscribers come up after the services that feed them.
   */
  quietMs?: number;
  /** Told how many published events each purge deleted (the `outbox_purged_events_total` metric). */
  onPurged?: (count: number) => void;
}

export interface OutboxRelay {
  /**
   * Resolves once everything written so far has been published, set aside, or waits for its retry
   * after a refusal (tests).
   */
  idle(): Promise<void>;
  /** Purges now, as the timer does every `purgeIntervalMs`; resolves to how many went (tests). */
  purge(): Promise<number>;
  close(): Promise<void>;
}

interface OutboxRow extends RefusableRow {
  type: string;
  payload: Record<string, unknown>;
  occurred_at: Date;
  trace_context: string | null;
}

/**
 * The rows a pass sends: unpublished, not set aside, due (`$1` of them, oldest first, locked).
 * Read from `outbox_unpublished_idx`, which holds exactly these rows bar the due time (table.ts).
 */
export const PENDING_EVENTS_SQL = `select id::text as id, type, payload, occurred_at, trace_context,
       refusals, delivered_to
  from outbox
 where published_at is null and set_aside_at is null
   and (retry_at is null or retry_at <= now())
 order by outbox.id limit $1 for update skip locked`;

/** A service that receives domain events on `POST <url>/internal/events`. */
export interface EventSubscriber {
  name: string;
  url: string;
  /** Event types: exact (`user.deleted`), a family (`user.*`), or `*` for all. */
  types: string[];
}

/**
 * EVENT_SUBSCRIBERS as the platform writes it from the manifests' `subscribes`:
 * `name:type,type=url` entries separated by `;`. Throws on anything else.
 */
export function parseSubscribers(text: string | undefined): EventSubscriber[] {
  if (!text?.trim()) return [];
  return text.split(';').map((entry) => {
    const match = /^([a-z][a-z0-9-]*):([^=]+)=(https?:\/\/\S+)$/.exec(entry.trim());
    if (!match) throw new Error(`EVENT_SUBSCRIBERS entry "${entry}" is not name:type,type=url`);
    return { name: match[1]!, types: match[2]!.split(','), url: match[3]! };
  });
}

/** Whether a subscriber taking `types` wants an event of `type`. */
export const subscribesTo = (types: string[], type: string) =>
  types.some(
    (t) => t === '*' || t === type || (t.endsWith('.*') && type.startsWith(t.slice(0, -1))),
  );

/**
 * Relays a service's transactional outbox to each subscriber's `/internal/events`, oldest first,
 * at least once: a batch is marked published only after every subscriber it concerns answered
 * 2xx, in the transaction that locked it (SKIP LOCKED, so replicas of the service never send the
 * same row at once). A subscriber that is down holds the batch back for all (nothing is lost,
 * order is kept), and the others get it again: subscribers drop ids they have seen, or act
 * idempotently, so a re-send is harmless. An event a subscriber refuses as such (REFUSES_EVENTS,
 * found by halving the batch, or the one event it wants of the batch) does not hold back the rest,
 * which go on: it is counted (`refusals`, `first_refused_at`) and sent again later with backoff
 * (`retry_at`), only to the subscribers that have not taken it (`delivered_to`) — so it may reach
 * them after events written later. Taken at last, it is published; refused on
 * setAsideAfterRefusals attempts over setAsideAfterMs, it is set aside with the reason
 * (`set_aside_at`, `failure`; `outbox_set_aside_events`). Like a queue's dead-letter policy
 * (SQS maxReceiveCount), refusals must repeat over time: an old replica refusing what new ones
 * take mid-deploy sets nothing aside. A subscriber refusing every event of a batch (of new ones)
 * holds it back. Published events older than `retentionMs` are deleted on a timer (purge.ts).
 */
export function startOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  const pool = options.pool ?? options.db?.$client;
  if (!pool) throw new Error('startOutboxRelay needs a pool or a db');
  const batchSize = options.batchSize ?? 200;
  const maxBackoff = options.maxBackoffMs ?? MAX_BACKOFF_MS;
  const recordRefusals = refusalRecorder(options);
  let running = true;
  let wake: (() => void) | undefined;
  let emptyPasses = 0;
  const outage = outageLog(options.log, 'relaying the outbox to subscribers failed', {
    quietMs: options.quietMs,
  });

  async function pass(): Promise<number> {
    const client = await pool!.connect();
    try {
      await client.query('begin');
      // `outbox.id`: a bare `id` would sort by the text column selected, putting 10 before 8.
      const { rows } = await client.query<OutboxRow>(PENDING_EVENTS_SQL, [batchSize]);
      if (rows.length > 0) {
        // With tracing on: one span for the batch, linked to the requests that wrote its events.
        await withLinkedSpan(
          'outbox publish',
          rows.map((r) => r.trace_context),
          { 'messaging.system': 'outbox', 'messaging.batch.message_count': rows.length },
          async () => {
            const answers = await send(rows);
            await client.query(
              `update outbox set published_at = now(), refusals = 0, first_refused_at = null,
                      retry_at = null, failure = null, delivered_to = null
                where id = any($1::bigint[])`,
              [rows.filter((r) => !answers.refused.has(r.id)).map((r) => r.id)],
            );
            await recordRefusals(client, rows, answers);
          },
        );
      }
      await client.query('commit');
      return rows.length;
    } catch (error) {
      await client.query('rollback').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  }

  /** Sends the rows to every subscriber that wants them and has not taken them yet. */
  async function send(rows: OutboxRow[]): Promise<Answers> {
    const answers: Answers = { refused: new Map(), took: new Map() };
    for (const subscriber of options.subscribers) {
      // One that another subscriber refused still goes to this one: a subscriber's refusal (or a
      // buggy or hostile one's) must not keep a `user.deleted` from those that act on it.
      const wanted = rows.filter(
        (r) => subscribesTo(subscriber.types, r.type) && !r.delivered_to?.includes(subscriber.name),
      );
      if (wanted.length === 0) continue;
      const refusedHere = await deliver(subscriber, wanted);
      // Every event refused: held back, as for a subscriber that is down (refusedAsABatch).
      if (refusedAsABatch(wanted, refusedHere)) {
        throw new Error(`${refusedHere[0]!.failure} (every event of the batch refused)`);
      }
      const refusedIds = new Set(refusedHere.map((r) => r.id));
      for (const r of wanted) {
        if (!refusedIds.has(r.id))
          answers.took.set(r.id, [...(answers.took.get(r.id) ?? []), subscriber.name]);
      }
      for (const r of refusedHere) {
        const before = answers.refused.get(r.id);
        answers.refused.set(r.id, before ? `${before}; ${r.failure}` : r.failure);
      }
    }
    return answers;
  }

  /**
   * Sends the rows to one subscriber; resolves to those it refused alone (REFUSES_EVENTS). A batch
   * it refuses is sent again in halves, in order, until each refused event is alone.
   */
  async function deliver(subscriber: EventSubscriber, rows: OutboxRow[]): Promise<Refusal[]> {
    const answer = await sendTo(subscriber, rows);
    if (answer === undefined) return [];
    if (rows.length === 1) return [{ id: rows[0]!.id, failure: answer }];
    const half = Math.ceil(rows.length / 2);
    return [
      ...(await deliver(subscriber, rows.slice(0, half))),
      ...(await deliver(subscriber, rows.slice(half))),
    ];
  }

  /**
   * POSTs the rows: undefined when the subscriber took them, the reason when it refused them as
   * events (REFUSES_EVENTS); throws on any other failure, which holds the batch back.
   */
  async function sendTo(
    subscriber: EventSubscriber,
    rows: OutboxRow[],
  ): Promise<string | undefined> {
    const url = `${subscriber.url.replace(/\/+$/, '')}/internal/events`;
    const events = rows.map((r) => {
      const user = r.payload.user_id ?? r.payload.actor_id;
      return {
        id: `${options.service}:${r.id}`,
        type: r.type,
        occurred_at: new Date(r.occurred_at).toISOString(),
        ...(typeof user === 'string' ? { user_id: user } : {}),
        payload: r.payload,
      };
    });
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-service-token': options.serviceToken },
      body: JSON.stringify({ events }),
      signal: AbortSignal.timeout(10_000),
    });
    if (res.ok) {
      await res.body?.cancel();
      return undefined;
    }
    const reason = `${subscriber.name} answered ${res.status}: ${(await res.text()).slice(0, 500)}`;
    if (REFUSES_EVENTS.has(res.status)) return reason;
    throw new Error(reason);
  }

  const loop = (async () => {
    let backoff = 200;
    while (running) {
      try {
        const sent = await pass();
        outage.succeeded();
        backoff = 200;
        if (sent > 0) continue;
        emptyPasses += 1;
      } catch (err) {
        outage.failed(err);
        await pause(backoff);
        backoff = Math.min(backoff * 2, maxBackoff);
        continue;
      }
      await pause(options.intervalMs ?? 500);
    }
  })();

  /** Deletes published events past the retention; counted, and a failure logged, never thrown. */
  async function purge(): Promise<number> {
    try {
      const purged = await purgePublishedEvents(pool!, options);
      if (purged > 0) {
        options.onPurged?.(purged);
        options.log.debug({ purged }, 'purged published outbox events');
      }
      return purged;
    } catch (err) {
      options.log.warn({ err }, 'purging published outbox events failed');
      return 0;
    }
  }

  // Off (retentionMs 0): no timer at all. Otherwise the first purge comes an interval after start,
  // not at it: a rolling deploy starts every replica within seconds.
  let purgeTimer: NodeJS.Timeout | undefined;
  let purging: Promise<unknown> = Promise.resolve();
  const schedulePurge = () => {
    purgeTimer = setTimeout(() => {
      purging = purge().finally(() => {
        if (running) schedulePurge();
      });
    }, purgeDelay(options)).unref();
  };
  if ((options.retentionMs ?? 1) > 0) schedulePurge();

  function pause(ms: number) {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  return {
    async idle() {
      const target = emptyPasses + 2;
      while (running && emptyPasses < target) {
        wake?.();
        await sleep(20);
      }
    },
    purge,
    async close() {
      running = false;
      clearTimeout(purgeTimer);
      wake?.();
      await Promise.all([loop, purging]);
    },
  };
}
