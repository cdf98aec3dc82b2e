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
  anyOrigin(app);
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

/** What analytics.js sends besides a CORS-safelisted request: its key as Basic, its retry count. */
const ANY_ORIGIN_HEADERS = 'authorization, content-type, x-retry-count';
const ANY_ORIGIN_EXPOSED =
  'x-request-id, ratelimit-limit, ratelimit-remaining, ratelimit-reset, retry-after';

/**
 * Routes a manifest marks `any_origin` (analytics.js's posts, and the settings it GETs from its
 * cdnURL): pages on any origin call them, with a
 * public key and no cookies, so every answer (the gateway's own refusals too, so a page's
 * library reads a 429's Retry-After or a 413 instead of a network error it would retry) carries
 * `Access-Control-Allow-Origin: *`, and their preflight is answered here, whatever CORS_ORIGINS
 * says (which stays the policy of every other route). `*` admits no credentials: a page's
 * cookies never go along. Which origins may send is the service's decision (analytics: a browser
 * write key's origins, checked against Origin); the preflight carries no key to decide by.
 */
function anyOrigin(app: App) {
  app.addHook('onRequest', async (request, reply) => {
    if (!request.routeOptions.config.anyOrigin) return;
    reply.header('access-control-allow-origin', '*');
    reply.header('access-control-expose-headers', ANY_ORIGIN_EXPOSED);
    if (request.method !== 'OPTIONS') return;
    // The route's own methods (POST; GET and HEAD for a GET route), as proxy/routes.ts took them.
    const methods = [request.routeOptions.method].flat().filter((m) => m !== 'OPTIONS');
    reply.header('allow', [...methods, 'OPTIONS'].join(', '));
    if (request.headers['access-control-request-method'] !== undefined) {
      reply.header('access-control-allow-methods', methods.join(', '));
      reply.header('access-control-allow-headers', ANY_ORIGIN_HEADERS);
      reply.header('access-control-max-age', '600');
    }
    return reply.code(204).send();
  });
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Pages on any origin call it (manifest `edge`, `any_origin`). */
    anyOrigin?: boolean;
  }
}
