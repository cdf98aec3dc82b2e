import { randomUUID } from 'node:crypto';
import { type IncomingMessage, type Server, type ServerResponse, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { decodes } from './input-strictness.ts';
import { defaultCode, invalidPart, sendProblem } from './problem.ts';

/**
 * What Fastify's router refuses before any route, hook or error handler runs (a path parameter
 * whose escapes are not UTF-8, like `%ED%A0%80`, or one longer than `maxParamLength`), as a 400
 * problem naming the parameter instead of Fastify's own JSON.
 */
export function routerErrors(maxParamLength: number) {
  const routes: { methods: string[]; segments: string[] }[] = [];

  /** Names the parameters of the route `path` would have matched that fail `bad`. */
  const paramsWhere = (method: string, path: string, bad: (raw: string) => boolean) => {
    const given = path.split('/');
    for (const route of routes) {
      if (!route.methods.includes(method) || route.segments.length !== given.length) continue;
      const names: string[] = [];
      const matches = route.segments.every((pattern, i) => {
        const raw = given[i]!;
        if (!pattern.startsWith(':')) return pattern === raw;
        if (bad(raw)) names.push(pattern.slice(1).replace(/\W.*$/, ''));
        return true;
      });
      if (matches && names.length) return names;
    }
    return ['path'];
  };

  return {
    /** Keeps the routes to match a refused path against; call before any is added. */
    track(app: FastifyInstance) {
      app.addHook('onRoute', (route) => {
        const methods = Array.isArray(route.method) ? route.method : [route.method];
        routes.push({ methods, segments: route.url.split('/') });
      });
    },
    handler(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
      reply.header('x-request-id', request.id);
      const path = request.url.split('?')[0] ?? '/';
      const refused =
        error.code === 'FST_ERR_BAD_URL'
          ? { bad: (raw: string) => !decodes(raw), message: 'must be valid percent-encoded UTF-8' }
          : error.code === 'FST_ERR_MAX_PARAM_LENGTH'
            ? {
                bad: (raw: string) => raw.length > maxParamLength,
                message: `must NOT have more than ${maxParamLength} characters`,
              }
            : undefined;
      if (!refused) {
        request.log.error({ err: error }, 'router error');
        return sendProblem(request, reply, 500, 'An unexpected error occurred.');
      }
      const fields = paramsWhere(request.method, path, refused.bad);
      return sendProblem(request, reply, 400, invalidPart('params'), {
        errors: fields.map((field) => ({ field, message: refused.message })),
      });
    },
  };
}

const answered = new WeakSet<Socket>();

const CLIENT_ERRORS: Record<string, [number, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'The request headers are larger than this server accepts.'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'The request took too long to arrive.'],
};

/** RFC 9110 §15.5.15: the target alone is over the limit. */
const URI_TOO_LONG: [number, string] = [414, 'The request URL is longer than this server accepts.'];

/** The start of a request line in origin or absolute form (`GET /`, `GET http://`). */
const REQUEST_LINE_START = /^[A-Z]+ (?:\/|\*|[A-Za-z][A-Za-z0-9+.-]*:\/\/)/;
/** The rest of a request line whose target ends here: its version. */
const VERSION_NEXT = /^ HTTP\/\d\.\d\r?\n/;

/**
 * Whether Node's parser overflowed (HPE_HEADER_OVERFLOW, one limit for the URL and the headers
 * together) in the request line (414) or in the headers (431); undefined when what has arrived
 * does not say. The parser stops where the span it was counting ends: a URL's at the space before
 * the version, a header name's past its colon, a value's past its CR; or at the end of the chunk
 * read, when the span goes on past it.
 */
function overflowInRequestLine(error: NodeJS.ErrnoException, socket: Socket): boolean | undefined {
  const raw = (error as { rawPacket?: unknown }).rawPacket;
  const at = (error as { bytesParsed?: unknown }).bytesParsed;
  if (!Buffer.isBuffer(raw) || typeof at !== 'number' || at > raw.length) return false;
  if (at < raw.length) {
    return raw[at - 1] !== 0x3a && VERSION_NEXT.test(raw.toString('latin1', at, at + 16));
  }
  // Cut at the end of the chunk: the line in progress began in it (after a line break, or as the
  // connection's first bytes), or it began in an earlier chunk unless it looks like a request.
  const text = raw.toString('latin1', 0, at);
  const lineStart = text.lastIndexOf('\n') + 1;
  const line = text.slice(lineStart);
  if (REQUEST_LINE_START.test(line)) return true;
  if (lineStart > 0 || socket.bytesRead === raw.length) return false;
  return undefined;
}

/**
 * A span cut at a chunk's end whose start was in an earlier chunk: the line it is in is a request
 * line when it ends with the version, one space before it (a URL has none). Read from the bytes
 * still arriving, which are dropped anyway; 431 when no line ends within a few seconds.
 */
function requestLineOrHeaders(socket: Socket, answer: (requestLine: boolean) => void) {
  let spaces = 0;
  let tail = '';
  const decide = (requestLine: boolean) => {
    socket.off('data', scan);
    clearTimeout(timer);
    answer(requestLine);
  };
  const scan = (chunk: Buffer) => {
    const text = chunk.toString('latin1');
    const end = text.indexOf('\n');
    const part = end < 0 ? text : text.slice(0, end);
    spaces += part.split(' ').length - 1;
    tail = (tail + part).slice(-16);
    if (end >= 0) decide(spaces === 1 && / HTTP\/\d\.\d\r?$/.test(tail));
  };
  const timer = setTimeout(() => decide(false), 3_000);
  timer.unref();
  socket.on('data', scan);
}

/** A whole HTTP/1.1 problem+json answer that closes the connection, for requests no route sees. */
function rawProblem(status: number, detail: string, headers: Record<string, string> = {}): string {
  const title = STATUS_CODES[status] ?? 'Bad Request';
  const id = randomUUID();
  const body = JSON.stringify({
    type: 'about:blank',
    title,
    status,
    code: defaultCode(status),
    detail,
    request_id: id,
  });
  const extra = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
  return (
    `HTTP/1.1 ${status} ${title}\r\nconnection: close\r\n` +
    `content-type: application/problem+json; charset=utf-8\r\n${extra.join('')}` +
    `content-length: ${Buffer.byteLength(body)}\r\nx-request-id: ${id}\r\n\r\n${body}`
  );
}

/**
 * A request Node's HTTP parser refused (a URL or headers over its 16 KB limit, bytes that are not
 * HTTP) answered as problem+json. The rest of what the client sends is read and dropped until it
 * closes: closing a socket with unread data resets it, and the client may see that instead.
 */
export function clientErrorHandler(error: NodeJS.ErrnoException, socket: Socket) {
  // The parser reports each later chunk of the same request again; it is answered once.
  if (error.code === 'ECONNRESET' || socket.destroyed || answered.has(socket)) return;
  answered.add(socket);
  const answer = ([status, detail]: [number, string]) => {
    // A route may already have answered this request (a 401 before a malformed chunked body was
    // read): a second answer on the same connection would be read as the next one's.
    const current = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (socket.writable && !current?.headersSent) socket.end(rawProblem(status, detail));
    else socket.end();
  };
  const refusal = CLIENT_ERRORS[error.code ?? ''] ?? [400, 'The request is not HTTP.'];
  if (error.code !== 'HPE_HEADER_OVERFLOW') answer(refusal);
  else {
    const requestLine = overflowInRequestLine(error, socket);
    if (requestLine === undefined) {
      requestLineOrHeaders(socket, (inLine) => answer(inLine ? URI_TOO_LONG : refusal));
    } else answer(requestLine ? URI_TOO_LONG : refusal);
  }
  socket.resume();
  setTimeout(() => socket.destroy(), 10_000).unref();
}

/**
 * What Node's HTTP server would otherwise answer by itself, with an empty body or none at all:
 * an HTTP/1.1 request without Host (RFC 9112 requires a 400; a problem+json here) and CONNECT
 * (Node closes the connection without a word; a 405 problem+json here); an `Expect` other than
 * 100-continue (Node's bare 417) is ignored. Call with Fastify's server before it listens; `app.inject` never meets these.
 */
export function answerWhatNodeRefuses(server: Server) {
  const [handler] = server.listeners('request') as ((
    req: IncomingMessage,
    res: ServerResponse,
  ) => void)[];
  if (handler) {
    server.removeListener('request', handler);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      if (req.headers.host === undefined && req.httpVersion === '1.1') {
        res.socket?.end(rawProblem(400, 'An HTTP/1.1 request needs a Host header.'));
        return;
      }
      handler(req, res);
    });
  }
  // Ignored, as NGINX in front ignores it (RFC 9110 allows either), so a request answers the same
  // with or without NGINX: Node's own answer was a bare 417 without a body or request id.
  server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => {
    server.emit('request', req, res);
  });
  server.on('connect', (_req: IncomingMessage, socket: Socket) => {
    socket.end(
      rawProblem(405, 'CONNECT is not supported.', {
        allow: 'GET, HEAD, POST, PUT, PATCH, DELETE',
      }),
    );
    socket.resume();
    setTimeout(() => socket.destroy(), 10_000).unref();
  });
}
