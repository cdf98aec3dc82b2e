import cors from '@fastify/cors';
import type { App } from '@platform/http';
import { splitList } from '../config.ts';

/** An API answers JSON: nothing in it may run, frame or be sniffed as something else. */
const API_POLICY = "default-src 'none'; frame-ancestors 'none'";
/** The docs page runs Swagger UI's bundled script and styles, all from this origin. */
const DOCS_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'";

const BASE_HEADERS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'cross-origin-opener-policy': 'same-origin',
};

/** Security headers on every answer, and CORS only for the configured origins. */
export async function security(app: App, options: { corsOrigins: string }) {
  // Set before the handler runs: headers copied from a service's answer (its own CSP for an
  // image, say) then take precedence, and no extra hook runs after the body is ready.
  app.addHook('onRequest', (request, reply, done) => {
    reply.headers(BASE_HEADERS);
    const docs = request.url === '/docs' || request.url.startsWith('/docs/');
    reply.header('content-security-policy', docs ? DOCS_POLICY : API_POLICY);
    done();
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
    // An OPTIONS without Origin or Access-Control-Request-Method is no preflight to refuse: a
    // strict one answered it with a text/plain 400, not the API's problem+json.
    strictPreflight: false,
  });
}
