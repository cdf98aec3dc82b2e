import type { TimelineEvent } from '../store/types.ts';

/**
 * Funnels and retention over a timeline (oldest first), computed here so both stores give the
 * same answers. A person is the user, or the user their anonymous id is linked to, or else the
 * anonymous id itself (`linked` maps anonymous ids to users).
 */
export type Linked = ReadonlyMap<string, string>;

export function personOf(e: TimelineEvent, linked: Linked): string | undefined {
  if (e.userId !== null) return `u:${e.userId}`;
  if (e.anonymousId === null) return undefined;
  const user = linked.get(e.anonymousId);
  return user === undefined ? `a:${e.anonymousId}` : `u:${user}`;
}

function byPerson(timeline: TimelineEvent[], linked: Linked): Map<string, TimelineEvent[]> {
  const people = new Map<string, TimelineEvent[]>();
  for (const e of timeline) {
    const person = personOf(e, linked);
    if (person === undefined) continue;
    const list = people.get(person);
    if (list) list.push(e);
    else people.set(person, [e]);
  }
  // A person's events from several ids merge; the timeline is sorted, so a stable sort suffices.
  for (const list of people.values()) list.sort((a, b) => a.time - b.time);
  return people;
}

/**
 * How many steps a person got through: the steps in order, each after the one before, all by
 * `windowEnd` of the first step's time (as PostHog and Mixpanel define an ordered funnel); the deepest
 * of all starts counts. One pass, not one walk per start (a sender's flood of first steps would
 * make that quadratic): for each step, the latest start that has reached it so far, since a later
 * start leaves more of the window for the steps after.
 */
function depth(
  events: TimelineEvent[],
  steps: string[],
  windowEnd: (start: number) => number,
): number {
  const startOf = new Array<number | undefined>(steps.length).fill(undefined);
  let best = 0;
  for (const e of events) {
    const { event, time } = e;
    // Deepest step first, so one event never counts as two steps.
    for (let k = steps.length - 1; k >= 1; k -= 1) {
      const start = startOf[k - 1];
      if (event !== steps[k] || start === undefined || time > windowEnd(start)) continue;
      if (startOf[k] === undefined || start > startOf[k]!) startOf[k] = start;
      best = Math.max(best, k + 1);
    }
    if (event === steps[0]) {
      startOf[0] = time;
      best = Math.max(best, 1);
    }
  }
  return best;
}

const ratio = (n: number, of: number) => (of === 0 ? 0 : Math.round((n / of) * 10_000) / 10_000);

/** Per step: people who reached it, and their share of those who entered (step one). */
export function funnel(
  timeline: TimelineEvent[],
  linked: Linked,
  steps: string[],
  windowEnd: (start: number) => number,
) {
  const reached = new Array<number>(steps.length).fill(0);
  for (const events of byPerson(timeline, linked).values()) {
    const d = depth(events, steps, windowEnd);
    for (let i = 0; i < d; i += 1) reached[i]! += 1;
  }
  return steps.map((event, i) => ({
    event,
    users: reached[i]!,
    conversion: ratio(reached[i]!, reached[0]!),
  }));
}

const DAY = 86_400_000;
/** The start of a UTC day, or of an ISO week (Monday, UTC). */
export function periodStart(time: number, period: 'day' | 'week'): number {
  const day = Math.floor(time / DAY) * DAY;
  if (period === 'day') return day;
  // 1970-01-01 was a Thursday: days since the Monday before it.
  const weekday = (Math.floor(time / DAY) + 3) % 7;
  return day - weekday * DAY;
}

/**
 * Retention by first occurrence: each person's cohort is the period (UTC day or ISO week) of
 * their first `start` event in the range; `returned[k]` counts the cohort's people who did
 * `returning` in the k-th period after it (0: the cohort's own period, at or after their start),
 * up to the range's last period. Every period of the range is a cohort, empty ones included.
 */
export function retention(
  timeline: TimelineEvent[],
  linked: Linked,
  options: { start: string; returning: string; period: 'day' | 'week'; from: number; to: number },
) {
  const length = options.period === 'day' ? DAY : 7 * DAY;
  const first = periodStart(options.from, options.period);
  const count = Math.max(1, Math.ceil((options.to - first) / length));
  const cohorts = Array.from({ length: count }, (_, i) => ({
    start: new Date(first + i * length).toISOString(),
    users: 0,
    returned: new Array<number>(count - i).fill(0),
  }));
  for (const events of byPerson(timeline, linked).values()) {
    const born = events.find((e) => e.event === options.start);
    if (!born) continue;
    const cohort = Math.floor((periodStart(born.time, options.period) - first) / length);
    const row = cohorts[cohort]!;
    row.users += 1;
    const periods = new Set<number>();
    for (const e of events) {
      if (e.event !== options.returning || e.time < born.time) continue;
      periods.add(Math.floor((periodStart(e.time, options.period) - first) / length) - cohort);
    }
    for (const k of periods) if (k < row.returned.length) row.returned[k]! += 1;
  }
  return cohorts;
}
