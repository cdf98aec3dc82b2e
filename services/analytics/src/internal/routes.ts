import type { App } from '@platform/http';
import type { AnalyticsContext } from '../context.ts';
import { EventsBody, Queued, SamplesBody } from './schema.ts';
import { receiveEvents, receiveSamples } from './service.ts';
import { requireServiceToken } from './service-token.ts';

/**
 * Service-to-service routes, outside `/analytics/v1`: the gateway forwards only `/analytics/*`,
 * so these are reachable on the private network alone, and each call proves it is a service.
 */
export function internalRoutes(app: App, ctx: AnalyticsContext) {
  const onlyServices = requireServiceToken(ctx.config.SERVICE_TOKEN);
  app.post(
    '/internal/events',
    {
      schema: { hide: true, body: EventsBody, response: { 202: Queued } },
      onRequest: onlyServices,
    },
    async (request, reply) =>
      reply.code(202).send({ accepted: await receiveEvents(ctx, request.body) }),
  );
  app.post(
    '/internal/samples',
    {
      schema: { hide: true, body: SamplesBody, response: { 202: Queued } },
      onRequest: onlyServices,
      // The gateway posts these continuously; their access lines would drown the rest.
      logLevel: 'warn',
    },
    async (request, reply) =>
      reply.code(202).send({ accepted: await receiveSamples(ctx, request.body) }),
  );
}
