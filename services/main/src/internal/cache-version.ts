import { requireServiceToken } from '@platform/auth';
import type { VersionWatch } from '@platform/db';
import { type App, CACHE_VERSION_HELD_HEADER, CACHE_VERSION_PATH } from '@platform/http';
import { Counter, Gauge } from 'prom-client';
import { Type } from 'typebox';
import type { MainContext } from '../context.ts';
import { listVersion } from '../posts/list-service.ts';

/** Below every proxy's and client's idle timeout one would put in front of it (as auth's feed). */
const MAX_WAIT_SECONDS = 30;

const VersionQuery = Type.Object(
  {
    version: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 100,
        description: 'the version the caller knows; held only while it is still this one',
      }),
    ),
    wait: Type.Integer({
      minimum: 0,
      maximum: MAX_WAIT_SECONDS,
      default: 0,
      description: 'seconds to hold the request while the version is `version` (long poll)',
    }),
  },
  { additionalProperties: false },
);

/**
 * The gateway's cache of anonymous list pages (the manifest's `edge` entry with `cache`) follows
 * this: a new version means its kept pages are no longer current. With `wait`, a request that
 * knows the current version is held until a write moves it (on any replica: every bump is a
 * NOTIFY, see migration 0010) or the wait ends. Its headers are sent at once, with the version
 * (CACHE_VERSION_HELD_HEADER): the caller then knows it is held, and counts the version as confirmed for as long
 * as the answer is open. Without `wait`, answered at once, as before.
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
        querystring: VersionQuery,
        response: { 200: Type.Object({ version: Type.String() }) },
      },
    },
    async (request, reply) => {
      const { wait, version } = request.query;
      const hold = wait > 0 && version !== undefined && watch.canHold(version);
      asked.inc({ held: String(hold) });
      if (!hold) {
        // Read from the table: the answer reflects every write committed before the request.
        return { version: await listVersion(ctx) };
      }
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'application/json; charset=utf-8',
        'cache-control': 'no-store',
        [CACHE_VERSION_HELD_HEADER]: version!,
      });
      res.flushHeaders();
      // A caller that hangs up frees its place at once, not when its wait ends.
      const gone = new AbortController();
      res.once('close', () => gone.abort());
      await watch.hold(version!, wait * 1000, gone.signal);
      if (gone.signal.aborted) return;
      try {
        res.end(JSON.stringify({ version: await listVersion(ctx) }));
      } catch (err) {
        // Headers are out: the caller learns of the failure from the connection, as of any outage.
        request.log.warn({ err }, 'reading the cache version failed');
        res.destroy();
      }
    },
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
