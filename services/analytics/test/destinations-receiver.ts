import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  /** Exactly the bytes that arrived, as a receiver must verify them. */
  raw: string;
  body: Record<string, unknown>;
  status: number;
}

/**
 * A webhook receiver on a loopback port. `answer` decides each response's status from the path
 * and how many times this path has already seen the same messageId.
 */
export async function startReceiver(answer: (path: string, seenBefore: number) => number) {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const body = JSON.parse(raw) as Record<string, unknown>;
      const path = req.url ?? '/';
      const seenBefore = received.filter(
        (r) => r.path === path && r.body.messageId === body.messageId,
      ).length;
      const status = answer(path, seenBefore);
      received.push({ path, headers: req.headers, raw, body, status });
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'no');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as AddressInfo;
  return {
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    at: (path: string) => received.filter((r) => r.path === path),
  };
}

/** Polls until `check` returns something truthy; fails after `ms` (generous: CI is loaded). */
export async function until<T>(
  check: () => T | Promise<T>,
  what: string,
  ms = 30_000,
): Promise<Exclude<T, false | null | undefined | 0 | ''>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value as Exclude<T, false | null | undefined | 0 | ''>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}
