import type { App } from '@platform/http';
import type { AnalyticsContext } from '../context.ts';
import { TrackAccepted, TrackBody } from './schema.ts';
import { track } from './service.ts';

export function ingestionRoutes(api: App, ctx: AnalyticsContext) {
  api.post(
    '/track-event',
    {
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
