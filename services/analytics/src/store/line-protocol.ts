import type { QueuedEvent, QueuedSample } from './types.ts';

/**
 * InfluxDB line protocol for the two measurements (schema in the README). A point is identified
 * by measurement, tag set and timestamp, so each point's time carries the queue's `seq` in its
 * sub-millisecond digits: a retried write lands on the same point instead of adding one, and two
 * events in the same millisecond never overwrite each other.
 */
export function pointTime(timestamp: string, seq: number): bigint {
  return BigInt(Date.parse(timestamp)) * 1_000_000n + BigInt(seq % 1_000_000);
}

const tag = (value: string) => value.replace(/[\\,= ]/g, (c) => `\\${c}`).replace(/\n/g, ' ');
const str = (value: string) => `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;

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
  const tags = `events,event=${tag(e.event)},source=${tag(e.source)}`;
  const values = fields({
    event_id: e.id,
    user_id: e.userId,
    anonymous_id: e.anonymousId,
    properties: JSON.stringify(e.properties),
  });
  return `${tags} ${values} ${pointTime(e.timestamp, e.seq)}`;
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
