import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type CodeTable, DomainError, defaultCode, GENERIC_CODES } from './codes.ts';
import { isUnreachable } from './outage.ts';
import { type FieldError, HttpProblem, type ProblemExtras } from './problem-class.ts';
import { type AjvError, fieldErrors } from './validation-errors.ts';

export { defaultCode } from './codes.ts';
export { type FieldError, HttpProblem, type ProblemExtras } from './problem-class.ts';

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

/**
 * Errors listed in one answer at most: a 500 KB batch of 38 000 invalid items was a 13 MB answer,
 * 26 times what was sent. The rest are counted in `detail`.
 */
export const MAX_LISTED_ERRORS = 100;

/**
 * The longest `field` an answer names in full (UTF-16 units). A field is the path to a value,
 * its keys included: twenty bad values under one 400 KB key of a body named that key twenty
 * times, an 8 MB answer to 400 KB (a Segment batch's messages, each judged alone, name theirs up
 * to the hundred errors listed). A longer one keeps its start, where the index is
 * (`batch.3.properties.…`), and ends with "…".
 */
export const MAX_FIELD_LENGTH = 1000;

function shortField(error: FieldError): FieldError {
  if (!(error.field?.length > MAX_FIELD_LENGTH)) return error;
  let end = MAX_FIELD_LENGTH - 1;
  // Not between the halves of a surrogate pair (an emoji in a key).
  const last = error.field.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return { ...error, field: `${error.field.slice(0, end)}…` };
}

export function sendProblem(
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  detail: string,
  extra: ProblemExtras = {},
) {
  let errors = extra.errors;
  if (errors && errors.length > MAX_LISTED_ERRORS) {
    detail = `${detail} The first ${MAX_LISTED_ERRORS} of ${errors.length} errors are listed.`;
    errors = errors.slice(0, MAX_LISTED_ERRORS);
  }
  if (errors?.some((e) => e.field?.length > MAX_FIELD_LENGTH)) errors = errors.map(shortField);
  // RFC 9110 §11.6.1: a 401 MUST name a scheme. Every 401 thrown with a code of a service's table
  // (a refused refresh token, a second factor) came without one; a thrower's own (Basic) stays.
  if (status === 401 && reply.getHeader('www-authenticate') === undefined) {
    reply.header('www-authenticate', 'Bearer');
  }
  const code = extra.code ?? defaultCode(status, errors !== undefined);
  // On the request's later lines, its "request completed" included: a refusal the client drops
  // (analytics.js reads a 403 and discards it) says why in the service's log too. The request's
  // own child logger, so no other request's lines.
  (request.log as { setBindings?: (bindings: object) => void }).setBindings?.({ code });
  return reply
    .code(status)
    .type('application/problem+json')
    .send({
      type: extra.type ?? 'about:blank',
      title: extra.title ?? STATUS_CODES[status] ?? 'Error',
      status,
      code,
      detail,
      request_id: request.id,
      ...(errors ? { errors } : {}),
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
export function registerProblemHandlers(app: FastifyInstance, codes: CodeTable = GENERIC_CODES) {
  app.setErrorHandler((error: FastifyError | HttpProblem | DomainError, request, reply) => {
    if (error instanceof HttpProblem) {
      if (error.options.headers) reply.headers(error.options.headers);
      return sendProblem(request, reply, error.status, error.message, error.options);
    }
    const known = error instanceof DomainError ? codes[error.code] : undefined;
    if (error instanceof DomainError && known) {
      const { errors, retryAfterSeconds } = error.options;
      if (retryAfterSeconds !== undefined) reply.header('retry-after', String(retryAfterSeconds));
      return sendProblem(request, reply, known.status, error.message, {
        code: error.code,
        ...(errors ? { errors } : {}),
      });
    }
    if (error instanceof DomainError) {
      request.log.error({ err: error }, `domain error code ${error.code} is not in the code table`);
      return sendProblem(request, reply, 500, 'An unexpected error occurred.');
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
    if (isUnreachable(error)) {
      // The database (or another dependency) is down or restarting: the client may retry, and a
      // load balancer or client library treats a 503 so; a 500 says the request itself failed.
      request.log.warn({ err: error }, 'a dependency is unreachable');
      reply.header('retry-after', '5');
      return sendProblem(request, reply, 503, 'A service this request needs is unavailable.', {
        code: 'service_unavailable',
      });
    }
    request.log.error({ err: error }, 'unhandled error');
    return sendProblem(request, reply, 500, 'An unexpected error occurred.');
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?', 1)[0]!;
    // A path that has routes, asked with another method, is a 405 naming the methods it has
    // (RFC 9110 §15.5.6), and OPTIONS answers with them: only a path with none is a 404.
    const allow = allowedMethods(app, path);
    if (allow.length > 0) {
      reply.header('allow', allow.join(', '));
      if (request.method === 'OPTIONS') return reply.code(204).send();
      return sendProblem(
        request,
        reply,
        405,
        `${request.method} is not allowed on ${path}; it allows ${allow.join(', ')}.`,
      );
    }
    return sendProblem(request, reply, 404, `No route for ${request.method} ${path}.`);
  });
}

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];

/** The methods the router has a route for at this path (parameters and wildcards matched). */
function allowedMethods(app: FastifyInstance, path: string): string[] {
  const found = METHODS.filter((method) => app.findRoute({ method, url: path }) !== null);
  return found.length > 0 ? [...found, 'OPTIONS'] : [];
}
