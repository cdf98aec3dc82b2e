import { prettyFactory } from 'pino-pretty';
import type { LineFormat } from './processes.ts';

/**
 * `npm run dev` shows each service's JSON log lines the way pino-pretty does, one line per entry
 * (errors keep their stack below). The services themselves always write JSON, as in production:
 * prettifying in the launcher keeps a development-only tool out of every service.
 */
export function prettyLogs(colour: boolean): LineFormat {
  const pretty = prettyFactory({
    colorize: colour,
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss.l',
    // The launcher's `name |` column already says which service wrote the line.
    ignore: 'pid,hostname,service',
  });
  return (line) => (line.startsWith('{') ? pretty(line) : `${line}\n`);
}
