import assert from 'node:assert/strict';
import { test } from 'node:test';
import { periodStart } from '../src/queries/funnels.ts';
import { bearer, type TestAnalytics, writeKeyAuth } from './helper.ts';

const HOUR = 3600_000;
const DAY = 24 * HOUR;

/**
 * Funnels and retention on a fixed data set, against answers worked out by hand; run on each
 * store (PostgreSQL here, InfluxDB in the full tier), which must agree.
 */
export function funnelsContract(name: string, t: TestAnalytics) {
  // A Monday four weeks back, so every time below is in the past and within retention.
  const base = periodStart(Date.now() - 28 * DAY, 'week');
  const at = (ms: number) => new Date(base + ms).toISOString();
  let n = 0;
  const message = (type: string, who: object, rest: object, ms: number) => {
    n += 1;
    return { type, ...who, ...rest, timestamp: at(ms), messageId: `${name}-${n}` };
  };
  const track = (who: object, event: string, ms: number) => message('track', who, { event }, ms);
  const u = (id: string) => ({ userId: id });
  const batch = [
    // u1 goes all the way within the day, and logs in on days 1, 3 and 8.
    track(u('u1'), 'signup', 1 * HOUR),
    track(u('u1'), 'activate', 2 * HOUR),
    track(u('u1'), 'purchase', 3 * HOUR),
    track(u('u1'), 'login', 1 * DAY),
    track(u('u1'), 'login', 3 * DAY),
    track(u('u1'), 'login', 8 * DAY),
    // u2 purchases before activating: two steps in order; logs in on day 0.
    track(u('u2'), 'signup', 1 * HOUR),
    track(u('u2'), 'purchase', 2 * HOUR),
    track(u('u2'), 'activate', 3 * HOUR),
    track(u('u2'), 'login', 2 * HOUR),
    // u3: the first try times out (activation two days later); a second start completes.
    track(u('u3'), 'signup', 0),
    track(u('u3'), 'signup', 2 * DAY - HOUR),
    track(u('u3'), 'activate', 2 * DAY),
    track(u('u3'), 'purchase', 2 * DAY + HOUR),
    // a4 signs up anonymously, then is identified as u4, who activates and logs in on day 2.
    track({ anonymousId: 'a4' }, 'signup', 1 * HOUR),
    message('identify', { userId: 'u4', anonymousId: 'a4' }, { traits: {} }, 90 * 60_000),
    track(u('u4'), 'activate', 2 * HOUR),
    track(u('u4'), 'login', 2 * DAY),
    // u5 never signs up; a6 stays anonymous.
    track(u('u5'), 'activate', 1 * HOUR),
    track({ anonymousId: 'a6' }, 'signup', 1 * HOUR),
    // u7 starts on day 1 and returns the same day and the next.
    track(u('u7'), 'signup', DAY + HOUR),
    track(u('u7'), 'login', DAY + 5 * HOUR),
    track(u('u7'), 'login', 2 * DAY),
    // u8 logged in before signing up on day 2: that login does not count.
    track(u('u8'), 'login', 0),
    track(u('u8'), 'signup', 2 * DAY),
    // For daily active users (no funnel or retention reads 'browse'): a4 comes back on day 5
    // without signing in; a9 browses on day 5, is aliased to u9 on day 6 and browses that day
    // under both ids; a10 is never linked.
    track({ anonymousId: 'a4' }, 'browse', 5 * DAY),
    track({ anonymousId: 'a9' }, 'browse', 5 * DAY + HOUR),
    track({ anonymousId: 'a10' }, 'browse', 5 * DAY + 2 * HOUR),
    message('alias', u('u9'), { previousId: 'a9' }, 6 * DAY),
    track(u('u9'), 'browse', 6 * DAY + HOUR),
    track({ anonymousId: 'a9' }, 'browse', 6 * DAY + 2 * HOUR),
  ];

  const report = async (query: string) => {
    const res = await t.app.inject({
      url: `/analytics/v1/reports?${query}`,
      headers: bearer(t.adminToken),
    });
    assert.equal(res.statusCode, 200, res.body);
    return res;
  };

  test(`${name}: the data set goes in through a write key`, async () => {
    const authorization = await writeKeyAuth(t, name);
    const res = await t.app.inject({
      method: 'POST',
      url: '/analytics/v1/batch',
      headers: { authorization },
      payload: { batch },
    });
    assert.equal(res.statusCode, 200, res.body);
    await t.drained();
  });

  test(`${name}: a funnel counts people through ordered steps within the window`, async () => {
    const range = `from=${at(0)}&to=${at(3 * DAY)}`;
    const res = await report(`type=funnel&steps=signup,activate,purchase&window=P1D&${range}`);
    assert.deepEqual(res.json().steps, [
      { event: 'signup', users: 7, conversion: 1 },
      { event: 'activate', users: 4, conversion: 0.5714 },
      { event: 'purchase', users: 2, conversion: 0.2857 },
    ]);
    assert.equal(res.json().window, 'P1D');
    // A window of three days lets u3's first start count too; nothing else changes.
    const wide = await report(`type=funnel&steps=signup,activate,purchase&window=P3D&${range}`);
    assert.deepEqual(
      wide.json().steps.map((s: { users: number }) => s.users),
      [7, 4, 2],
    );
    // Without a window, the contract's default: seven days.
    const byDefault = await report(`type=funnel&steps=signup,activate,purchase&${range}`);
    const week = await report(`type=funnel&steps=signup,activate,purchase&window=P7D&${range}`);
    assert.equal(byDefault.json().window, 'P7D');
    assert.deepEqual(byDefault.json().steps, week.json().steps);
    // Months and years are ISO 8601 durations too (the contract's `window`): a month holds
    // every step here, as a week does.
    for (const window of ['P1M', 'P1Y', 'P1M2DT3H']) {
      const long = await report(
        `type=funnel&steps=signup,activate,purchase&window=${window}&${range}`,
      );
      assert.deepEqual(long.json().steps, week.json().steps, window);
    }
    // Half an hour is shorter than anyone took from signing up to activating.
    const hour = await report(`type=funnel&steps=signup,activate&window=PT30M&${range}`);
    assert.deepEqual(
      hour.json().steps.map((s: { users: number }) => s.users),
      [7, 0],
    );
    const csv = await report(
      `type=funnel&steps=signup,activate,purchase&window=P1D&${range}&format=csv`,
    );
    assert.match(csv.headers['content-type'] as string, /^text\/csv/);
    assert.equal(
      csv.body,
      'step,event,users,conversion\r\n1,signup,7,1\r\n2,activate,4,0.5714\r\n3,purchase,2,0.2857\r\n',
    );
  });

  test(`${name}: retention counts each cohort's returns per day and per week`, async () => {
    const daily = await report(
      `type=retention&start_event=signup&return_event=login&period=day&from=${at(0)}&to=${at(4 * DAY)}`,
    );
    assert.deepEqual(daily.json().cohorts, [
      { start: at(0), users: 5, returned: [1, 1, 1, 1] },
      { start: at(DAY), users: 1, returned: [1, 1, 0] },
      { start: at(2 * DAY), users: 1, returned: [0, 0] },
      { start: at(3 * DAY), users: 0, returned: [0] },
    ]);
    const weekly = await report(
      `type=retention&start_event=signup&return_event=login&period=week&from=${at(0)}&to=${at(14 * DAY)}`,
    );
    assert.deepEqual(weekly.json().cohorts, [
      { start: at(0), users: 7, returned: [4, 1] },
      { start: at(7 * DAY), users: 0, returned: [0] },
    ]);
    const csv = await report(
      `type=retention&start_event=signup&return_event=login&period=week&from=${at(0)}&to=${at(14 * DAY)}&format=csv`,
    );
    assert.equal(
      csv.body,
      `start,users,week_0,week_1\r\n${at(0)},7,4,1\r\n${at(7 * DAY)},0,0,\r\n`,
    );
  });

  test(`${name}: daily active users count a person once, with what they did before signing in`, async () => {
    const res = await report(`type=daily-active-users&from=${at(0)}&to=${at(7 * DAY)}`);
    const day = (ms: number) => at(ms).slice(0, 10);
    assert.deepEqual(res.json().rows, [
      // u1, u2, u3, u4 (also as a4 the same day: once), u5, u8; a6 is nobody's.
      { day: day(0), users: 6 },
      { day: day(DAY), users: 3 }, // u1, u3, u7
      { day: day(2 * DAY), users: 4 }, // u3, u4, u7, u8
      { day: day(3 * DAY), users: 1 }, // u1
      { day: day(4 * DAY), users: 0 },
      // Only anonymous events: a4 is u4, a9 is u9 (aliased the next day), a10 is nobody's.
      { day: day(5 * DAY), users: 2 },
      { day: day(6 * DAY), users: 1 }, // u9, as u9 and as a9
    ]);
    const csv = await report(
      `type=daily-active-users&from=${at(5 * DAY)}&to=${at(7 * DAY)}&format=csv`,
    );
    assert.equal(csv.body, `day,users\r\n${day(5 * DAY)},2\r\n${day(6 * DAY)},1\r\n`);
  });

  test(`${name}: funnel and retention parameters are checked`, async () => {
    for (const [query, field] of <[string, string][]>[
      ['type=funnel', 'steps'],
      ['type=funnel&steps=a,,b', 'steps'],
      ['type=funnel&steps=a&window=P0D', 'window'],
      ['type=funnel&steps=a&window=7d', 'window'],
      ['type=funnel&steps=a&window=P1Y1D', 'window'],
      ['type=funnel&steps=a&window=P13M', 'window'],
      ['type=funnel&steps=a&window=P1M1Y', 'window'],
      ['type=retention&start_event=a', 'return_event'],
      ['type=retention&start_event=a&return_event=b&period=month', 'period'],
    ]) {
      const res = await t.app.inject({
        url: `/analytics/v1/reports?${query}`,
        headers: bearer(t.adminToken),
      });
      assert.equal(res.statusCode, 400, `${query}: ${res.body}`);
      assert.ok(
        res.json().errors.some((e: { field: string }) => e.field.includes(field)),
        `${query}: ${res.body}`,
      );
    }
  });
}
