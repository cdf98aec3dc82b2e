import type { FieldError } from '@platform/http';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Db } from '../db/index.ts';
import { loadEventNames, registerEventNames } from './repository.ts';

/**
 * Names of our own, always allowed: what Segment's `page`, `screen`, `identify`, `group` and
 * `alias` calls are stored as (segment/service.ts). Five series, never registered.
 */
export const FIXED_EVENT_NAMES: ReadonlySet<string> = new Set([
  'page',
  'screen',
  'identify',
  'group',
  'alias',
]);

/** Once the registry is seen full, a name this replica does not know is refused this long. */
export const FULL_RECHECK_MS = 5000;

/**
 * The registry of the event names clients may send, capped by EVENT_NAMES_MAX. On InfluxDB an
 * event's name is a tag, so every new name is a new series; unbounded, anyone could exhaust the
 * server's series limit and have real events refused.
 */
export interface EventNames {
  /** Passes with no database work: a fixed name, or one this replica knows is registered. */
  has(name: string): boolean;
  /**
   * Registers names `has` did not know, in one statement (one at a time per replica), while the
   * registry has room; resolves to those that could not be registered: the registry is full.
   */
  register(names: string[]): Promise<Set<string>>;
  /**
   * What a request does with its names: registers those not known yet, and resolves to one
   * field error (`fieldOf(index)`) per name the full registry refused — none when all passed.
   */
  admit(names: readonly string[], fieldOf: (index: number) => string): Promise<FieldError[]>;
  /** Learns every registered name (at start). */
  load(): Promise<void>;
  readonly max: number;
}

export function createEventNames(deps: {
  db: Db;
  max: number;
  metrics?: Registry;
  /** The clock of the re-check after a full registry (tests). */
  now?: () => number;
}): EventNames {
  const { db, max } = deps;
  const clock = deps.now ?? Date.now;
  // Registered names only, so bounded by the cap.
  const known = new Set<string>();
  // Until then, names not known are refused without asking (the registry was full).
  let fullUntil = 0;
  // Registrations run one after another: names a request waited for are often known after.
  let tail: Promise<unknown> = Promise.resolve();
  // Without a registry (tests) it counts into none.
  const refusedNames = new Counter({
    name: 'analytics_event_names_refused_total',
    help: 'Event names refused because the registry was full (EVENT_NAMES_MAX)',
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
  const learn = (names: Iterable<string>) => {
    for (const name of names) known.add(name);
  };

  async function registerNow(names: string[]): Promise<Set<string>> {
    const wanted = [...new Set(names)].filter((n) => !known.has(n));
    if (wanted.length === 0) return new Set();
    if (clock() < fullUntil) return refuse(wanted);
    const result = await registerEventNames(db, wanted, max);
    learn(result.admitted);
    learn(result.all);
    fullUntil = result.full ? clock() + FULL_RECHECK_MS : 0;
    return refuse(wanted.filter((n) => !known.has(n)));
  }

  function has(name: string): boolean {
    return known.has(name) || FIXED_EVENT_NAMES.has(name);
  }

  function register(names: string[]): Promise<Set<string>> {
    // A full registry refuses at once: no place in the queue behind registrations under way.
    if (clock() < fullUntil) return Promise.resolve(refuse(names.filter((n) => !known.has(n))));
    const result = tail.then(() => registerNow(names));
    tail = result.catch(() => {});
    return result;
  }

  function refuse(names: string[]): Set<string> {
    if (names.length) refusedNames.inc(names.length);
    return new Set(names);
  }

  return {
    max,
    has,
    register,
    async admit(names, fieldOf) {
      const unknown = names.filter((name) => !has(name));
      if (unknown.length === 0) return [];
      const refused = await register(unknown);
      if (refused.size === 0) return [];
      const message = registryFull(max);
      return names.flatMap((name, i) =>
        refused.has(name) ? [{ field: fieldOf(i), message }] : [],
      );
    },
    async load() {
      const all = await loadEventNames(db);
      learn(all);
      if (all.length >= max) fullUntil = clock() + FULL_RECHECK_MS;
    },
  };
}

/** The message of the 400 for a name the full registry could not take. */
const registryFull = (max: number) =>
  `the registry of event names is full (EVENT_NAMES_MAX = ${max}): this name is not registered; ` +
  'send one already in use, or ask the operator to raise EVENT_NAMES_MAX or remove unused names';
