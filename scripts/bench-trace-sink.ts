// The tracing half of `npm run bench:gateway`: where the traced services export, and what they
// are given beside the untraced ones.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { started } from './bench-lib.ts';

/**
 * An OTLP/HTTP endpoint that takes every export and keeps only the count of bytes, as a process
 * of its own: a collector runs elsewhere in production, so what it costs must neither slow the
 * load generator nor hide in its figures; the CPU table shows it as `otlp sink`.
 */
const SINK = `
const { createServer } = require('node:http');
let requests = 0, bytes = 0;
const server = createServer((req, res) => {
  if (req.method === 'GET') return res.end(JSON.stringify({ requests, bytes }));
  requests += 1;
  req.on('data', (chunk) => { bytes += chunk.length; });
  req.on('end', () => res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end());
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
process.on('SIGTERM', () => process.exit(0));
`;

export async function startTraceSink() {
  const child = spawn(process.execPath, ['-e', SINK], { stdio: ['ignore', 'pipe', 'inherit'] });
  if (child.pid) started.set(child.pid, 'otlp sink');
  const [line] = (await once(child.stdout, 'data')) as [Buffer];
  const url = `http://127.0.0.1:${String(line).trim()}`;
  return {
    url,
    stats: async () => (await (await fetch(url)).json()) as { requests: number; bytes: number },
    close: async () => {
      child.kill('SIGTERM');
      if (child.exitCode === null) await once(child, 'exit');
    },
  };
}

/**
 * `BENCH_TRACED_ENV='OTEL_NODE_DISABLED_INSTRUMENTATIONS=pg …'`: more variables for the traced
 * services only, to take the cost of tracing apart (docs/observability.md, "Measured"): e.g.
 * `OTEL_TRACES_SAMPLER=always_off` leaves context propagation and the instrumentations' hooks but
 * records no span.
 */
export function tracedEnv(): Record<string, string> {
  const pairs = process.env.BENCH_TRACED_ENV?.split(/\s+/).filter(Boolean) ?? [];
  return Object.fromEntries(
    pairs.map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)]),
  );
}
