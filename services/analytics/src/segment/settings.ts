import type { App } from '@platform/http';
import { problems } from '@platform/http';
import { Type } from 'typebox';
import type { AnalyticsContext } from '../context.ts';
import { findBrowserKey } from '../write-keys/service.ts';

const SettingsParams = Type.Object({
  writeKey: Type.String({
    minLength: 1,
    maxLength: 100,
    pattern: '^[A-Za-z0-9_-]+$',
    'x-pattern-message': 'must be a write key: letters, digits, _ or -',
    description: 'A browser write key (public: it is in the page)',
  }),
});

/** What @segment/analytics-next reads of a source's settings (its CDNSettings), and no more. */
const Settings = Type.Object(
  {
    integrations: Type.Object({
      'Segment.io': Type.Object({
        apiKey: Type.String({ description: 'The write key' }),
        apiHost: Type.String({
          description: 'Host and path analytics.js posts to (<apiHost>/t, /b…), from PUBLIC_URL',
        }),
        protocol: Type.Union([Type.Literal('https'), Type.Literal('http')]),
      }),
    }),
    plan: Type.Record(Type.String(), Type.Unknown()),
    metrics: Type.Object({
      sampleRate: Type.Literal(0, {
        description: "0: analytics.js sends no metrics (by default it sends them to Segment's API)",
      }),
    }),
    remotePlugins: Type.Array(Type.Unknown(), { maxItems: 0 }),
    enabledMiddleware: Type.Record(Type.String(), Type.Unknown()),
    middlewareSettings: Type.Record(Type.String(), Type.Unknown()),
    edgeFunction: Type.Record(Type.String(), Type.Unknown()),
    legacyVideoPluginsEnabled: Type.Boolean(),
  },
  { description: "Segment's source settings, as analytics.js loads them from its cdnURL" },
);

/**
 * `GET /projects/{writeKey}/settings`: what analytics.js loads from `${cdnURL}/v1/projects/…`
 * before it sends anything, so a page needs only `AnalyticsBrowser.load({writeKey, cdnURL:
 * '<PUBLIC_URL>/analytics'})`. `apiHost` comes from PUBLIC_URL (configuration), never from the
 * request's Host: a forged Host must not send a page's events elsewhere through a cache. Metrics
 * off, no destinations or plugins to load from anywhere. Public (the key is in the page): 404 for
 * a key that is not a live browser key, and any origin may read it.
 */
export function segmentSettingsRoute(api: App, ctx: AnalyticsContext) {
  const publicUrl = new URL(ctx.config.PUBLIC_URL);
  const protocol: 'http' | 'https' = publicUrl.protocol === 'http:' ? 'http' : 'https';
  const apiHost = `${publicUrl.host}${publicUrl.pathname.replace(/\/+$/, '')}/analytics/v1`;
  api.get(
    '/projects/:writeKey/settings',
    {
      // Before validation: a page reads a 400 (a malformed key) as it reads the 404.
      onRequest: async (_request, reply) => {
        reply.header('access-control-allow-origin', '*');
      },
      schema: {
        operationId: 'browserSettings',
        errors: ['not_found'],
        tags: ['segment'],
        summary: 'Settings analytics.js loads for a browser write key (its cdnURL)',
        security: [],
        params: SettingsParams,
        response: { 200: Settings },
      },
    },
    async (request, reply) => {
      const key = request.params.writeKey;
      if (!(await findBrowserKey(ctx.db, key))) {
        throw problems.notFound('No such browser write key.');
      }
      // A revoked key stops loading within a minute; pages load this once per visit.
      reply.header('cache-control', 'public, max-age=60');
      return {
        integrations: { 'Segment.io': { apiKey: key, apiHost, protocol } },
        plan: {
          track: { __default: { enabled: true, integrations: {} } },
          identify: { __default: { enabled: true } },
          group: { __default: { enabled: true } },
        },
        metrics: { sampleRate: 0 as const },
        remotePlugins: [],
        enabledMiddleware: {},
        middlewareSettings: {},
        edgeFunction: {},
        legacyVideoPluginsEnabled: false,
      };
    },
  );
}
