import cors from '@fastify/cors';
import type { App } from '@platform/http';
import { splitList } from '../config.ts';

/** An API answers JSON: nothing in it may run, frame or be sniffed as something else. */
const API_POLICY = "default-src 'none'; frame-ancestors 'none'";
/** The docs page runs Swagger UI's bundled script and styles, all from this origin. */
const DOCS_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'";

/** Security headers on every answer, and CORS only for the configured origins. */
export async function security(app: App, options: { corsOrigins: string }) {
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('x-frame-options', 'DENY');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('strict-transport-security', 'max-age=31536000; includeSubDomains');
    reply.header('cross-origin-opener-policy', 'same-origin');
    // A service may set its own (say, for an image); otherwise the strict one.
    if (!reply.hasHeader('content-security-policy')) {
      const docs = request.url === '/docs' || request.url.startsWith('/docs/');
      reply.header('content-security-policy', docs ? DOCS_POLICY : API_POLICY);
    }
  });
  const origins = splitList(options.corsOrigins);
  if (origins.length === 0) return;
  await app.register(cors, {
    origin: origins.includes('*') ? '*' : origins,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ['authorization', 'content-type', 'x-request-id', 'traceparent'],
    exposedHeaders: [
      'x-request-id',
      'ratelimit-limit',
      'ratelimit-remaining',
      'ratelimit-reset',
      'retry-after',
      'etag',
    ],
    maxAge: 600,
  });
}
