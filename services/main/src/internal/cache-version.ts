import { requireServiceToken } from '@platform/auth';
import type { VersionWatch } from '@platform/db';
import {
  type App,
  answerCacheVersion,
  CACHE_VERSION_PATH,
  CacheVersionAnswer,
  CacheVersionQuery,
} from '@platform/http';
import { Counter, Gauge } from 'prom-client';
import type { MainContext } from '../context.ts';
import { listVersion } from '../posts/list-service.ts';

/**
 * The gateway's cache of anonymous list pages (the manifest's `edge` entry with `cache`) follows
 * this: a new version means its kept pages are no longer current. With `wait`, a request that
 * knows the current version is held until a write moves it (on any replica: every bump is a
 * NOTIFY, see migration 0010) or the wait ends (`answerCacheVersion` in @platform/http: its
 * headers go out at once, and the caller counts the version as confirmed while it is open).
 * Without `wait`, answered at once from the table, as before.
 */
export function cacheVersionRoute(app: App, ctx: MainContext, watch: VersionWatch) {
  const asked = versionMetrics(app, watch);
  app.get(
    CACHE_VERSION_PATH,
    {
      onRequest: requireServiceToken(ctx.config.SERVICE_TOKEN),
      // Held or asked several times a second: only failures are worth a line.
      logLevel: 'warn',
      schema: {
        hide: true,
        querystring: CacheVersionQuery,
        response: { 200: CacheVersionAnswer },
      },
    },
    (request, reply) =>
      answerCacheVersion(request, reply, request.query, {
        watch,
        read: () => listVersion(ctx),
        asked: (held) => asked.inc({ held: String(held) }),
      }),
  );
}

function versionMetrics(app: App, watch: VersionWatch) {
  new Gauge({
    name: 'main_cache_version_held_requests',
    help: 'Requests to /internal/cache-version held open until the list stamp moves or their wait ends',
    registers: [app.metrics],
    collect() {
      this.set(watch.held);
    },
  });
  new Gauge({
    name: 'main_cache_version_listening',
    help: '1 while LISTEN for list stamp bumps is in place, 0 while the stamp is read every 250 ms',
    registers: [app.metrics],
    collect() {
      this.set(watch.listening ? 1 : 0);
    },
  });
  return new Counter({
    name: 'main_cache_version_requests_total',
    help: 'Requests to /internal/cache-version, by whether they were held (a long poll)',
    labelNames: ['held'] as const,
    registers: [app.metrics],
  });
}
