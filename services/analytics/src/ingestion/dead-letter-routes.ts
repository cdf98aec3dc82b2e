import { type App, problems } from '@platform/http';
import { Type } from 'typebox';
import type { AnalyticsContext } from '../context.ts';
import { inOneSnapshot } from '../db/snapshot.ts';
import {
  type DeadLetter,
  discard,
  listDeadLetters,
  requeue,
  unlinkedForListing,
} from './dead-letters.ts';

const bearer = [{ bearer: [] }];
const tags = ['ingestion'];
const PATH = '/ingestion/dead-letters';

const IngestionDeadLetter = Type.Object({
  id: Type.String(),
  /** The queue row form it goes back in on replay. */
  kind: Type.Union([Type.Literal('event'), Type.Literal('track'), Type.Literal('sample')]),
  payload: Type.Unknown({
    description:
      "The refused items as they were queued (an event's properties as JSON text), or the " +
      "row's stored text when it could not be read",
  }),
  error: Type.String({ description: 'What the store (or the writer) said' }),
  queue_seq: Type.String({ description: 'The queue row it was taken from' }),
  failed_at: Type.String({ format: 'date-time' }),
});

const Page = Type.Object({
  items: Type.Array(IngestionDeadLetter),
  next_cursor: Type.Union([Type.String(), Type.Null()], { description: 'Null on the last page' }),
});

const Query = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 50 }),
    cursor: Type.Optional(
      Type.String({
        pattern: '^[0-9]{1,18}$',
        'x-pattern-message': 'must be the next_cursor of a previous page (digits)',
        description: 'next_cursor of the previous page',
      }),
    ),
  },
  { additionalProperties: false },
);

const Params = Type.Object({
  id: Type.String({
    pattern: '^[0-9]{1,18}$',
    'x-pattern-message': 'must be a dead letter id (up to 18 digits)',
    description: 'A dead letter id',
  }),
});

function payloadOf(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

const toJson = (d: DeadLetter) => ({
  id: String(d.id),
  kind: d.kind,
  payload: payloadOf(d.item),
  error: d.error,
  queue_seq: String(d.queueSeq),
  failed_at: d.createdAt.toISOString(),
});

/**
 * Admin view of what the writer set aside because the store refused it: reading needs
 * analytics:read; replaying (which writes it again) and discarding need analytics:manage.
 */
export function deadLetterRoutes(api: App, ctx: AnalyticsContext) {
  const read = api.authorize('analytics:read');
  const manage = api.authorize('analytics:manage');

  api.get(
    PATH,
    {
      onRequest: read,
      schema: {
        tags,
        operationId: 'listIngestionDeadLetters',
        errors: ['forbidden'],
        summary: 'Queued events and samples the store refused, newest first',
        security: bearer,
        querystring: Query,
        response: { 200: Page },
      },
    },
    async (request) => {
      const { limit, cursor } = request.query;
      // A user being forgotten under the pseudonym, as the passes will rewrite them; the page
      // and the lookup in one snapshot (db/snapshot.ts).
      const { rows, page, listed } = await inOneSnapshot(ctx.db, async (tx) => {
        const rows = await listDeadLetters(tx, {
          before: cursor === undefined ? undefined : Number(cursor),
          limit: limit + 1,
        });
        const page = rows.slice(0, limit);
        return { rows, page, listed: await unlinkedForListing(tx, page) };
      });
      return {
        items: listed.map(toJson),
        next_cursor: rows.length > limit ? String(page.at(-1)!.id) : null,
      };
    },
  );

  api.post(
    `${PATH}/:id/replay`,
    {
      onRequest: manage,
      schema: {
        tags,
        operationId: 'replayIngestionDeadLetter',
        errors: ['forbidden', 'not_found'],
        summary: 'Queue a dead letter again (refused again, it comes back as a new one)',
        security: bearer,
        params: Params,
        response: { 202: Type.Object({ replayed: Type.Integer() }) },
      },
    },
    async (request, reply) => {
      if (!(await requeue(ctx.db, Number(request.params.id), ctx.points))) {
        throw problems.notFound('No such dead letter.');
      }
      ctx.writer.wake();
      request.log.info(
        { dead_letter_id: request.params.id, by: request.principal!.userId },
        'ingestion dead letter replayed',
      );
      return reply.code(202).send({ replayed: 1 });
    },
  );

  api.delete(
    `${PATH}/:id`,
    {
      onRequest: manage,
      schema: {
        tags,
        operationId: 'discardIngestionDeadLetter',
        errors: ['forbidden', 'not_found'],
        summary: 'Discard a dead letter',
        security: bearer,
        params: Params,
        response: { 204: Type.Null({ description: 'Discarded' }) },
      },
    },
    async (request, reply) => {
      if (!(await discard(ctx.db, Number(request.params.id)))) {
        throw problems.notFound('No such dead letter.');
      }
      request.log.info(
        { dead_letter_id: request.params.id, by: request.principal!.userId },
        'ingestion dead letter discarded',
      );
      return reply.code(204).send(null);
    },
  );
}
