import type { Principal } from '@platform/auth';
import { problems } from '@platform/http';
import type { Static } from 'typebox';
import type { AnalyticsContext } from '../context.ts';
import { anonymousIdsOf, isForgotten, usersOf } from '../identity/repository.ts';
import { isOwnUserId } from '../identity/service.ts';
import { SEGMENT_EVENT_NAME } from '../segment/schema.ts';
import { CURSORS, decodeCursor } from '../store/cursor.ts';
import { TooManyEvents } from '../store/errors.ts';
import { MAX_TIMELINE_EVENTS, type Range, type TimelineEvent } from '../store/types.ts';
import { funnel, retention } from './funnels.ts';
import type { ActivityQuery, PerformanceQuery, ReportQuery } from './schema.ts';
import {
  ceilTo,
  durationEnd,
  fittingInterval,
  floorTo,
  intervalSeconds,
  MAX_POINTS,
  rangeOf,
} from './time.ts';

export const READ_ANY = 'analytics:read';
const DAY = 86_400_000;
const MAX_REPORT_DAYS = 400;

/** Own events; another user's only with `analytics:read` (403 otherwise, not a silent filter). */
export async function userActivity(
  ctx: AnalyticsContext,
  principal: Principal,
  q: Static<typeof ActivityQuery>,
) {
  // Accepted timestamps may run a few minutes ahead of this clock.
  const to = q.to ?? new Date(Date.now() + 10 * 60_000).toISOString();
  const range = rangeOf(q.from, to, ctx.config.RETENTION_DAYS * DAY);
  // Read here as the store will read it: a user being forgotten has no page (below, before the
  // store is asked), and a malformed cursor was a page for them, a 400 for anyone else.
  if (q.cursor !== undefined) decodeCursor(q.cursor, CURSORS[ctx.store.kind]);
  const who =
    q.anonymous_id === undefined ? await userOf(ctx, principal, q) : visitorOf(principal, q);
  if (who === null) return { items: [], next_cursor: null };
  const page = await ctx.store.activity({
    ...who,
    ...range,
    event: q.event,
    limit: q.limit,
    cursor: q.cursor,
  });
  return {
    items: page.items.map((e) => ({
      id: e.id,
      event: e.event,
      source: e.source,
      user_id: e.userId,
      anonymous_id: e.anonymousId,
      properties: e.properties,
      timestamp: e.timestamp,
    })),
    next_cursor: page.nextCursor,
  };
}

/**
 * A user's events: the caller's, or (admins) another's, with the anonymous ids linked to them.
 * None (null) for a user being forgotten, as GET /profiles answers 404 (isForgotten): their
 * events are unlinked, but an identify sent after the deletion linked an anonymous id to the id
 * again until a pass removes it (minutes, in the grace time), and the activity stitched the
 * anonymous events through it.
 */
async function userOf(
  ctx: AnalyticsContext,
  principal: Principal,
  q: Static<typeof ActivityQuery>,
) {
  // The caller's own id in another case is theirs (a 403 before); anyone else's as written.
  const asked = q.user_id ?? principal.userId;
  const userId = isOwnUserId(asked, principal.userId) ? principal.userId : asked;
  if (userId !== principal.userId && !principal.permissions.includes(READ_ANY)) {
    throw problems.forbidden("Only admins may read another user's activity.");
  }
  const [forgotten, anonymousIds] = await Promise.all([
    isForgotten(ctx.db, userId),
    anonymousIdsOf(ctx.db, userId),
  ]);
  return forgotten ? null : { userId, anonymousIds };
}

/**
 * A visitor's events (admins only): those sent under one anonymous id, whatever user they name,
 * so an admin sees what a visitor did before (or without) an identify or alias linked them.
 */
function visitorOf(principal: Principal, q: Static<typeof ActivityQuery>) {
  if (!principal.permissions.includes(READ_ANY)) {
    throw problems.forbidden("Only admins may read a visitor's activity by anonymous_id.");
  }
  if (q.user_id !== undefined) {
    throw problems.badRequest('Ask for a user_id or an anonymous_id, not both.', [
      { field: 'anonymous_id', message: 'not with user_id' },
    ]);
  }
  return { userId: null, anonymousIds: [q.anonymous_id!] };
}

export async function performance(ctx: AnalyticsContext, q: Static<typeof PerformanceQuery>) {
  const range = rangeOf(q.from, q.to, 3600_000);
  // Without an interval, a range alone is enough (a week was a 400 under a fixed 1m); one given
  // is held to, too many of them being the caller's to widen.
  const interval = q.interval ?? fittingInterval(range);
  const seconds = intervalSeconds(interval);
  const points = Math.ceil((range.to.getTime() - range.from.getTime()) / (seconds * 1000));
  if (points > MAX_POINTS) {
    throw problems.badRequest(
      `That is ${points} intervals; at most ${MAX_POINTS} are served: widen the interval or narrow the range.`,
      [{ field: 'interval', message: `at most ${MAX_POINTS} intervals per range` }],
    );
  }
  // Every point covers its whole interval, the first and last ones included.
  const rows = await ctx.store.performance({
    from: floorTo(range.from, seconds * 1000),
    to: ceilTo(range.to, seconds * 1000),
    intervalSeconds: seconds,
    service: q.service,
  });
  const series = new Map<string, { service: string; route: string; points: unknown[] }>();
  for (const r of rows) {
    const key = `${r.service}\n${r.route}`;
    if (!series.has(key)) series.set(key, { service: r.service, route: r.route, points: [] });
    series.get(key)!.points.push({
      time: r.time.toISOString(),
      requests: r.requests,
      errors: r.errors,
      p50: r.p50,
      p95: r.p95,
      p99: r.p99,
    });
  }
  return {
    from: range.from.toISOString(),
    to: range.to.toISOString(),
    interval,
    series: [...series.values()] as never,
  };
}

type Row = Record<string, string | number>;

/** Every UTC day of the range, so a chart shows days without activity as zero. */
function everyDay(range: Range, found: Row[], column: string): Row[] {
  const byDay = new Map(found.map((r) => [r.day as string, r]));
  const days: Row[] = [];
  const start = Date.UTC(
    range.from.getUTCFullYear(),
    range.from.getUTCMonth(),
    range.from.getUTCDate(),
  );
  for (let t = start; t < range.to.getTime(); t += DAY) {
    const day = new Date(t).toISOString().slice(0, 10);
    days.push(byDay.get(day) ?? { day, [column]: 0 });
  }
  return days;
}

const MAX_STEPS = 20;
/** A year at most: P1Y, P12M, P52W or P366D from a leap year's first day. */
const MAX_WINDOW_MS = 366 * DAY;
const LEAP_YEAR_START = Date.UTC(2000, 0, 1);

/** The events a funnel or retention report reads, and who the anonymous ids among them are. */
async function timelineOf(ctx: AnalyticsContext, range: Range, events: string[]) {
  let timeline: TimelineEvent[];
  try {
    timeline = await ctx.store.timeline(range, [...new Set(events)]);
  } catch (error) {
    if (!(error instanceof TooManyEvents)) throw error;
    throw problems.badRequest(
      `The range holds more than ${MAX_TIMELINE_EVENTS} of these events; narrow it.`,
      [{ field: 'from', message: 'narrow the range' }],
      'range_too_large',
    );
  }
  const anonymous = timeline.flatMap((e) =>
    e.userId === null && e.anonymousId !== null ? [e.anonymousId] : [],
  );
  return { timeline, linked: await usersOf(ctx.db, anonymous) };
}

async function funnelReport(ctx: AnalyticsContext, range: Range, q: Static<typeof ReportQuery>) {
  const steps = (q.steps ?? '').split(',').map((s) => s.trim());
  const bad = steps.findIndex((s) => !new RegExp(SEGMENT_EVENT_NAME).test(s));
  if (q.steps === undefined || bad >= 0 || steps.length > MAX_STEPS) {
    throw problems.badRequest('A funnel needs steps: 1 to 20 event names separated by commas.', [
      { field: 'steps', message: `1 to ${MAX_STEPS} event names separated by commas` },
    ]);
  }
  const windowEnd = durationEnd(q.window);
  const longest = windowEnd(LEAP_YEAR_START) - LEAP_YEAR_START;
  if (longest <= 0 || longest > MAX_WINDOW_MS) {
    throw problems.badRequest('The conversion window must be more than zero and at most a year.', [
      { field: 'window', message: 'more than zero, at most a year (P1Y, P366D)' },
    ]);
  }
  const { timeline, linked } = await timelineOf(ctx, range, steps);
  const result = funnel(timeline, linked, steps, windowEnd);
  return {
    json: { window: q.window, steps: result },
    columns: ['step', 'event', 'users', 'conversion'],
    rows: result.map((s, i) => ({ step: i + 1, ...s })),
  };
}

async function retentionReport(ctx: AnalyticsContext, range: Range, q: Static<typeof ReportQuery>) {
  const missing = (['start_event', 'return_event'] as const).filter((f) => q[f] === undefined);
  if (missing.length) {
    throw problems.badRequest(
      'A retention report needs start_event and return_event.',
      missing.map((field) => ({ field, message: 'is required for type=retention' })),
    );
  }
  const { timeline, linked } = await timelineOf(ctx, range, [q.start_event!, q.return_event!]);
  const cohorts = retention(timeline, linked, {
    start: q.start_event!,
    returning: q.return_event!,
    period: q.period,
    from: range.from.getTime(),
    to: range.to.getTime(),
  });
  const periods = cohorts[0]?.returned.length ?? 0;
  return {
    json: { period: q.period, cohorts },
    columns: ['start', 'users', ...Array.from({ length: periods }, (_, k) => `${q.period}_${k}`)],
    rows: cohorts.map((c) => ({
      start: c.start,
      users: c.users,
      ...Object.fromEntries(c.returned.map((n, k) => [`${q.period}_${k}`, n])),
    })),
  };
}

export async function report(ctx: AnalyticsContext, q: Static<typeof ReportQuery>) {
  const range = rangeOf(q.from, q.to, 30 * DAY);
  if (range.to.getTime() - range.from.getTime() > MAX_REPORT_DAYS * DAY) {
    throw problems.badRequest(`A report covers at most ${MAX_REPORT_DAYS} days.`, [
      { field: 'from', message: `at most ${MAX_REPORT_DAYS} days before "to"` },
    ]);
  }
  const head = { type: q.type, from: range.from.toISOString(), to: range.to.toISOString() };
  if (q.type === 'funnel' || q.type === 'retention') {
    const found =
      q.type === 'funnel'
        ? await funnelReport(ctx, range, q)
        : await retentionReport(ctx, range, q);
    return { ...head, body: { ...head, ...found.json }, columns: found.columns, rows: found.rows };
  }
  let columns: string[] = [];
  let rows: Row[] = [];
  switch (q.type) {
    case 'daily-active-users':
      columns = ['day', 'users'];
      rows = everyDay(
        range,
        await ctx.store.dailyActiveUsers(range, (ids) => usersOf(ctx.db, ids)),
        'users',
      );
      break;
    case 'signups':
      columns = ['day', 'signups'];
      rows = everyDay(range, await ctx.store.signups(range), 'signups');
      break;
    case 'top-events':
      columns = ['event', 'count'];
      rows = await ctx.store.topEvents(range, q.limit);
      break;
    case 'top-routes':
      columns = ['service', 'route', 'requests', 'errors'];
      rows = await ctx.store.topRoutes(range, q.limit);
      break;
  }
  return { ...head, body: { ...head, columns, rows }, columns, rows };
}
