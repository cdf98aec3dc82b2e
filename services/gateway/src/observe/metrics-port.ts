import { createServer, type Server } from 'node:http';
import type { App } from '@platform/http';

declare module 'fastify' {
  interface FastifyInstance {
    /** Serves `/metrics` on the internal port (listening once the app is ready). */
    metricsServer?: Server;
  }
}

/**
 * The gateway's own `/metrics` names every instance's address and counts sign-ins per route: it is
 * for the scraper only, on a port of its own that NGINX, the ingress and the Service never expose.
 * It listens when the app is ready (a taken port fails the start) and closes with it.
 */
export function serveMetrics(app: App, port: number, host: string) {
  const registry = app.metrics;
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?', 1)[0] !== '/metrics') {
      res.statusCode = 404;
      res.end();
      return;
    }
    registry.metrics().then(
      (text) => {
        res.setHeader('content-type', registry.contentType);
        res.end(text);
      },
      (err) => {
        app.log.error({ err }, 'collecting metrics failed');
        res.statusCode = 500;
        res.end();
      },
    );
  });
  app.decorate('metricsServer', server);
  app.addHook(
    'onReady',
    () =>
      new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve();
        });
      }),
  );
  app.addHook('onClose', async () => {
    if (!server.listening) return;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
}
