import { type IncomingMessage, Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { mayCarry } from './internal-headers.ts';
import { sendProblem } from './problem.ts';

/**
 * Node's close (and Fastify's idle sweep) ends only the keep-alive connections idle when it
 * begins, and never one that has not sent a request yet: undici opens a fresh connection right
 * after a request of its is aborted (a verifier closing with its feed poll in flight), browsers
 * open spare ones. Either kind kept the close waiting for the keep-alive timeout (72 s), past the
 * shutdown's grace. So while the server closes, connections are ended as they become idle, and
 * those that never sent a byte, each once it has been quiet for the idle grace (`idleGraceMs`:
 * since its last answer was written out, or since it was opened).
 *
 * Not at once: HTTP/1.1 has no way to end an idle connection that a client cannot race. The
 * gateway may be writing a POST on it at that very moment; it then sees the connection closed
 * with no answer, cannot tell that from a crash after the route ran, and answers 502 without
 * trying another instance. Within the grace such a request arrives and gets the closing refusal
 * (marked, `connection: close`), which the gateway sends to another instance, a write too. Past
 * it the gateway no longer writes on the connection: it drops one idle for UPSTREAM_IDLE_MS (1 s,
 * services/gateway app.ts) itself. Only for an app whose refusals are marked, or that serves what
 * comes within the grace (`serve`: the gateway, whose client NGINX cannot resend a refusal of a
 * write, and drops its own idle connections after 1 s, deploy/nginx/nginx.conf).
 */
export function endQuietConnectionsOnClose(
  app: FastifyInstance,
  writeOutMs = WRITE_OUT_MS,
  markRefusals = true,
  serve = false,
  idleGraceMs = markRefusals || serve ? IDLE_GRACE_MS : 0,
) {
  const sockets = new Set<Quiet>();
  let closingSince: number | undefined;
  /** Closing, and this connection quiet for the grace. */
  const graceOver = (socket: Quiet) =>
    closingSince !== undefined && Date.now() - (socket[quietSince] ?? 0) >= idleGraceMs;
  closeIdleConnectionsOnlyOnceWritten(
    app.server,
    () => closingSince !== undefined && Date.now() - closingSince > writeOutMs,
    graceOver,
  );
  refuseNewRequestsWhileClosing(app, markRefusals, serve);
  app.server.on('connection', (socket: Quiet) => {
    socket[quietSince] = Date.now();
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  if (idleGraceMs > 0) {
    app.server.on('request', (_request: IncomingMessage, response: ServerResponse) => {
      response.on('finish', answered);
    });
  }
  app.addHook('preClose', (done) => {
    const server = app.server;
    if (!server.listening) return done();
    closingSince = Date.now();
    const sweep = () => {
      server.closeIdleConnections();
      // bytesRead counts what the HTTP parser consumed too: 0 means not one byte of a request.
      for (const socket of sockets) {
        if (socket.bytesRead === 0 && graceOver(socket)) socket.destroy();
      }
    };
    sweep();
    const timer = setInterval(sweep, 50).unref();
    // Not an onClose hook: Fastify runs those before its wait for the server's close.
    server.once('close', () => clearInterval(timer));
    done();
  });
}

/** When the connection's last answer was written out (or it was opened, if none yet). */
const quietSince = Symbol('quietSince');

/** A response's 'finish' (once only: no `once` wrapper): its connection is quiet from now. */
function answered(this: ServerResponse) {
  // The request keeps its socket; the response has been detached from it by now.
  (this.req.socket as Quiet)[quietSince] = Date.now();
}

/** A closing app that serves (`serve`) has served the one request it does on this connection. */
const servedWhileClosing = Symbol('servedWhileClosing');

type Quiet = Socket & {
  [quietSince]?: number;
  [servedWhileClosing]?: boolean;
  _httpMessage?: ServerResponse<IncomingMessage> | null;
};

/**
 * How long a closing app keeps a quiet connection (idle between requests, or never used) open
 * for a request that may be on its way (by default; createApp's `idleGraceMs`): twice as long as
 * the gateway keeps an upstream connection idle (UPSTREAM_IDLE_MS, 1 s), the margin for its
 * event loop's lag. A connection quiet for longer when the close begins is ended at once, so this
 * lengthens a shutdown only by what is left of it for connections used just before; well under
 * WRITE_OUT_MS and the shutdown's grace.
 */
export const IDLE_GRACE_MS = 2000;

/**
 * How long a close waits for answers already ended to be read by their clients (by default;
 * createApp's `writeOutMs`). One that never reads (a stalled or hostile client) would otherwise
 * hold the close until the shutdown's 10 s grace (server.ts, SHUTDOWN_GRACE_MS), which exits 1
 * without the steps after the close: the database pool's end, the last spans. Past this, those
 * answers are cut.
 */
export const WRITE_OUT_MS = 5000;

type Connection = { socket: Quiet | null };

type ConnectionsList = { idle?: () => Connection[]; active?: () => Connection[] };

/**
 * Node counts a connection idle once its request has been read, and its closeIdleConnections
 * spares it only until the handler calls `end()`: the answer's bytes still queued for a client
 * that reads slowly (a large page, an avatar, an upstream's body through the gateway) were cut
 * off. Node's close calls it once, and the sweep above every 50 ms for the whole drain, so any
 * answer ending during a shutdown was cut. This one also spares a connection until its answer is
 * written out (`writableFinished`; the response is detached from the socket then, and the next
 * sweep closes it if nothing more came), for up to the write-out time (WRITE_OUT_MS) into the close. It reads Node's own list of idle connections (the
 * parser's view: no request partly received); on a Node without that list it is Node's own.
 */
function closeIdleConnectionsOnlyOnceWritten(
  server: Server,
  patienceOver: () => boolean,
  graceOver: (socket: Quiet) => boolean,
) {
  server.closeIdleConnections = () => {
    const key = Object.getOwnPropertySymbols(server).find(
      (symbol) => symbol.description === 'http.server.connections',
    );
    const list = key && (server as unknown as Record<symbol, ConnectionsList>)[key];
    if (!list || typeof list.idle !== 'function') {
      Server.prototype.closeIdleConnections.call(server);
      return;
    }
    for (const { socket } of list.idle()) {
      if (!socket) continue;
      const answer = socket._httpMessage;
      const writing = answer && !answer.writableFinished;
      // Between requests, a client may be writing the next one on it: kept for the idle grace.
      if (writing ? !patienceOver() : !graceOver(socket)) continue;
      socket.destroy();
    }
    // A request still arriving (its headers or its body partly received) when the write-out time
    // is over is cut too. Node stops its own checks of a client's headers and request timeouts
    // when its close begins (it clears their interval), so a client trickling a request (a header
    // line a second, slowloris) held the close for ever, and with it the shutdown until its 10 s
    // grace, which exits 1 without the steps after the close. One whose headers came after the
    // close began would only have got the closing refusal; one whose body is still arriving into
    // a route that began before it is cut like any answer not written out by then (above).
    if (typeof list.active === 'function' && patienceOver()) {
      for (const { socket } of list.active()) socket?.destroy();
    }
  };
}

/**
 * Marks the one answer a route never produced: the 503 a closing app gives a request that
 * arrived once its close began (refuseNewRequestsWhileClosing). The gateway reads it as "not
 * processed", sends the request (a write too: no route ran) to another instance, and never passes
 * it on; a route's handler cannot set it (every other answer's head loses it as it is written), so a
 * 503 a route gives on purpose (load shedding, a dependency down) is never taken for one.
 */
export const CLOSING_REFUSAL_HEADER = 'x-internal-closing-refusal';

const refusedWhileClosing = Symbol('refusedWhileClosing');

/**
 * A request that arrives whole once the close began (on a connection kept alive, or one that had
 * sent part of it) runs no route: 503 `service_unavailable`, a problem like every error, and the
 * connection closed. It carries CLOSING_REFUSAL_HEADER (unless `mark` is off: the gateway, whose
 * callers are clients), so the gateway in front sends it again to another instance, writes
 * included, and its client never sees this answer; a client calling the service directly may send
 * it again itself (`Retry-After`). Fastify's own answer (return503OnClosing, turned off in
 * createApp) was a bare JSON body. An app that `serve`s while closing (the gateway) answers such a
 * request instead, closing its connection after it: the first one on each connection, any pipelined
 * behind it refused.
 */
function refuseNewRequestsWhileClosing(app: FastifyInstance, mark: boolean, serve: boolean) {
  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  app.addHook('onRequest', (request, reply, done) => {
    if (!closing) return done();
    // Served, its connection closed after the answer (as Envoy drains a listener): what reaches
    // the gateway on a connection NGINX keeps alive, which NGINX cannot send elsewhere once it is
    // written (a POST, `non_idempotent`), and whose refusal it would pass to the client. Only
    // within the idle grace: past it the connection is ended (and NGINX drops its idle ones
    // first, its upstream keepalive_timeout being shorter).
    // One per connection: requests pipelined behind it are refused, unprocessed. Node runs each
    // as it is parsed, but the connection closes after that first answer, so their answers would
    // never be written: a write then went on at the service and its client heard nothing (RFC
    // 9112 §9.6: a server that sends `close` processes no further request on the connection).
    const connection = request.raw.socket as Quiet | null;
    if (serve && connection && !connection[servedWhileClosing]) {
      connection[servedWhileClosing] = true;
      reply.raw.shouldKeepAlive = false;
      return done();
    }
    reply.header('connection', 'close').header('retry-after', '1');
    if (mark) (request as unknown as Record<symbol, boolean>)[refusedWhileClosing] = true;
    sendProblem(request, reply, 503, 'The service is shutting down; send the request again.', {
      code: 'service_unavailable',
    });
  });
  if (!mark) return;
  // Set here, at the last step before the headers are written. Every other answer's head loses
  // it as it is written, whatever writes it (responsesWithout, internal-headers.ts): a route (or a
  // hook) that set the name by mistake, or copied another service's headers, must not turn its
  // own 503 into a refusal the gateway resends.
  app.addHook('onSend', (request, reply, payload, done) => {
    if ((request as unknown as Record<symbol, boolean>)[refusedWhileClosing]) {
      reply.header(CLOSING_REFUSAL_HEADER, '1');
      (reply.raw as { [mayCarry]?: string })[mayCarry] = CLOSING_REFUSAL_HEADER;
    }
    done(null, payload);
  });
}
