import assert from 'node:assert/strict';
import { test } from 'node:test';
import { funnel } from '../src/queries/funnels.ts';
import type { TimelineEvent } from '../src/store/types.ts';

const DAY = 86_400_000;
const noLinks = new Map<string, string>();

/** The definition, tried from every start: what the report must answer, at any cost. */
function reference(timeline: TimelineEvent[], steps: string[], windowMs: number) {
  const people = new Map<string, TimelineEvent[]>();
  for (const e of timeline) {
    const id = e.userId ?? e.anonymousId!;
    people.set(id, [...(people.get(id) ?? []), e]);
  }
  const reached = new Array<number>(steps.length).fill(0);
  for (const events of people.values()) {
    let best = 0;
    for (let s = 0; s < events.length; s += 1) {
      if (events[s]!.event !== steps[0]) continue;
      let r = 1;
      for (let i = s + 1; i < events.length && r < steps.length; i += 1) {
        if (events[i]!.time > events[s]!.time + windowMs) break;
        if (events[i]!.event === steps[r]) r += 1;
      }
      best = Math.max(best, r);
    }
    for (let i = 0; i < best; i += 1) reached[i]! += 1;
  }
  return reached;
}

test('a funnel answers as its definition on random timelines, repeated steps included', () => {
  let seed = 7;
  const random = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const names = ['a', 'b', 'c'];
  for (let round = 0; round < 300; round += 1) {
    const timeline: TimelineEvent[] = [];
    let time = 0;
    for (let i = 0; i < 40; i += 1) {
      time += Math.floor(random() * 3) * 1000;
      timeline.push({
        time,
        userId: `u${Math.floor(random() * 4)}`,
        anonymousId: null,
        event: names[Math.floor(random() * 3)]!,
      });
    }
    const steps = Array.from(
      { length: 1 + Math.floor(random() * 4) },
      () => names[Math.floor(random() * 3)]!,
    );
    const windowMs = (1 + Math.floor(random() * 10)) * 1000;
    const got = funnel(timeline, noLinks, steps, (start) => start + windowMs).map((s) => s.users);
    assert.deepEqual(
      got,
      reference(timeline, steps, windowMs),
      JSON.stringify({ steps, windowMs }),
    );
  }
});

// One sender's many first steps that never convert: trying each as a start walked the rest of the
// window each time (quadratic), which held the event loop for hours at the timeline's limit of a
// million events. Counted in reads of the events, not in time: the work must grow with their
// number, not with its square.
test("one person's many first steps are read a few times each, not once per start", () => {
  const n = 3000;
  let reads = 0;
  const timeline: TimelineEvent[] = Array.from({ length: n }, (_, i) => ({
    get time() {
      reads += 1;
      return i * 1000;
    },
    userId: null,
    anonymousId: 'a-flooder',
    get event() {
      reads += 1;
      return 'signup_started';
    },
  }));
  const before = reads;
  const result = funnel(
    timeline,
    noLinks,
    ['signup_started', 'signup_done'],
    (start) => start + 365 * DAY,
  );
  assert.deepEqual(
    result.map((s) => s.users),
    [1, 0],
  );
  const perEvent = (reads - before) / n;
  assert.ok(perEvent < 50, `${perEvent} reads per event`);
});
