import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export interface FieldError {
  field: string;
  message: string;
}

/**
 * An error a client caused or may see, rendered as RFC 9457 problem+json. Services throw these;
 * anything else that escapes a handler is a bug and becomes a generic 500.
 */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    detail: string,
    readonly options: {
      type?: string;
      title?: string;
      errors?: FieldError[];
      headers?: Record<string, string>;
    } = {},
  ) {
    super(detail);
    this.name = 'HttpProblem';
  }
}

export const problems = {
  badRequest: (detail: string, errors?: FieldError[]) =>
    new HttpProblem(400, detail, errors ? { errors } : {}),
  unauthorized: (detail = 'Authentication is required.') =>
    new HttpProblem(401, detail, { headers: { 'www-authenticate': 'Bearer' } }),
  forbidden: (detail = 'You are not allowed to do this.') => new HttpProblem(403, detail),
  notFound: (detail = 'Not found.') => new HttpProblem(404, detail),
  conflict: (detail: string, errors?: FieldError[]) =>
    new HttpProblem(409, detail, errors ? { errors } : {}),
  preconditionFailed: (detail: string) => new HttpProblem(412, detail),
  unsupportedMediaType: (detail: string) => new HttpProblem(415, detail),
  tooManyRequests: (retryAfterSeconds: number, detail = 'Too many requests; try again later.') =>
    new HttpProblem(429, detail, { headers: { 'retry-after': String(retryAfterSeconds) } }),
};

export function sendProblem(
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  detail: string,
  extra: { type?: string; title?: string; errors?: FieldError[] } = {},
) {
  return reply
    .code(status)
    .type('application/problem+json')
    .send({
      type: extra.type ?? 'about:blank',
      title: extra.title ?? STATUS_CODES[status] ?? 'Error',
      status,
      detail,
      request_id: request.id,
      ...(extra.errors ? { errors: extra.errors } : {}),
    });
}

interface AjvError {
  instancePath: string;
  message?: string;
  keyword: string;
  params: Record<string, unknown>;
}

function fieldOf(error: AjvError): string {
  const path = error.instancePath.split('/').filter(Boolean);
  const missing = error.params.missingProperty ?? error.params.additionalProperty;
  if (typeof missing === 'string') path.push(missing);
  return path.join('.') || '(root)';
}

function validationErrors(errors: AjvError[]): FieldError[] {
  return errors.map((e) => ({ field: fieldOf(e), message: e.message ?? 'is invalid' }));
}

/** Every error and every unknown route answers problem+json; 5xx details never leave the process. */
export function registerProblemHandlers(app: FastifyInstance) {
  app.setErrorHandler((error: FastifyError | HttpProblem, request, reply) => {
    if (error instanceof HttpProblem) {
      if (error.options.headers) reply.headers(error.options.headers);
      return sendProblem(request, reply, error.status, error.message, error.options);
    }
    if (error.validation) {
      const where = error.validationContext ?? 'request';
      return sendProblem(request, reply, 400, `The ${where} is invalid.`, {
        errors: validationErrors(error.validation as AjvError[]),
      });
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      // Fastify's own client errors: malformed JSON, body too large, unsupported media type.
      if (status === 429 && reply.getHeader('retry-after') === undefined) {
        reply.header('retry-after', '60');
      }
      return sendProblem(request, reply, status, error.message);
    }
    request.log.error({ err: error }, 'unhandled error');
    return sendProblem(request, reply, 500, 'An unexpected error occurred.');
  });

  app.setNotFoundHandler((request, reply) =>
    sendProblem(
      request,
      reply,
      404,
      `No route for ${request.method} ${request.url.split('?')[0]}.`,
    ),
  );
}
