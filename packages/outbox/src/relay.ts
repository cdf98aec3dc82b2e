import { setTimeout as sleep } from 'node:timers/promises';
import { type OutageLogger, outageLog } from '@platform/http';
import { withLinkedSpan } from '@platform/telemetry';
import type pg from 'pg';

/** The subset of a pino/Fastify logger the relay uses. */
export type RelayLog = OutageLogger;

export interface OutboxRelayOptions {
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
  /** Backoff after a failure doubles from 200 ms up to this (default 30 s). */
  maxBackoffMs?: number;
  /**
   * Failures are debug lines until a subscriber (or the database) has been unreachable this long
   * (default 30 s): in a start, subscribers come up after the services that feed them.
   */
  quietMs?: number;
  /**
   * A subscriber that refuses the only event of a batch it wants (nothing else to tell whether it
   * refuses everything) holds the batch back; if it still refuses that event this long after the
   * first time (default 10 minutes, longer than a deploy), the event is set aside. Without this, a
   * subscriber of few types (main takes `user.deleted`) refusing one held back every later event.
   */
  loneRefusalMs?: number;
}

export interface OutboxRelay {
  /** Resolves once everything written so far has been published (tests). */
  idle(): Promise<void>;
  close(): Promise<void>;
}

interface OutboxRow {
  id: string;
  type: string;
  payload: Record<string, unknown>;
  occurred_at: Date;
  trace_context: string | null;
}

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
 * What a subscriber answers about the events themselves: the batch is halved until the events it
 * refuses are alone, and those are set aside. Any other failure (down, 5xx, 401/403 from a wrong
 * SERVICE_TOKEN, 404 from an older version, 408, 429) says nothing about the events: the batch
 * is sent again later, whole.
 */
const REFUSES_EVENTS = new Set([400, 413, 422]);

/** An event a subscriber refused on its own, with who refused it and why. */
interface SetAside {
  id: string;
  failure: string;
}

/**
 * Relays a service's transactional outbox to each subscriber's `/internal/events`, oldest first,
 * at least once: a batch is marked published only after every subscriber it concerns answered
 * 2xx, in the transaction that locked it (SKIP LOCKED, so replicas of the service never send the
 * same row at once). A subscriber that is down holds the batch back for all (nothing is lost,
 * order is kept), and the others get it again: subscribers drop ids they have seen, or act
 * idempotently, so a re-send is harmless. An event a subscriber refuses as such (REFUSES_EVENTS,
 * found by halving the batch) while it takes others is set aside with the reason (`set_aside_at`,
 * `failure`), counted in `outbox_set_aside_events`, and the rest go on: one poisoned event never
 * stops the outbox, and a subscriber that refuses everything sets nothing aside.
 */
export function startOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  const pool = options.pool ?? options.db?.$client;
  if (!pool) throw new Error('startOutboxRelay needs a pool or a db');
  const batchSize = options.batchSize ?? 200;
  const maxBackoff = options.maxBackoffMs ?? 30_000;
  const loneRefusalMs = options.loneRefusalMs ?? 600_000;
  /** `<subscriber> <outbox id>` → when it first refused that event as the only one it was sent. */
  const loneRefusals = new Map<string, number>();
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
      const { rows } = await client.query<OutboxRow>(
        `select id::text as id, type, payload, occurred_at, trace_context from outbox
         where published_at is null and set_aside_at is null
         order by outbox.id limit $1 for update skip locked`,
        [batchSize],
      );
      if (rows.length > 0) {
        // With tracing on: one span for the batch, linked to the requests that wrote its events.
        await withLinkedSpan(
          'outbox publish',
          rows.map((r) => r.trace_context),
          { 'messaging.system': 'outbox', 'messaging.batch.message_count': rows.length },
          async () => {
            const refused = await send(rows);
            const aside = new Set(refused.map((r) => r.id));
            await client.query(
              'update outbox set published_at = now() where id = any($1::bigint[])',
              [rows.filter((r) => !aside.has(r.id)).map((r) => r.id)],
            );
            if (refused.length === 0) return;
            await client.query(
              `update outbox set set_aside_at = now(), failure = x.failure
               from unnest($1::bigint[], $2::text[]) as x(id, failure) where outbox.id = x.id`,
              [refused.map((r) => r.id), refused.map((r) => r.failure)],
            );
            options.log.warn(
              {
                events: refused.map((r) => `${options.service}:${r.id}`),
                failure: refused[0]!.failure,
              },
              'outbox events refused by a subscriber were set aside',
            );
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

  /** Sends the rows to every subscriber that wants them; resolves to the rows set aside. */
  async function send(rows: OutboxRow[]): Promise<SetAside[]> {
    const refused = new Map<string, SetAside>();
    for (const subscriber of options.subscribers) {
      // One that another subscriber refused still goes to this one: a subscriber's refusal (or a
      // buggy or hostile one's) must not keep a `user.deleted` from those that act on it.
      const wanted = rows.filter((r) => subscribesTo(subscriber.types, r.type));
      if (wanted.length === 0) continue;
      const refusedHere = await deliver(subscriber, wanted);
      // Refusing every event says more about the subscriber (an older version during a deploy, a
      // contract it does not speak) than about the events: they wait, as for a subscriber that is
      // down. Only an event refused where others were taken is set aside.
      if (refusedHere.length === wanted.length && !refusedAloneLongEnough(subscriber, wanted)) {
        throw new Error(`${refusedHere[0]!.failure} (every event of the batch refused)`);
      }
      for (const r of refusedHere) {
        const before = refused.get(r.id);
        refused.set(r.id, before ? { id: r.id, failure: `${before.failure}; ${r.failure}` } : r);
      }
    }
    return [...refused.values()];
  }

  /** Whether a subscriber has refused its one wanted event for loneRefusalMs (see there). */
  function refusedAloneLongEnough(subscriber: EventSubscriber, wanted: OutboxRow[]): boolean {
    if (wanted.length !== 1) return false;
    const key = `${subscriber.name} ${wanted[0]!.id}`;
    const first = loneRefusals.get(key);
    if (first === undefined) {
      // Only the oldest held-back event is ever here: a few entries, forgotten when set aside.
      if (loneRefusals.size > 1000) loneRefusals.clear();
      loneRefusals.set(key, Date.now());
      return false;
    }
    if (Date.now() - first < loneRefusalMs) return false;
    loneRefusals.delete(key);
    return true;
  }

  /**
   * Sends the rows to one subscriber; resolves to those it refused alone (REFUSES_EVENTS). A batch
   * it refuses is sent again in halves, in order, until each refused event is alone.
   */
  async function deliver(subscriber: EventSubscriber, rows: OutboxRow[]): Promise<SetAside[]> {
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
    async close() {
      running = false;
      wake?.();
      await loop;
    },
  };
}
