import { createHash } from 'node:crypto';
import { type App, isNotModified } from '@platform/http';
import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';
import type { AnalyticsContext } from '../context.ts';
import { toCsv } from './csv.ts';
import { createQueryLimiters } from './limiter.ts';
import {
  ActivityPage,
  ActivityQuery,
  Performance,
  PerformanceQuery,
  Report,
  ReportQuery,
} from './schema.ts';
import { performance, READ_ANY, report, userActivity } from './service.ts';

const bearer = [{ bearer: [] }];
/** What every query may answer besides its input's 400 (service_unavailable: its turn did not come). */
const QUERY_ERRORS = [
  'forbidden',
  'query_timeout',
  'result_too_large',
  'service_unavailable',
  'store_unavailable',
];

/** Aborts when the connection closes before the answer was sent: nobody waits for it any more. */
function clientGone(reply: FastifyReply): AbortSignal {
  const gone = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) gone.abort();
  });
  return gone.signal;
}

export function queryRoutes(api: App, ctx: AnalyticsContext) {
  const limiters = createQueryLimiters({
    concurrency: ctx.config.QUERY_CONCURRENCY,
    waitMs: ctx.config.QUERY_WAIT_MS,
    metrics: api.metrics,
  });
  api.get(
    '/user-activity',
    {
      schema: {
        operationId: 'listUserActivity',
        errors: QUERY_ERRORS,
        tags: ['queries'],
        summary:
          "The signed-in user's events, newest first (admins: anyone's with user_id, a visitor's with anonymous_id)",
        security: bearer,
        querystring: ActivityQuery,
        response: { 200: ActivityPage },
      },
      preHandler: api.authenticate,
    },
    async (request, reply) =>
      limiters.activity.run(
        () => userActivity(ctx, request.principal!, request.query),
        clientGone(reply),
      ),
  );

  api.get(
    '/performance',
    {
      schema: {
        operationId: 'getPerformance',
        errors: QUERY_ERRORS,
        tags: ['queries'],
        summary: 'Requests, errors (5xx) and latency percentiles per service, route and interval',
        security: bearer,
        querystring: PerformanceQuery,
        response: { 200: Performance },
      },
      preHandler: api.authorize(READ_ANY),
    },
    async (request, reply) =>
      limiters.reports.run(() => performance(ctx, request.query), clientGone(reply)),
  );

  api.get(
    '/reports',
    {
      schema: {
        operationId: 'getReport',
        errors: QUERY_ERRORS,
        tags: ['queries'],
        summary:
          'Daily active users, top events, top routes, sign-ups, funnels or retention, as JSON or CSV',
        security: bearer,
        querystring: ReportQuery,
        response: {
          200: {
            content: {
              'application/json': { schema: Report },
              'text/csv': { schema: Type.String() },
            },
          },
        },
      },
      preHandler: api.authorize(READ_ANY),
    },
    async (request, reply) => {
      const result = await limiters.reports.run(
        () => report(ctx, request.query),
        clientGone(reply),
      );
      if (request.query.format !== 'csv') return reply.type('application/json').send(result.body);
      const name = `${result.type}_${result.from.slice(0, 10)}_${result.to.slice(0, 10)}.csv`;
      const csv = toCsv(result.columns, result.rows);
      // Conditional like every JSON read (registerConditionalReads tags only JSON): a weak tag of
      // the bytes, and If-None-Match a 304 (a report with fixed from/to that has not changed).
      const etag = `W/"${createHash('sha1').update(csv).digest('base64url')}"`;
      reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${name}"`)
        .header('etag', etag);
      if (isNotModified(request.headers['if-none-match'], etag)) {
        // Undeclared, as on the JSON reads (the schema's types know only the 200).
        return (reply as FastifyReply).code(304).send();
      }
      return reply.send(csv);
    },
  );
}
