import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { flushTracing } from '@platform/telemetry';
import closeWithGrace from 'close-with-grace';
import type { FastifyInstance } from 'fastify';

export const SHUTDOWN_GRACE_MS = 10_000;

/**
 * Listens, then on SIGTERM/SIGINT stops accepting, lets in-flight requests finish, runs the app's
 * onClose hooks (writers, relays, feeds, timers), then `options.afterClose` (the database: the
 * hooks' last passes still use it), then sends the spans still buffered, and exits 0; a shutdown
 * that takes longer than 10 s exits 1. (Fastify runs onClose hooks newest first, so a pool closed
 * from a hook added here, after the app has added its own, would close before them.)
 */
export async function listen(
  app: FastifyInstance,
  port: number,
  host: string,
  options: { afterClose?: () => unknown } = {},
): Promise<string> {
  let stopping = false;
  const closer = closeWithGrace(
    { delay: SHUTDOWN_GRACE_MS, logger: app.log },
    async ({ err, signal }) => {
      stopping = true;
      if (err) app.log.error({ err }, 'fatal error, shutting down');
      else app.log.info({ signal }, 'shutting down');
      await app.close();
      await options.afterClose?.();
      // Last: the spans of the shutdown itself are sent too.
      await flushTracing();
    },
  );
  app.addHook('onClose', async () => {
    closer.uninstall();
  });
  // Started by a supervisor over an IPC channel (the launcher, a test): when the supervisor dies
  // without stopping us (SIGKILL, a test runner's timeout), the channel closes. Stop as on SIGTERM
  // rather than keep a port and database connections open with no one to stop them.
  let heard = false;
  const supervisorGone = () => {
    heard = true;
    // Not during a shutdown under way: a second signal would cut its drain short.
    if (!stopping) process.kill(process.pid, 'SIGTERM');
  };
  if (process.channel) {
    process.channel.unref();
    process.once('disconnect', supervisorGone);
  }
  await app.ready();
  collectStartUpGarbage();
  const address = await app.listen({ port, host });
  releaseYoungGeneration();
  // The supervisor died while we were still starting (migrations, imports), before anyone listened
  // for 'disconnect': the channel is gone (process.channel is null) but `send` says there was one.
  // Services run in process groups of their own, so nothing else would ever stop this one.
  if (typeof process.send === 'function' && !process.connected && !heard) supervisorGone();
  return address;
}

/**
 * One full, compacting collection before the port opens, so no request waits for it. Loading
 * leaves the old generation fragmented (the young generation is held small, so much of the
 * start-up garbage was promoted: see start-up.ts), and V8 keeps those pages until its memory
 * reducer runs, 8 s or more into idling. Compacting every page once here returns them now
 * (≈5–10 MB per service). `gc` is exposed to a throwaway context only, never to the service's
 * own code, and both flags are set back at once.
 */
function collectStartUpGarbage() {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  setFlagsFromString('--no-expose-gc');
  setFlagsFromString('--compact-on-every-full-gc');
  try {
    gc();
  } finally {
    setFlagsFromString('--no-compact-on-every-full-gc');
  }
}

/** Start-up is over: the young generation grows with the load again, by V8's default factor. */
function releaseYoungGeneration() {
  setFlagsFromString('--semi-space-growth-factor=2');
}
