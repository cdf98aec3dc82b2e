import { isUtf8 } from 'node:buffer';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { problems } from './problem.ts';

/**
 * `content-type: application/json` with an empty body is a request without a body, as the
 * contract's bodiless calls (`DELETE /posts/{id}` → 204, `POST /logout` with its optional body)
 * need from clients that set that header on every request; Fastify's parser refused it as a 400.
 * A route that needs a body still says so (400 `validation_failed`). Anything else is parsed by
 * Fastify's own parser, prototype poisoning refused as before.
 */
export function emptyJsonIsNoBody(app: FastifyInstance) {
  const parse = jsonBodyParser(app);
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, parse);
  // A JSON Merge Patch (RFC 7396) is JSON, and what every PATCH here is (the fields given replace,
  // null clears): clients that PATCH by the RFC name this type, which was a 415.
  app.addContentTypeParser('application/merge-patch+json', { parseAs: 'buffer' }, parse);
}

/**
 * The parser of `application/json` bodies, for a route that must read JSON sent under another
 * type (analytics.js posts JSON as `text/plain`): register it in that route's own scope,
 * `scope.addContentTypeParser('text/plain', { parseAs: 'buffer' }, jsonBodyParser(scope))`, and the
 * body is read exactly as JSON is everywhere (empty is no body, UTF-8 only, prototype poisoning
 * refused); the schema's strictness (NUL, surrogates, numbers) applies as to any body.
 */
export function jsonBodyParser(app: FastifyInstance) {
  const parse = app.getDefaultJsonParser('error', 'error');
  return (
    request: FastifyRequest,
    body: string | Buffer,
    done: (error: Error | null, body?: unknown) => void,
  ) => {
    const bytes = body as Buffer;
    if (bytes.length === 0) {
      done(null, undefined);
      return;
    }
    // JSON is UTF-8 (RFC 8259). Decoded as a string, bytes that are not became U+FFFD and were
    // taken as sent, where the same text as a `\ud800` escape is refused.
    if (!isUtf8(bytes)) {
      done(problems.badRequest('The request body is not valid UTF-8.'), undefined);
      return;
    }
    parse(request, bytes.toString('utf8'), done);
  };
}

/**
 * Fastify reads `text/plain` by default, as a string: a JSON route given one answered 400 "body
 * must be object", where a type it does not read (`application/xml`) is a 415. No route here
 * takes text (none took it: each answered it 400), so it is a 415 like the rest, a
 * `navigator.sendBeacon` of a string to `/track-event` included. A route that comes to need it
 * adds a parser of its own, as auth's form pages do for form posts.
 */
export function onlyJsonBodies(app: FastifyInstance) {
  app.removeContentTypeParser('text/plain');
}
