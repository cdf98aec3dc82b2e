import { flushTracing } from '@platform/telemetry';
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
  // Started by a supervisor over an IPC channel (the launcher, a test): when the supervisor dies
  // without stopping us (SIGKILL, a test runner's timeout), the channel closes. Stop as on SIGTERM
  // rather than keep a port and database connections open with no one to stop them.
  if (process.channel) {
    process.channel.unref();
    process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
  }
  // Last: the spans of the shutdown itself (the hooks added before this) are sent too.
  app.addHook('onClose', flushTracing);
  const address = await app.listen({ port, host });
  return address;
}
