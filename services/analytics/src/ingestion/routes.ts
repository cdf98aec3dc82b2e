import type { App } from '@platform/http';
import type { AnalyticsContext } from '../context.ts';
import { MAX_BATCH, TrackAccepted, TrackBody } from './schema.ts';
import { track } from './service.ts';

/**
 * `events` longer than any valid batch is cut to one item past the limit before validation: ajv
 * checks every item (allErrors), and the 240 KB anonymous request `{"events":[0,0,…]}` was
 * 120 000 errors and about 2 s of analytics' event loop — long enough for the gateway's health
 * poll to find the instance not ready and answer 503 for every analytics route. Cut, the answer
 * still names `events` as too long and lists its first items' faults (as main's post tags).
 */
function capEvents(request: { body: unknown }, _reply: unknown, done: () => void) {
  const events = (request.body as { events?: unknown } | null)?.events;
  if (Array.isArray(events) && events.length > MAX_BATCH + 1) events.length = MAX_BATCH + 1;
  done();
}

export function ingestionRoutes(api: App, ctx: AnalyticsContext) {
  api.post(
    '/track-event',
    {
      preValidation: capEvents,
      schema: {
        operationId: 'trackEvent',
        // Anonymous, or attributed to the Bearer token's user.
        security: [{}, { bearer: [] }],
        tags: ['ingestion'],
        summary: 'Track one event or a batch of up to 500',
        description:
          'Anyone may send events; with a Bearer token they are attributed to its user. ' +
          '202 means durably queued: the event reaches the store even if it is down now.',
        body: TrackBody,
        response: { 202: TrackAccepted },
      },
    },
    async (request, reply) => {
      const { ids, duplicates } = await track(ctx, request.principal, request.body);
      return reply
        .code(202)
        .send({ accepted: ids.length, ids, ...(duplicates ? { duplicates } : {}) });
    },
  );
}
