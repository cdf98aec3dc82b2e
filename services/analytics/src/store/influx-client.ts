import { Readable } from 'node:stream';
import { request } from 'undici';
import { cutOutsideIds } from '../pseudonyms.ts';
import { StoreRejected, StoreUnavailable } from './errors.ts';

export interface InfluxOptions {
  url: string;
  database: string;
  token?: string | undefined;
  username?: string | undefined;
  password?: string | undefined;
  timeoutMs?: number;
  /** Queries over long ranges take longer than writes (default 60 s). */
  queryTimeoutMs?: number;
}

export interface Series {
  name: string;
  tags?: Record<string, string>;
  columns: string[];
  values: unknown[][];
}

/** Rows of one series as objects keyed by column. */
export const records = (s: Series) =>
  s.values.map((v) => Object.fromEntries(s.columns.map((c, i) => [c, v[i]])));

/** Nanoseconds since the epoch of an RFC 3339 time as InfluxDB prints it (up to 9 digits). */
export function nanos(time: string): bigint {
  const m = /^(.*?)(?:\.(\d{1,9}))?Z$/.exec(time);
  if (!m) throw new Error(`unexpected time from InfluxDB: ${time}`);
  const seconds = BigInt(Date.parse(`${m[1]}Z`)) / 1000n;
  return seconds * 1_000_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
}

/** The server cut the answer short (its max-row-limit): ask for less at a time. */
export class QueryTruncated extends Error {
  override name = 'QueryTruncated';
}

/** A failure worth retrying later: the server is down, slow, or refused our credentials. */
export class InfluxUnavailable extends StoreUnavailable {
  override name = 'InfluxUnavailable';
}

/**
 * The InfluxDB v1 HTTP API: line protocol to `/write`, InfluxQL to `/query`. InfluxDB 1.x serves
 * it natively, 2.x and 3.x through their v1 compatibility endpoints.
 */
export function influxClient(options: InfluxOptions) {
  const base = options.url.replace(/\/+$/, '');
  const headers: Record<string, string> = {};
  if (options.token) headers.authorization = `Token ${options.token}`;
  else if (options.username) {
    const pair = `${options.username}:${options.password ?? ''}`;
    headers.authorization = `Basic ${Buffer.from(pair).toString('base64')}`;
  }
  const timeout = options.timeoutMs ?? 10_000;

  /**
   * The status and the whole body: a timeout may also strike while the body streams in. undici's
   * own `request`, not `fetch`: at ingestion rates fetch's stream plumbing around a megabyte body
   * was about a tenth of the service's CPU.
   */
  async function call(
    path: string,
    init: {
      method: 'GET' | 'POST';
      body?: string | Buffer | Buffer[];
      headers?: Record<string, string>;
    },
    ms = timeout,
  ): Promise<{ status: number; ok: boolean; text: string }> {
    try {
      const res = await request(`${base}${path}`, {
        method: init.method,
        // Pieces as a stream: undici writes each as it comes, never joined.
        body: Array.isArray(init.body) ? Readable.from(init.body) : init.body,
        headers: { ...headers, ...init.headers },
        signal: AbortSignal.timeout(ms),
      });
      const text = await res.body.text();
      return { status: res.statusCode, ok: res.statusCode < 300, text };
    } catch (error) {
      throw new InfluxUnavailable(`InfluxDB unreachable: ${(error as Error).message}`);
    }
  }
  const queryTimeout = options.queryTimeoutMs ?? 60_000;

  return {
    /**
     * Line protocol: lines, or a body (text or bytes) of lines each ending in a newline, or
     * such a body in pieces (`{ pieces }`, each ending in a newline), sent one after the other.
     */
    async write(
      lines: string[] | string | Buffer | { pieces: (string | Buffer)[] },
    ): Promise<void> {
      const body =
        typeof lines === 'string' || Buffer.isBuffer(lines)
          ? lines
          : Array.isArray(lines)
            ? lines.join('\n')
            : inPieces(lines.pieces);
      if (body.length === 0) return;
      const db = encodeURIComponent(options.database);
      const res = await call(`/write?db=${db}&precision=ns`, {
        method: 'POST',
        body,
        headers: {
          'content-type': 'text/plain; charset=utf-8',
          ...(Array.isArray(body)
            ? { 'content-length': String(body.reduce((n, b) => n + b.length, 0)) }
            : {}),
        },
      });
      if (res.status === 204 || res.status === 200) return;
      const text = res.text;
      // Points older than the retention policy are dropped by design, not a failure.
      if (res.status === 400 && /beyond retention policy/.test(text)) return;
      // What the writer sets the item aside with: never a part of a user id (cutOutsideIds).
      if (res.status === 400 || res.status === 413) {
        throw new StoreRejected(cutOutsideIds(text, 300));
      }
      throw new InfluxUnavailable(`InfluxDB /write answered ${res.status}: ${text.slice(0, 300)}`);
    },

    async query(q: string, post = false): Promise<Series[][]> {
      const params = new URLSearchParams({ db: options.database, q });
      const res = post
        ? await call(
            '/query',
            {
              method: 'POST',
              body: params.toString(),
              headers: { 'content-type': 'application/x-www-form-urlencoded' },
            },
            queryTimeout,
          )
        : await call(`/query?${params}`, { method: 'GET' }, queryTimeout);
      const text = res.text;
      if (!res.ok)
        throw new InfluxUnavailable(
          `InfluxDB /query answered ${res.status}: ${text.slice(0, 300)}`,
        );
      const body = JSON.parse(text) as {
        results?: {
          series?: (Series & { partial?: boolean })[];
          error?: string;
          partial?: boolean;
        }[];
      };
      const results = body.results ?? [];
      const failed = results.find((r) => r.error);
      if (failed) throw new Error(`InfluxQL error: ${failed.error}`);
      // A server with max-row-limit cuts long answers short; a silent cut would undercount.
      if (results.some((r) => r.partial || r.series?.some((s) => s.partial))) {
        throw new QueryTruncated('InfluxDB returned a partial answer (max-row-limit)');
      }
      return results.map((r) => r.series ?? []);
    },

    async ping(): Promise<void> {
      const res = await call('/ping', { method: 'GET' });
      if (res.status >= 300) throw new InfluxUnavailable(`InfluxDB /ping answered ${res.status}`);
    },
  };
}

export type InfluxClient = ReturnType<typeof influxClient>;

/**
 * A body's pieces as bytes, each on its own, never joined: a writer pass's body (5000 events,
 * ~750 KB) joined was a fresh large string for V8 and, as bytes, a block above glibc's mmap
 * threshold (128 KiB, packages/launcher/src/processes.ts), so each write paid ~400 page
 * faults for memory it then gave back. A 500-event piece (~75 KB) comes from memory malloc
 * reuses. undici writes the pieces one after the other, with the total as content-length.
 */
const inPieces = (pieces: (string | Buffer)[]): Buffer[] =>
  pieces.map((p) => (typeof p === 'string' ? Buffer.from(p) : p));

/** An InfluxQL string literal. */
export const quote = (value: string) => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
/** An InfluxQL identifier. */
export const ident = (value: string) => `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
