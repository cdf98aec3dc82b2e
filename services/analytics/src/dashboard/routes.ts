import { createHash } from 'node:crypto';
import type { App } from '@platform/http';
import { isNotModified, problems } from '@platform/http';
import { Type } from 'typebox';
import { loadAssets } from './assets.ts';
import { dashboardPage } from './page.ts';

/**
 * Only files from this origin, no inline script or style, no framing, and forms that cannot be
 * submitted natively (the page's script signs in; without it a password must not land in a URL).
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const PAGE_HEADERS = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
};

const AssetParams = Type.Object({
  name: Type.String({
    pattern: '^[a-z0-9.-]{1,64}$',
    'x-pattern-message': 'must be an asset name: up to 64 lower-case letters, digits, . or -',
  }),
});
const AssetQuery = Type.Object({
  v: Type.Optional(
    Type.String({
      pattern: '^[0-9a-f]{1,64}$',
      'x-pattern-message': 'must be up to 64 lower-case hexadecimal digits',
    }),
  ),
});

/** The admin dashboard: the page and its assets, public (the data behind it is not). */
export async function dashboardRoutes(
  app: App,
  options: { prefix: string; accountsPrefix: string },
) {
  const assets = await loadAssets();
  const version = createHash('sha256')
    .update([...assets.values()].map((a) => a.etag).join())
    .digest('hex')
    .slice(0, 12);
  const html = dashboardPage(options.prefix, options.accountsPrefix, version);

  app.get(
    '/dashboard',
    {
      schema: {
        tags: ['dashboard'],
        operationId: 'getDashboard',
        security: [],
        summary: 'Admin dashboard (HTML): sign in on the page, charts refresh every few seconds',
        produces: ['text/html'],
        response: { 200: Type.String() },
      },
    },
    async (_request, reply) =>
      reply
        .headers({ ...PAGE_HEADERS, 'cache-control': 'no-store' })
        .type('text/html; charset=utf-8')
        .send(html),
  );

  app.get(
    '/dashboard/assets/:name',
    { schema: { hide: true, params: AssetParams, querystring: AssetQuery }, logLevel: 'warn' },
    async (request, reply) => {
      const asset = assets.get(request.params.name);
      if (!asset) throw problems.notFound();
      // The page names its files with the content version, so a browser may keep those; a new
      // release changes the URL. Modules imported by dashboard.js come without it and are
      // revalidated (a 304), so an old module is never run with a new page.
      reply.headers({
        ...PAGE_HEADERS,
        etag: asset.etag,
        'cache-control': request.query.v === version ? 'public, max-age=86400' : 'public, no-cache',
      });
      if (isNotModified(request.headers['if-none-match'], asset.etag))
        return reply.code(304).send();
      return reply.type(asset.type).send(asset.body);
    },
  );
}
