import type { App } from '@platform/http';
import {
  DeadLetterPage,
  DeadLetterParams,
  DeadLetterQuery,
  DestinationList,
  ReplayAllQuery,
  Replayed,
} from './schema.ts';
import {
  type DestinationsContext,
  deadLetters,
  describeDestinations,
  replayAll,
  replayOne,
} from './service.ts';

const bearer = [{ bearer: [] }];
const tags = ['destinations'];

/** Admin view of the webhooks: what is configured, what gave up, and sending it again. */
export function destinationRoutes(app: App, ctx: DestinationsContext) {
  // Authorised before validation, so a caller without the permission learns nothing more.
  const admin = app.authorize('analytics:read');
  // Replaying sends event data out again: reading dead letters does not allow it.
  const manage = app.authorize('analytics:manage');

  app.get(
    '/destinations',
    {
      onRequest: admin,
      schema: {
        tags,
        operationId: 'listDestinations',
        errors: ['forbidden'],
        summary: 'Configured destinations with their pending and dead-letter counts',
        security: bearer,
        response: { 200: DestinationList },
      },
    },
    async () => describeDestinations(ctx),
  );

  app.get(
    '/destinations/dead-letters',
    {
      onRequest: admin,
      schema: {
        tags,
        operationId: 'listDestinationDeadLetters',
        errors: ['forbidden'],
        summary: 'Deliveries that ran out of tries, newest first',
        security: bearer,
        querystring: DeadLetterQuery,
        response: { 200: DeadLetterPage },
      },
    },
    async (request) => deadLetters(ctx, request.query),
  );

  app.post(
    '/destinations/dead-letters/:id/replay',
    {
      onRequest: manage,
      schema: {
        tags,
        operationId: 'replayDestinationDeadLetter',
        errors: ['forbidden', 'not_found', 'destination_removed'],
        summary: 'Send a dead letter again, with a fresh set of tries',
        security: bearer,
        params: DeadLetterParams,
        response: { 202: Replayed },
      },
    },
    async (request, reply) => {
      const result = await replayOne(ctx, request.params.id);
      request.log.info(
        { dead_letter_id: request.params.id, by: request.principal!.userId },
        'dead letter replayed',
      );
      return reply.code(202).send(result);
    },
  );

  app.post(
    '/destinations/dead-letters/replay',
    {
      onRequest: manage,
      schema: {
        tags,
        operationId: 'replayDestinationDeadLetters',
        errors: ['forbidden', 'not_found'],
        summary: 'Send every dead letter (of one destination, or all) again',
        security: bearer,
        querystring: ReplayAllQuery,
        response: { 202: Replayed },
      },
    },
    async (request, reply) => {
      const result = await replayAll(ctx, request.query.destination);
      request.log.info(
        {
          destination: request.query.destination ?? null,
          ...result,
          by: request.principal!.userId,
        },
        'dead letters replayed',
      );
      return reply.code(202).send(result);
    },
  );
}
