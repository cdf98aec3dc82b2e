import { problems } from '@platform/http';

/** An opaque keyset position: the last item's time (ms or ns, as the store uses) and tiebreak. */
export function encodeCursor(time: string, tiebreak: string): string {
  return Buffer.from(JSON.stringify([time, tiebreak])).toString('base64url');
}

export function decodeCursor(cursor: string): [string, string] {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString());
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      /^\d{1,20}$/.test(value[0]) &&
      typeof value[1] === 'string'
    ) {
      return [value[0], value[1]];
    }
  } catch {}
  throw problems.badRequest('The cursor is invalid.', [
    { field: 'cursor', message: 'use next_cursor from a previous page' },
  ]);
}
