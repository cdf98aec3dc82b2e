import { flushTracing } from '@platform/telemetry';
import { setFlagsFromString } from 'node:v8';
import closeWithGrace from 'close-with-grace';
import type { FastifyInstance } from 'fastify';

const SHUTDOWN_GRACE_MS = 10_000;

/**
 * Listens, then on SIGTERM/SIGINT stops accepting, lets in-flight requests finish, runs the app's
 * onClose hooks (pools, timers) and exits 0; a shutdown that takes longer than 10 s exits 1.
 */
export async function listen(app: FastifyInstance, port: number, host: string): Promise<string> {
  const closer = closeWithGrace(
    { delay: SHUTDOWN_GRACE_MS, logger: app.log },
    async ({ err, signal }) => {
      if (err) app.log.error({ err }, 'fatal error, shutting down');
      else app.log.info({ signal }, 'shutting down');
      await app.close();
    },
  );
  app.addHook('onClose', async () => {
    closer.uninstall();
  });
  // Last: the spans of the shutdown itself (the hooks added before this) are sent too.
  app.addHook('onClose', flushTracing);
  const address = await app.listen({ port, host });
  releaseYoungGeneration();
  return address;
}

/** Start-up is over: the young generation grows with the load again, by V8's default factor. */
function releaseYoungGeneration() {
  setFlagsFromString('--semi-space-growth-factor=2');
}
