import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * Sends `body` as a simple HTTP/1.1 client on a network does, on a connection of its own: the
 * whole request first, in 64 KB pieces a millisecond apart, then it reads the answer (Python's
 * http.client works so). Resolves with the answer; rejects if the connection broke before the
 * body was sent or the answer read (EPIPE, a reset), which is what a server that closes on an
 * unread body does to such clients (RFC 9112 §9.6).
 */
export function sendBody(
  url: string,
  body: Buffer,
  options: {
    method?: string;
    headers?: Record<string, string>;
    /** Send it with `transfer-encoding: chunked` rather than a content-length. */
    chunked?: boolean;
    /** The client address, e.g. `127.0.0.7`, for per-address limits. */
    localAddress?: string;
  } = {},
): Promise<RawAnswer> {
  const target = new URL(url);
  const headers: Record<string, string> = { host: target.host, ...options.headers };
  if (options.chunked) headers['transfer-encoding'] = 'chunked';
  else headers['content-length'] = String(body.length);
  const head = [
    `${options.method ?? 'POST'} ${target.pathname}${target.search} HTTP/1.1`,
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
    '',
    '',
  ].join('\r\n');
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: target.hostname,
      port: Number(target.port),
      ...(options.localAddress ? { localAddress: options.localAddress } : {}),
    });
    let received = Buffer.alloc(0);
    let sent = false;
    const fail = (error: Error) => {
      socket.destroy();
      reject(error);
    };
    const settle = () => {
      const answer = sent ? parseAnswer(received) : undefined;
      if (!answer) return;
      socket.destroy();
      resolve(answer);
    };
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      settle();
    });
    socket.on('error', fail);
    socket.on('close', () => {
      if (!sent) reject(new Error('the connection closed before the whole body was sent'));
      else if (!parseAnswer(received)) reject(new Error('the connection closed before an answer'));
    });
    const write = (data: Buffer | string) =>
      new Promise<void>((done, failed) => socket.write(data, (e) => (e ? failed(e) : done())));
    const sendAll = async () => {
      await write(head);
      const piece = 64 * 1024;
      for (let offset = 0; offset < body.length; offset += piece) {
        const chunk = body.subarray(offset, offset + piece);
        await write(options.chunked ? `${chunk.length.toString(16)}\r\n` : '');
        await write(chunk);
        if (options.chunked) await write('\r\n');
        await sleep(1);
      }
      if (options.chunked) await write('0\r\n\r\n');
      sent = true;
      settle();
    };
    socket.once('connect', () => sendAll().catch(fail));
  });
}

/** A whole answer with a content-length body, once that much has arrived. */
function parseAnswer(data: Buffer): RawAnswer | undefined {
  const end = data.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const [statusLine, ...lines] = data.subarray(0, end).toString('latin1').split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const status = Number(statusLine!.split(' ')[1]);
  // An interim answer (100 Continue) has no body.
  const length = status < 200 ? 0 : Number(headers['content-length'] ?? 0);
  if (data.length < end + 4 + length) return undefined;
  return {
    status,
    headers,
    body: data.subarray(end + 4, end + 4 + length).toString('utf8'),
  };
}

/** `sendBody` `times` times in turn; resolves with every answer, or rejects with the first break. */
export async function sendBodyRepeatedly(
  times: number,
  ...args: Parameters<typeof sendBody>
): Promise<RawAnswer[]> {
  const answers: RawAnswer[] = [];
  for (let i = 0; i < times; i++) {
    try {
      answers.push(await sendBody(...args));
    } catch (error) {
      throw new Error(`try ${i + 1} of ${times}: ${(error as Error).message}`, { cause: error });
    }
  }
  return answers;
}

/**
 * Sends `bytes` as they are on a connection of its own (a request no HTTP client would send) and
 * resolves with everything received until the server closes, or until `waitMs` passed.
 */
export function exchangeRaw(url: string, bytes: string | Buffer, waitMs = 5000): Promise<string> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: target.hostname, port: Number(target.port) });
    let received = Buffer.alloc(0);
    const timer = setTimeout(() => socket.destroy(), waitMs);
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // A reset after an answer arrived is the server closing on what it did not read.
      if (error.code !== 'ECONNRESET' || !received.length) reject(error);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(received.toString('latin1'));
    });
    socket.write(bytes);
  });
}

export interface RawHead {
  status: number;
  contentType?: string;
  /** The problem's code, when the answer is problem+json. */
  code?: string;
}

/** The answers in what `exchangeRaw` received, in order (bodies by content-length). */
export function answersIn(text: string): RawHead[] {
  const heads: RawHead[] = [];
  let rest = Buffer.from(text, 'latin1');
  while (rest.length) {
    const answer = parseAnswer(rest);
    const end = rest.indexOf('\r\n\r\n');
    if (!answer || end < 0) break;
    const contentType = answer.headers['content-type'];
    const problem =
      typeof contentType === 'string' && contentType.startsWith('application/problem+json');
    const interim = answer.status >= 100 && answer.status < 200;
    heads.push({
      status: answer.status,
      ...(typeof contentType === 'string' ? { contentType } : {}),
      ...(problem ? { code: (JSON.parse(answer.body) as { code?: string }).code } : {}),
    });
    const length = interim ? 0 : Number(answer.headers['content-length'] ?? 0);
    rest = rest.subarray(end + 4 + length);
  }
  return heads;
}
