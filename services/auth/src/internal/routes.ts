import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { FEED_HEARTBEAT_HEADER, requireServiceToken } from '@platform/auth';
import { type App, heartbeats } from '@platform/http';
import type { FastifyBaseLogger } from 'fastify';
import { Type } from 'typebox';
import type { AuthContext } from '../context.ts';
import { declarePermissions } from '../permissions/service.ts';
import { sharedFeedReads, waitForFeed } from '../sessions/revocations.ts';

/** Below every proxy's and client's idle timeout one would put in front of it. */
const MAX_WAIT_SECONDS = 30;

const FeedQuery = Type.Object(
  {
    after: Type.Integer({ minimum: 0, default: 0, description: 'the last id already seen' }),
    limit: Type.Integer({ minimum: 1, maximum: 1000, default: 1000 }),
    wait: Type.Integer({
      minimum: 0,
      maximum: MAX_WAIT_SECONDS,
      default: 0,
      description: 'seconds to hold the request while nothing is newer than `after` (long poll)',
    }),
  },
  { additionalProperties: false },
);

const Feed = Type.Object({
  items: Type.Array(
    Type.Object({
      id: Type.Integer(),
      session_id: Type.String(),
      expires_at: Type.String({ format: 'date-time' }),
    }),
  ),
  /** Pass as `after` next time; equals `after` when nothing new arrived. */
  last_id: Type.Integer(),
});

/**
 * While a poll is held, a space (JSON allows leading whitespace) goes out this often: a poller
 * that hears nothing for longer knows its auth is gone (a crashed host, a dropped route: no RST
 * ever comes) and asks again, perhaps another replica, instead of waiting out the whole wait
 * while revocations committed elsewhere pass it by.
 */
const FEED_HEARTBEAT_MS = 1000;

/** Bodies of held polls: one timer beats for them all (up to the held-poll limit). */
const beat = heartbeats(FEED_HEARTBEAT_MS);

/** The page as a body that starts at once and keeps the connection audibly alive until it comes. */
function heldAnswer(answer: Promise<unknown>, log: FastifyBaseLogger) {
  const body = new PassThrough();
  body.write(' ');
  const stop = beat(body);
  body.once('close', stop);
  answer.then(
    (page) => {
      stop();
      body.end(JSON.stringify(page));
    },
    (err: unknown) => {
      stop();
      // The status is sent already: a cut body is what the poller sees, and it retries.
      log.error({ err }, 'reading the revocation feed failed during a held poll');
      body.destroy(err instanceof Error ? err : new Error(String(err)));
    },
  );
  return body;
}

const NAME = '^[a-z][a-z0-9-]*$';

const Declaration = Type.Object(
  {
    permissions: Type.Array(
      Type.Object(
        {
          name: Type.String({
            pattern: '^[a-z][a-z0-9-]*:[a-z][a-z0-9-]*$',
            'x-pattern-message':
              'must be service:permission, each a lower-case letter, then lower-case letters, digits or -',
            maxLength: 100,
          }),
          description: Type.String({ minLength: 1, maxLength: 500 }),
          roles: Type.Array(
            Type.String({
              pattern: NAME,
              'x-pattern-message':
                'must be a lower-case letter, then lower-case letters, digits or -',
              maxLength: 100,
            }),
            {
              uniqueItems: true,
              maxItems: 100,
            },
          ),
        },
        { additionalProperties: false },
      ),
      { maxItems: 500 },
    ),
  },
  { additionalProperties: false },
);

/**
 * Service-to-service routes. They sit outside `/accounts/v1` because the gateway forwards only
 * `/accounts/*`, and answer only callers with SERVICE_TOKEN: anything else on the private
 * network (a compromised pod, a misrouted proxy) learns nothing about who signed out.
 */
export function internalRoutes(app: App, ctx: AuthContext) {
  const readFeed = sharedFeedReads(ctx.db, ctx.feed);
  app.get(
    '/internal/revocations',
    {
      onRequest: requireServiceToken(ctx.config.SERVICE_TOKEN),
      schema: { hide: true, querystring: FeedQuery, response: { 200: Feed } },
      // Every verifier keeps a request here all the time; its access log lines would drown the rest.
      logLevel: 'warn',
    },
    async (request, reply) => {
      const { after, limit, wait } = request.query;
      // A poller that hangs up frees its place at once, not when its wait ends.
      const gone = new AbortController();
      reply.raw.once('close', () => gone.abort());
      const answer = waitForFeed(readFeed, ctx.feed, {
        after,
        limit,
        waitMs: wait * 1000,
        signal: gone.signal,
      });
      // On every answer: a poller learns from its first, unheld one what to expect of the rest.
      reply.header(FEED_HEARTBEAT_HEADER, String(FEED_HEARTBEAT_MS));
      if (wait === 0) return answer;
      const soon = await Promise.race([
        answer,
        sleep(FEED_HEARTBEAT_MS, undefined, { ref: false }),
      ]);
      if (soon) return soon;
      // A stream of the same JSON, which the reply's schema-derived type does not describe.
      return reply.type('application/json').send(heldAnswer(answer, request.log) as never);
    },
  );

  // A service declares the permissions it checks (its manifest's) when it starts: see
  // permissions/service.ts. Auth declares its own the same way, without HTTP.
  app.put(
    '/internal/permissions/:service',
    {
      onRequest: requireServiceToken(ctx.config.SERVICE_TOKEN),
      schema: {
        hide: true,
        params: Type.Object({
          service: Type.String({
            pattern: NAME,
            'x-pattern-message':
              'must be a lower-case letter, then lower-case letters, digits or -',
            maxLength: 100,
          }),
        }),
        body: Declaration,
      },
    },
    async (request, reply) => {
      await declarePermissions(ctx.db, request.params.service, request.body.permissions);
      return reply.code(204).send();
    },
  );
}
