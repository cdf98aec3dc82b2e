import type { FastifyInstance } from 'fastify';
import { operationCodes } from './openapi.ts';

type Schema = Record<string, unknown>;

export interface UndocumentedProblem {
  method: string;
  url: string;
  status: number;
  code: string;
}

/**
 * Watches the problems the app sends: a 4xx whose code the operation does not document (its
 * schema's shape and `errors`) is logged and kept in `app.undocumentedProblems`, which the
 * services' tests assert empty, so a new failure path without its documented code fails them.
 */
export function watchUndocumentedProblems(app: FastifyInstance) {
  const seen: UndocumentedProblem[] = [];
  app.decorate('undocumentedProblems', seen);
  // Hooks on every request are callback-style: an async one costs two promises per request, and
  // with tracing on Node 20 every promise pays AsyncLocalStorage's hook (docs/observability.md).
  app.addHook('onSend', (request, reply, payload, done) => {
    const status = reply.statusCode;
    const schema = request.routeOptions.schema as Schema | undefined;
    if (
      status >= 400 &&
      status < 500 &&
      schema &&
      !schema.hide &&
      typeof payload === 'string' &&
      String(reply.getHeader('content-type') ?? '').startsWith('application/problem+json')
    ) {
      const { code } = JSON.parse(payload) as { code?: string };
      if (code && !operationCodes(schema, request.method).includes(code)) {
        const entry = {
          method: request.method,
          url: request.routeOptions.url ?? '?',
          status,
          code,
        };
        request.log.warn(entry, 'problem code not documented for this operation');
        if (seen.length < 100) seen.push(entry);
      }
    }
    done(null, payload);
  });
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Problems sent with a code their operation does not document (watchUndocumentedProblems). */
    undocumentedProblems: UndocumentedProblem[];
  }
}
