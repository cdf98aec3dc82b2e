import type { OutageLogger } from '@platform/http';
import type pg from 'pg';

/**
 * What happens to an event a subscriber refuses as such: sent again with backoff while the rest
 * go on, and set aside only once refused again and again over time. Like a queue's dead-letter
 * policy (SQS maxReceiveCount), refusals must repeat over time: an old replica refusing what new
 * ones take mid-deploy sets nothing aside.
 */
export interface RefusalPolicyOptions {
  /**
   * Backoff after a failure doubles from 200 ms up to this (default 30 s); so does the wait before
   * an event a subscriber refused is sent again (from 1 s).
   */
  maxBackoffMs?: number;
  /**
   * An event a subscriber refuses as such is set aside only once it has been refused on at least
   * this many separate attempts (default 5)…
   */
  setAsideAfterRefusals?: number;
  /**
   * …spanning at least this long since the first refusal (default 5 minutes, longer than a rolling
   * deploy): while a subscriber rolls out behind a load balancer, its old replicas may refuse a
   * type the new ones take, and which replica answers is chance. Until then the event is sent
   * again with backoff (1 s doubling up to maxBackoffMs), and the events after it go on.
   */
  setAsideAfterMs?: number;
}

/** The default of `maxBackoffMs`. */
export const MAX_BACKOFF_MS = 30_000;

/**
 * What a subscriber answers about the events themselves: the batch is halved until the events it
 * refuses are alone, and those are retried apart, then set aside if refused again and again (see
 * setAsideAfterRefusals). Any other failure (down, 5xx, 401/403 from a wrong
 * SERVICE_TOKEN, 404 from an older version, 408, 429) says nothing about the events: the batch
 * is sent again later, whole.
 */
export const REFUSES_EVENTS = new Set([400, 413, 422]);

/** An event a subscriber refused on its own, with who refused it and why. */
export interface Refusal {
  id: string;
  failure: string;
}

/** What the subscribers made of a batch. */
export interface Answers {
  /** Outbox id → who refused it alone, and why (`; `-joined when several did). */
  refused: Map<string, string>;
  /** Outbox id → the subscribers that took it. */
  took: Map<string, string[]>;
}

/** What the policy reads of an outbox row. */
export interface RefusableRow {
  id: string;
  /** Attempts on which a subscriber refused it as such so far (0: never). */
  refusals: number;
  /** Subscribers that took it on an earlier attempt: a retry goes only to the others. */
  delivered_to: string[] | null;
}

/**
 * Refusing every event of a batch says more about the subscriber (an older version during a
 * deploy, a contract it does not speak) than about the events: they wait, as for a subscriber
 * that is down. Unless there is nothing to tell by: the one event it wants, or events it already
 * refused alone while it took others.
 */
export const refusedAsABatch = (wanted: RefusableRow[], refused: Refusal[]): boolean =>
  refused.length === wanted.length && wanted.length > 1 && wanted.some((r) => r.refusals === 0);

/**
 * Records the refusals of a batch (in the transaction that locked it), each in one of two ways,
 * and logs them: counts a refusal of each refused row, and either sets it aside (refused often
 * and long enough) or has it sent again after a backoff, to the subscribers that have not taken
 * it yet.
 */
export function refusalRecorder(
  options: RefusalPolicyOptions & { service: string; log: OutageLogger },
) {
  const maxBackoff = options.maxBackoffMs ?? MAX_BACKOFF_MS;
  const setAsideAfterRefusals = options.setAsideAfterRefusals ?? 5;
  const setAsideAfterMs = options.setAsideAfterMs ?? 300_000;

  return async function recordRefusals(
    client: pg.PoolClient,
    rows: RefusableRow[],
    answers: Answers,
  ) {
    const refused = rows
      .filter((r) => answers.refused.has(r.id))
      .map((r) => ({
        id: r.id,
        failure: answers.refused.get(r.id),
        delivered_to: [...new Set([...(r.delivered_to ?? []), ...(answers.took.get(r.id) ?? [])])],
        retry_ms: Math.min(1000 * 2 ** r.refusals, maxBackoff),
      }));
    if (refused.length === 0) return;
    // The database's clock on both sides: replicas of the service may disagree with it.
    const { rows: counted } = await client.query<{ id: string; aside: boolean; refusals: number }>(
      `update outbox set refusals = outbox.refusals + 1,
              first_refused_at = coalesce(outbox.first_refused_at, now()),
              failure = x.failure, delivered_to = x.delivered_to,
              retry_at = clock_timestamp() + x.retry_ms * interval '1 millisecond',
              set_aside_at = case when outbox.refusals + 1 >= $2
                and now() - coalesce(outbox.first_refused_at, now()) >= $3 * interval '1 millisecond'
                then now() end
         from jsonb_to_recordset($1::jsonb)
           as x(id bigint, failure text, delivered_to text[], retry_ms float8)
        where outbox.id = x.id
        returning outbox.id::text as id, outbox.set_aside_at is not null as aside, outbox.refusals`,
      [JSON.stringify(refused), setAsideAfterRefusals, setAsideAfterMs],
    );
    const aside = counted.filter((r) => r.aside);
    const later = counted.filter((r) => !r.aside);
    const failure = (ids: { id: string }[]) => answers.refused.get(ids[0]!.id);
    const events = (ids: { id: string }[]) => ids.map((r) => `${options.service}:${r.id}`);
    if (later.length > 0) {
      options.log.info(
        { events: events(later), refusals: later.map((r) => r.refusals), failure: failure(later) },
        'outbox events refused by a subscriber will be sent again later',
      );
    }
    if (aside.length > 0) {
      options.log.warn(
        { events: events(aside), failure: failure(aside) },
        'outbox events refused by a subscriber were set aside',
      );
    }
  };
}
