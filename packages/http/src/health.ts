import type { FastifyInstance } from 'fastify';

export type ReadinessCheck = () => Promise<void>;

declare module 'fastify' {
  interface FastifyInstance {
    /** Adds a dependency `/health/ready` must reach (a database, a queue). */
    addReadinessCheck(name: string, check: ReadinessCheck): void;
  }
}

const CHECK_TIMEOUT_MS = 2000;

/** `/health/live` says the process runs; `/health/ready` that it can serve, and fails once closing. */
export function registerHealth(app: FastifyInstance) {
  const checks = new Map<string, ReadinessCheck>();
  let closing = false;
  app.decorate('addReadinessCheck', (name: string, check: ReadinessCheck) => {
    checks.set(name, check);
  });
  app.addHook('preClose', async () => {
    closing = true;
  });
  // Once closing, keep-alive clients are told to reconnect elsewhere; otherwise a connection
  // that finishes its request after close() began would hold the process open.
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) reply.header('connection', 'close');
    done(null, payload);
  });

  const hide = { schema: { hide: true }, logLevel: 'warn' as const };
  app.get('/health/live', hide, async () => ({ status: 'ok' }));
  app.get('/health/ready', hide, async (_request, reply) => {
    if (closing) return reply.code(503).send({ status: 'closing', checks: {} });
    const results: Record<string, string> = {};
    await Promise.all(
      [...checks].map(async ([name, check]) => {
        try {
          await withTimeout(check(), CHECK_TIMEOUT_MS);
          results[name] = 'ok';
        } catch (error) {
          results[name] = error instanceof Error ? error.message : 'failed';
        }
      }),
    );
    const ready = Object.values(results).every((r) => r === 'ok');
    return reply
      .code(ready ? 200 : 503)
      .send({ status: ready ? 'ready' : 'unavailable', checks: results });
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
