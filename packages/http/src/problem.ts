import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type AjvError, fieldErrors } from './validation-errors.ts';

export interface FieldError {
  field: string;
  message: string;
}

/** What a problem may carry besides its status and detail. */
export interface ProblemExtras {
  type?: string;
  title?: string;
  /** Stable snake_case kind of failure that clients branch on; a default per status if absent. */
  code?: string;
  errors?: FieldError[];
}

/**
 * An error a client caused or may see, rendered as RFC 9457 problem+json. Services throw these;
 * anything else that escapes a handler is a bug and becomes a generic 500.
 */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    detail: string,
    readonly options: ProblemExtras & { headers?: Record<string, string> } = {},
  ) {
    super(detail);
    this.name = 'HttpProblem';
  }
}

const withCode = (code?: string) => (code ? { code } : {});

export const problems = {
  badRequest: (detail: string, errors?: FieldError[], code?: string) =>
    new HttpProblem(400, detail, { ...(errors ? { errors } : {}), ...withCode(code) }),
  unauthorized: (detail = 'Authentication is required.', code?: string) =>
    new HttpProblem(401, detail, { headers: { 'www-authenticate': 'Bearer' }, ...withCode(code) }),
  forbidden: (detail = 'You are not allowed to do this.', code?: string) =>
    new HttpProblem(403, detail, withCode(code)),
  notFound: (detail = 'Not found.', code?: string) => new HttpProblem(404, detail, withCode(code)),
  conflict: (detail: string, errors?: FieldError[], code?: string) =>
    new HttpProblem(409, detail, { ...(errors ? { errors } : {}), ...withCode(code) }),
  preconditionFailed: (detail: string, code?: string) =>
    new HttpProblem(412, detail, withCode(code)),
  unsupportedMediaType: (detail: string, code?: string) =>
    new HttpProblem(415, detail, withCode(code)),
  tooManyRequests: (
    retryAfterSeconds: number,
    detail = 'Too many requests; try again later.',
    code?: string,
  ) =>
    new HttpProblem(429, detail, {
      headers: { 'retry-after': String(retryAfterSeconds) },
      ...withCode(code),
    }),
};

const CODES: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  408: 'request_timeout',
  409: 'conflict',
  412: 'precondition_failed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  500: 'internal_error',
  502: 'bad_gateway',
  503: 'service_unavailable',
  504: 'gateway_timeout',
};

/** The code of a problem whose thrower named none: by status, else the status's reason phrase. */
export function defaultCode(status: number, hasErrors = false): string {
  if (status === 400 && hasErrors) return 'validation_failed';
  const known = CODES[status];
  if (known) return known;
  const phrase = STATUS_CODES[status];
  if (phrase) return phrase.toLowerCase().replace(/[^a-z0-9]+/g, '_');
  return status >= 500 ? 'internal_error' : 'bad_request';
}

export function sendProblem(
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  detail: string,
  extra: ProblemExtras = {},
) {
  return reply
    .code(status)
    .type('application/problem+json')
    .send({
      type: extra.type ?? 'about:blank',
      title: extra.title ?? STATUS_CODES[status] ?? 'Error',
      status,
      code: extra.code ?? defaultCode(status, extra.errors !== undefined),
      detail,
      request_id: request.id,
      ...(extra.errors ? { errors: extra.errors } : {}),
    });
}

const PARTS: Record<string, string> = {
  body: 'The request body is invalid.',
  querystring: 'The query string is invalid.',
  params: 'The path is invalid.',
  headers: 'The request headers are invalid.',
};

export const invalidPart = (part: string | undefined) =>
  PARTS[part ?? ''] ?? 'The request is invalid.';

/** Node's "aborted": the client closed its connection while its body was still arriving. */
const wentAway = (error: Error, request: FastifyRequest) =>
  (error as NodeJS.ErrnoException).code === 'ECONNRESET' && !request.raw.complete;

/** Every error and every unknown route answers problem+json; 5xx details never leave the process. */
export function registerProblemHandlers(app: FastifyInstance) {
  app.setErrorHandler((error: FastifyError | HttpProblem, request, reply) => {
    if (error instanceof HttpProblem) {
      if (error.options.headers) reply.headers(error.options.headers);
      return sendProblem(request, reply, error.status, error.message, error.options);
    }
    if (error.validation) {
      return sendProblem(request, reply, 400, invalidPart(error.validationContext), {
        errors: fieldErrors(error.validation as AjvError[]),
      });
    }
    if (wentAway(error, request)) {
      // Nobody is left to read an answer; not a failure of the server either. The app's logger:
      // a route may have turned its own below warn off (the gateway's proxied ones do).
      app.log.info({ request_id: request.id }, 'client went away before its request was complete');
      return sendProblem(request, reply, 400, 'The request ended before it was complete.');
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
