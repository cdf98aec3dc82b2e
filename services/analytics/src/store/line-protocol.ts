import { ROW_ITEMS } from '../ingestion/queue.ts';
import { bucketOf, type Histogram } from './histogram.ts';
import type { QueuedEvent, QueuedSample } from './types.ts';

/**
 * InfluxDB line protocol for the two measurements (schema in the README). A point is identified
 * by measurement, tag set and timestamp, so each point's time carries the queue's `seq` in its
 * sub-millisecond digits: a retried write lands on the same point instead of adding one, and two
 * events in the same millisecond never overwrite each other.
 */
export function pointTime(timestamp: string, seq: number): string {
  // Milliseconds and six sub-ms digits side by side: exact, without BigInt arithmetic.
  return `${Date.parse(timestamp)}${String(seq % 1_000_000).padStart(6, '0')}`;
}

// Most values need no escaping; testing first spares a replace per value.
const TAG_SPECIAL = /[\\,= \n]/;
const STR_SPECIAL = /[\\"]/;
const tag = (value: string) =>
  TAG_SPECIAL.test(value) ? value.replace(/[\\,= ]/g, (c) => `\\${c}`).replace(/\n/g, ' ') : value;
const str = (value: string) =>
  STR_SPECIAL.test(value) ? `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"` : `"${value}"`;

function fields(values: Record<string, string | number | null | { int: number }>): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(values)) {
    if (value === null) continue;
    if (typeof value === 'string') parts.push(`${key}=${str(value)}`);
    else if (typeof value === 'number') parts.push(`${key}=${value}`);
    else parts.push(`${key}=${Math.trunc(value.int)}i`);
  }
  return parts.join(',');
}

export function eventLine(e: QueuedEvent): string {
  const properties = typeof e.properties === 'string' ? e.properties : JSON.stringify(e.properties);
  return (
    `events,event=${tag(e.event)},source=${tag(e.source)} event_id=${str(e.id)}` +
    (e.userId == null ? '' : `,user_id=${str(e.userId)}`) +
    (e.anonymousId == null ? '' : `,anonymous_id=${str(e.anonymousId)}`) +
    `,properties=${str(properties)} ${pointTime(e.timestamp, e.seq)}`
  );
}

export function sampleLine(s: QueuedSample): string {
  const tags =
    `requests,service=${tag(s.service)},route=${tag(s.route)},method=${tag(s.method)}` +
    `,status_class=${Math.floor(s.status / 100)}xx`;
  const values = fields({
    status: { int: s.status },
    error: { int: s.status >= 500 ? 1 : 0 },
    // A bare number is a float in line protocol, so 12 and 12.5 never conflict in type.
    duration_ms: s.durationMs,
    request_id: s.requestId,
    user_id: s.userId,
    upstream: s.upstream,
  });
  return `${tags} ${values} ${pointTime(s.timestamp, s.seq)}`;
}

/** Rollup measurements and the width of their intervals. */
export const ROLLUPS = { requests_1m: 60_000, requests_1h: 3_600_000 } as const;

interface Partial {
  measurement: keyof typeof ROLLUPS;
  service: string;
  route: string;
  start: number;
  seq: number;
  requests: number;
  errors: number;
  hist: Histogram;
}

/**
 * Partial rollups of one write, per queue row × service × route × minute (and hour): counts and
 * histogram buckets `b<i>` as integer fields, which InfluxQL's SUM adds up to any interval. A
 * point's time is its interval's start plus the smallest item seq of its group (modulo the
 * width, in ns): the same items always give the same point, so a retried write overwrites it,
 * while other items of the same interval give other points. The writer only ever re-sends the
 * same whole queue rows, or the same halves of one, so groups never straddle two attempts.
 */
export function rollupLines(items: QueuedSample[]): string[] {
  const groups = new Map<string, Partial>();
  for (const s of items) {
    const row = Math.floor(s.seq / ROW_ITEMS);
    const time = Date.parse(s.timestamp);
    const bucket = bucketOf(s.durationMs);
    for (const [measurement, width] of Object.entries(ROLLUPS)) {
      const start = Math.floor(time / width) * width;
      const key = `${measurement}\n${row}\n${start}\n${s.service}\n${s.route}`;
      let g = groups.get(key);
      if (!g) {
        g = {
          measurement: measurement as Partial['measurement'],
          service: s.service,
          route: s.route,
          start,
          seq: s.seq,
          requests: 0,
          errors: 0,
          hist: {},
        };
        groups.set(key, g);
      }
      g.seq = Math.min(g.seq, s.seq);
      g.requests += 1;
      if (s.status >= 500) g.errors += 1;
      g.hist[bucket] = (g.hist[bucket] ?? 0) + 1;
    }
  }
  return [...groups.values()].map((g) => {
    const widthNs = BigInt(ROLLUPS[g.measurement]) * 1_000_000n;
    const time = BigInt(g.start) * 1_000_000n + (BigInt(g.seq) % widthNs);
    const buckets = Object.entries(g.hist).map(([b, n]) => `,b${b}=${n}i`);
    return (
      `${g.measurement},service=${tag(g.service)},route=${tag(g.route)} ` +
      `requests=${g.requests}i,errors=${g.errors}i${buckets.join('')} ${time}`
    );
  });
}
