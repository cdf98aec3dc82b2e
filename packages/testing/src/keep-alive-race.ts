import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface KeepAliveRaceServer {
  url: string;
  /** Requests that reached the server whole, in order. */
  requests: { method: string; path: string; body: string }[];
  /** Kept-alive connections it ended as a request arrived on them. */
  cut: number;
  close(): Promise<void>;
}

/**
 * A server that loses the keep-alive race every time: a connection quiet for `idleMs` since its
 * last answer is ended by the server at the moment the next request's first bytes arrive on it,
 * unanswered, as a real one (a closing service at its idle grace, a server at its keep-alive
 * timeout) that ends it just as a client writes. Timing left to chance, the race is rare; here a
 * client that keeps a connection idle for `idleMs` or longer fails on it on every run, and one
 * that dropped it before opens a new one and is answered. `hintMs` (default 72 s, Fastify's) is
 * the Keep-Alive timeout it announces, none with `false` (InfluxDB, a Go server, says none).
 * It answers 200 `ok`, or what `answer` writes.
 */
export async function keepAliveRaceServer(options: {
  idleMs: number;
  hintMs?: number | false;
  answer?: (req: IncomingMessage, body: string) => { status: number; body: string };
}): Promise<KeepAliveRaceServer> {
  const sockets = new Set<Socket>();
  const state: KeepAliveRaceServer = {
    url: '',
    requests: [],
    cut: 0,
    close: () => close(server, sockets),
  };
  const server: Server = createServer((req, res) => {
    // Ended as it arrived (below): the parser may still see its bytes, nothing of it ran.
    if (req.socket.destroyed) return;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      state.requests.push({ method: req.method ?? '', path: req.url ?? '', body });
      const answer = options.answer?.(req, body) ?? { status: 200, body: 'ok' };
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
    });
  });
  const hint = options.hintMs ?? 72_000;
  // Node announces `Keep-Alive: timeout=<s>` for a non-zero keepAliveTimeout; 0 keeps it forever
  // and announces none. Either way the race below ends the connection first.
  server.keepAliveTimeout = hint === false ? 0 : hint;
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  loseKeepAliveRace(server, options.idleMs, () => state.cut++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return state;
}

/**
 * Makes `server` lose the keep-alive race on every connection quiet for `idleMs` since its last
 * answer: it ends the connection as the next request's first bytes arrive, unanswered, and tells
 * `onCut`. Its request handler should ignore a request whose socket is already destroyed.
 */
export function loseKeepAliveRace(server: Server, idleMs: number, onCut: () => void): void {
  const lastAnswer = new WeakMap<Socket, number>();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    res.on('finish', () => lastAnswer.set(req.socket, Date.now()));
  });
  server.on('connection', (socket: Socket) => {
    socket.prependListener('data', () => {
      const last = lastAnswer.get(socket);
      if (last !== undefined && Date.now() - last >= idleMs) {
        onCut();
        socket.destroy();
      }
    });
  });
}

function close(server: Server, sockets: Set<Socket>): Promise<void> {
  for (const socket of sockets) socket.destroy();
  return new Promise((resolve) => server.close(() => resolve()));
}
