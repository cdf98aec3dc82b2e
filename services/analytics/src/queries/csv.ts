/**
 * Text a spreadsheet would run as a formula (OWASP "CSV injection"): event names and steps come
 * from clients (`=cmd|' /C calc'!A0` is a valid Segment event name), and an admin opens the file.
 */
const FORMULA = /^[=+\-@\t\r]/;

/**
 * RFC 4180: a field with a comma, quote or line break is quoted, inner quotes doubled. Text that
 * starts like a formula gets a leading apostrophe, which spreadsheets show as text; numbers stay.
 */
export function csvField(value: string | number): string {
  const text = typeof value === 'string' && FORMULA.test(value) ? `'${value}` : String(value);
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv(columns: string[], rows: Record<string, string | number>[]): string {
  const lines = [columns.map(csvField).join(',')];
  for (const row of rows) lines.push(columns.map((c) => csvField(row[c] ?? '')).join(','));
  return `${lines.join('\r\n')}\r\n`;
}
