import { DomainError } from '@platform/http';
import type { Store } from './types.ts';
/** An opaque keyset position: the last item's time (ms or ns, as the store uses) and tiebreak. */
export function encodeCursor(time: string, tiebreak: string): string {
  return Buffer.from(JSON.stringify([time, tiebreak])).toString('base64url');
}

/** What a store's own cursors hold: its largest time, and the form of its tiebreak. */
export interface CursorShape {
  maxTime: bigint;
  tiebreak: RegExp;
}

/** PostgreSQL: milliseconds up to Date's last day, and the row's bigint sequence. */
export const POSTGRES_CURSOR: CursorShape = {
  maxTime: 8_640_000_000_000_000n,
  tiebreak: /^(0|[1-9]\d{0,14})$/,
};
/** InfluxDB: nanoseconds (a signed 64-bit time), and the event id, which no query reads. */
export const INFLUX_CURSOR: CursorShape = {
  maxTime: 9_223_372_036_854_775_807n,
  tiebreak: /^[\s\S]{0,500}$/,
};

/** Each store's cursors, by the store's kind. */
export const CURSORS: Record<Store['kind'], CursorShape> = {
  postgres: POSTGRES_CURSOR,
  influxdb: INFLUX_CURSOR,
};

/**
 * Anything but a cursor of this shape is a 400, never a query that fails; and so is the same
 * position written otherwise than encodeCursor writes it (padding or stray bits in the base64,
 * spaces or escapes in the JSON, leading zeros in a number): one position, one cursor, as the
 * event-name cursor (event-names/routes.ts).
 */
export function decodeCursor(cursor: string, shape: CursorShape): [string, string] {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString());
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      typeof value[0] === 'string' &&
      /^\d{1,19}$/.test(value[0]) &&
      BigInt(value[0]) <= shape.maxTime &&
      String(BigInt(value[0])) === value[0] &&
      typeof value[1] === 'string' &&
      shape.tiebreak.test(value[1]) &&
      encodeCursor(value[0], value[1]) === cursor
    ) {
      return [value[0], value[1]];
    }
  } catch {}
  throw new DomainError('validation_failed', 'The cursor is invalid.', {
    errors: [{ field: 'cursor', message: 'use next_cursor from a previous page' }],
  });
}
