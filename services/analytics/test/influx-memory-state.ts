import type { RollupState } from '../src/store/influx-rollups.ts';

/** What the service keeps in its PostgreSQL, kept in memory here. */
export function memoryState(): RollupState {
  let saved: Date | null = null;
  const marks = new Map<number, number>();
  let clock = 0;
  return {
    load: async () => saved,
    save: async (d, replace) => {
      saved = replace ? d : (saved ?? d);
      return saved;
    },
    mark: async (minutes) => {
      for (const m of minutes) marks.set(m, ++clock);
    },
    markRange: async (from, to) => {
      for (let m = from; m < to; m += 60_000) if (!marks.has(m)) marks.set(m, ++clock);
    },
    pendingBefore: async (time) => [...marks.keys()].some((m) => m < time.getTime()),
    dirty: async (limit) => ({
      minutes: [...marks.keys()].sort((a, b) => a - b).slice(-limit),
      asOf: new Date(clock),
    }),
    clear: async (minutes, asOf) => {
      for (const m of minutes) if ((marks.get(m) ?? 0) <= asOf.getTime()) marks.delete(m);
    },
  };
}
