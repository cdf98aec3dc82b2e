import assert from 'node:assert/strict';
import { test } from 'node:test';
import { durationEnd } from '../src/queries/time.ts';

const at = (iso: string) => Date.parse(iso);
const end = (window: string, from: string) => new Date(durationEnd(window)(at(from))).toISOString();

test('a funnel window of months or years ends by the UTC calendar, clamped to the month’s last day', () => {
  assert.equal(end('P1M', '2025-01-15T10:00:00.000Z'), '2025-02-15T10:00:00.000Z');
  assert.equal(end('P1M', '2025-01-31T10:00:00.000Z'), '2025-02-28T10:00:00.000Z');
  assert.equal(end('P1M', '2024-01-31T10:00:00.000Z'), '2024-02-29T10:00:00.000Z');
  assert.equal(end('P1Y', '2024-02-29T00:00:00.000Z'), '2025-02-28T00:00:00.000Z');
  assert.equal(end('P12M', '2025-03-01T00:00:00.000Z'), '2026-03-01T00:00:00.000Z');
  assert.equal(end('P1M1DT2H', '2025-12-31T23:00:00.000Z'), '2026-02-02T01:00:00.000Z');
});

test('weeks, days and the time part are fixed lengths', () => {
  assert.equal(end('P7D', '2025-03-29T12:00:00.000Z'), '2025-04-05T12:00:00.000Z');
  assert.equal(end('P1W', '2025-03-29T12:00:00.000Z'), '2025-04-05T12:00:00.000Z');
  assert.equal(end('PT1H30M', '2025-03-29T12:00:00.000Z'), '2025-03-29T13:30:00.000Z');
  assert.equal(end('PT45S', '2025-03-29T12:00:00.000Z'), '2025-03-29T12:00:45.000Z');
});
