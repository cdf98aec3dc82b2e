import type { FieldError } from '@platform/http';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Db } from '../db/index.ts';
import {
  type Budget,
  deleteEventName,
  type ListedName,
  loadEventNames,
  markTrusted,
  type RegisteredName,
  registerEventNames,
} from './repository.ts';

/**
 * Names of our own, always allowed: what Segment's `page`, `screen`, `identify`, `group` and
 * `alias` calls are stored as (segment/convert.ts). Five series, never registered.
 */
export const FIXED_EVENT_NAMES: ReadonlySet<string> = new Set([
  'page',
  'screen',
  'identify',
  'group',
  'alias',
]);

/**
 * Once the registry (or, for public senders, the public share) is seen full, a name this replica
 * does not know is refused this long.
 */
export const FULL_RECHECK_MS = 5000;

export type { Budget } from './repository.ts';

/**
 * The registry of the event names clients may send, capped by EVENT_NAMES_MAX. On InfluxDB an
 * event's name is a tag, so every new name is a new series; unbounded, anyone could exhaust the
 * server's series limit and have real events refused. Names come from two budgets: public senders
 * (`/track-event`, browser write keys: anyone) register at most EVENT_NAMES_PUBLIC_MAX of them, so
 * they can never fill the room kept for trusted senders (server write keys, admins); a name
 * registered by either passes for everyone.
 */
export interface EventNames {
  /** Passes with no database work: a fixed name, or one this replica knows is registered. */
  has(name: string): boolean;
  /**
   * Registers names `has` did not know as `budget`'s, in one statement (one at a time per
   * replica), while that budget has room; resolves to those that could not be registered.
   */
  register(names: string[], budget: Budget): Promise<Set<string>>;
  /**
   * What a request does with its names: registers those not known yet from `budget`, and
   * resolves to one field error (`fieldOf(index)`) per name refused — none when all passed.
   */
  admit(
    names: readonly string[],
    fieldOf: (index: number) => string,
    budget: Budget,
  ): Promise<FieldError[]>;
  /**
   * Learns the registered names afresh (at start, then every EVENT_NAMES_REFRESH_MS): a name
   * another replica deleted is forgotten, and room it freed is seen.
   */
  load(): Promise<void>;
  /**
   * Unregisters a name (false: it was not registered): this replica forgets it at once and asks
   * for the room it freed; the others at their next reload.
   */
  delete(name: string): Promise<boolean>;
  /**
   * An admin vouches for a name: registered from the trusted budget if it is not yet, and counted
   * as trusted if it was public (its room in the public share is freed). Resolves to its row, or
   * to none when the full registry refused it.
   */
  vouch(name: string): Promise<ListedName | undefined>;
  /** Reloads every `ms` until `stop` (the app's life). */
  start(ms: number, onError: (error: unknown) => void): void;
  stop(): void;
  readonly max: number;
  readonly publicMax: number;
}

export function createEventNames(deps: {
  db: Db;
  max: number;
  /** At most `max`; by default `max` (one budget, as before the budgets: tests of other things). */
  publicMax?: number;
  metrics?: Registry;
  /** The clock of the re-check after a full registry (tests). */
  now?: () => number;
}): EventNames {
  const { db, max } = deps;
  const publicMax = Math.min(deps.publicMax ?? max, max);
  const limits = { max, publicMax };
  const clock = deps.now ?? Date.now;
  // Registered names only, with whose budget registered them (null: before the budgets), so
  // bounded by the cap.
  const known = new Map<string, Budget | null>();
  // Until then, names not known are refused without asking: the registry was full, or the
  // public share was (for public senders).
  let fullUntil = 0;
  let publicFullUntil = 0;
  // Until then, a request bringing more new names than its budget had room for at the last
  // refusal is refused without asking: registrations are all or none, so it could only be refused
  // (a page sending batches just over the public share's room would otherwise hold the registry's
  // lock with each, never meeting the full share's pause).
  let roomUntil = 0;
  let room: Record<Budget, number> = { trusted: 0, public: 0 };
  // Registrations (and reloads) run one after another: names a request waited for are often
  // known after.
  let tail: Promise<unknown> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  // Without a registry (tests) it counts into none.
  const refusedNames = new Counter({
    name: 'analytics_event_names_refused_total',
    help:
      'New event names refused: budget "public" past EVENT_NAMES_PUBLIC_MAX (anonymous or ' +
      'signed-in /track-event, browser keys), "trusted" past EVENT_NAMES_MAX (server keys)',
    labelNames: ['budget'],
    registers: deps.metrics ? [deps.metrics] : [],
  });
  new Gauge({
    name: 'analytics_event_names',
    help: 'Registered client event names, as this replica knows them (cap: EVENT_NAMES_MAX)',
    registers: deps.metrics ? [deps.metrics] : [],
    collect() {
      this.set(known.size);
    },
  });
  new Gauge({
    name: 'analytics_event_names_public',
    help: 'Of those, names counted in the public share (cap: EVENT_NAMES_PUBLIC_MAX)',
    registers: deps.metrics ? [deps.metrics] : [],
    collect() {
      this.set(publicCount());
    },
  });
  const publicCount = () => {
    let n = 0;
    for (const by of known.values()) if (by !== 'trusted') n += 1;
    return n;
  };
  const learn = (names: Iterable<RegisteredName>) => {
    for (const { name, registeredBy } of names) known.set(name, registeredBy);
  };
  /** Replaces what this replica knows with the registry as it is. */
  const learnAll = (names: RegisteredName[]) => {
    known.clear();
    learn(names);
    const now = clock();
    fullUntil = known.size >= max ? now + FULL_RECHECK_MS : 0;
    publicFullUntil = publicCount() >= publicMax ? now + FULL_RECHECK_MS : 0;
    roomUntil = 0;
  };
  const newNames = (names: readonly string[]) => [...new Set(names)].filter((n) => !known.has(n));
  const refusing = (budget: Budget, fresh: number) =>
    clock() < (budget === 'public' ? Math.max(fullUntil, publicFullUntil) : fullUntil) ||
    (clock() < roomUntil && fresh > room[budget]);

  async function registerNow(names: string[], budget: Budget): Promise<Set<string>> {
    const wanted = newNames(names);
    if (wanted.length === 0) return new Set();
    if (refusing(budget, wanted.length)) return refuse(wanted, budget);
    const result = await registerEventNames(db, wanted, limits, budget);
    if (result.full || result.publicFull) {
      // Every registered name came with the answer: other replicas' names, and deletions too.
      learnAll(result.all);
    } else {
      fullUntil = 0;
      publicFullUntil = 0;
    }
    learn(result.admitted);
    const refused = wanted.filter((n) => !known.has(n));
    if (refused.length) {
      const { registered, public: inShare } = result.counts;
      room = { trusted: max - registered, public: Math.min(max - registered, publicMax - inShare) };
      roomUntil = clock() + FULL_RECHECK_MS;
    } else {
      roomUntil = 0;
    }
    return refuse(refused, budget);
  }

  function has(name: string): boolean {
    return known.has(name) || FIXED_EVENT_NAMES.has(name);
  }

  function serially<T>(work: () => Promise<T>): Promise<T> {
    const result = tail.then(work);
    tail = result.catch(() => {});
    return result;
  }

  function register(names: string[], budget: Budget): Promise<Set<string>> {
    // A full registry refuses at once: no place in the queue behind registrations under way.
    const fresh = newNames(names);
    if (refusing(budget, fresh.length)) return Promise.resolve(refuse(fresh, budget));
    return serially(() => registerNow(names, budget));
  }

  function refuse(names: string[], budget: Budget): Set<string> {
    if (names.length) refusedNames.inc({ budget }, names.length);
    return new Set(names);
  }

  const load = () => serially(async () => learnAll(await loadEventNames(db)));

  return {
    max,
    publicMax,
    has,
    register,
    async admit(names, fieldOf, budget) {
      const unknown = names.filter((name) => !has(name));
      if (unknown.length === 0) return [];
      const refused = await register(unknown, budget);
      if (refused.size === 0) return [];
      // A public sender stopped by its share, not by the whole registry, is told so.
      const message =
        budget === 'public' && clock() >= fullUntil
          ? publicShareFull(publicMax)
          : registryFull(max);
      return names.flatMap((name, i) =>
        refused.has(name) ? [{ field: fieldOf(i), message }] : [],
      );
    },
    load,
    vouch: (name) =>
      serially(async () => {
        // Twice at most: a name this replica knows may have been deleted on another one since
        // (it learns so at its next reload); then it is registered again, not refused as if the
        // registry were full.
        for (let attempt = 0; attempt < 2; attempt += 1) {
          if ((await registerNow([name], 'trusted')).size > 0) return undefined;
          const row = await markTrusted(db, name);
          if (row) {
            known.set(name, 'trusted');
            publicFullUntil = 0;
            roomUntil = 0;
            return row;
          }
          known.delete(name);
        }
        return undefined;
      }),
    delete: (name) =>
      // In line with registrations, so none of this replica's re-learns it from an older answer.
      serially(async () => {
        const deleted = await deleteEventName(db, name);
        known.delete(name);
        fullUntil = 0;
        publicFullUntil = 0;
        roomUntil = 0;
        return deleted;
      }),
    start(ms, onError) {
      // One reload at a time: while PostgreSQL hangs (a statement waits out its timeout, longer
      // than the interval), reloads would queue up behind it without bound, and registrations
      // behind them all.
      let reloading = false;
      timer ??= setInterval(() => {
        if (reloading) return;
        reloading = true;
        load()
          .catch(onError)
          .finally(() => {
            reloading = false;
          });
      }, ms);
      timer.unref();
    },
    stop() {
      clearInterval(timer);
      timer = undefined;
    },
  };
}

/** The message of the 400 for a name the full registry could not take. */
export const registryFull = (max: number) =>
  `the registry of event names is full (EVENT_NAMES_MAX = ${max}): this name is not registered; ` +
  'send one already in use, or ask the operator to raise EVENT_NAMES_MAX or remove unused names';

/**
 * The same 400 for a public sender past its share: the registry is full as far as it goes (the
 * rest is kept for trusted senders).
 */
const publicShareFull = (publicMax: number) =>
  'the registry of event names is full for names from public senders ' +
  `(EVENT_NAMES_PUBLIC_MAX = ${publicMax}): ` +
  'this name is not registered; send one already in use, or ask the operator to register it, ' +
  'raise EVENT_NAMES_PUBLIC_MAX or remove unused names';
