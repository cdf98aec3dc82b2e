import { randomBytes } from 'node:crypto';
import type { FastifyRequest } from 'fastify';

type Headers = Record<string, string | string[] | undefined>;

/** Meaningful for one connection only (RFC 9110 §7.6.1); never passed on in either direction. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/**
 * Identity the services might trust from each other; a client sending them is trying to pass
 * for someone. Identity at a service comes only from the verified token.
 */
const INTERNAL = /^x-(user|service|internal|authenticated)-/;

/** What a service receives: the client's headers minus hop-by-hop and internal ones, plus ours. */
export function requestHeaders(request: FastifyRequest, headers: Headers): Headers {
  const out: Headers = {};
  for (const name in headers) {
    if (HOP_BY_HOP.has(name) || (name.startsWith('x-') && INTERNAL.test(name))) continue;
    out[name] = headers[name];
  }
  const prior = headers['x-forwarded-for'];
  out['x-forwarded-for'] = [prior, request.raw.socket.remoteAddress]
    .flat()
    .filter(Boolean)
    .join(', ');
  out['x-forwarded-proto'] = request.protocol;
  out['x-forwarded-host'] = request.host;
  out['x-request-id'] = request.id;
  out.traceparent = childTraceparent(headers.traceparent);
  return out;
}

export function responseHeaders(headers: Headers): Headers {
  const out: Headers = {};
  for (const name in headers) if (!HOP_BY_HOP.has(name)) out[name] = headers[name];
  return out;
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const ZERO_TRACE = '0'.repeat(32);

/**
 * W3C Trace Context: the gateway is a hop, so the service sees the caller's trace id with the
 * gateway's own span as parent. Without a valid header a new trace starts here.
 */
export function childTraceparent(given: string | string[] | undefined): string {
  const match = typeof given === 'string' ? TRACEPARENT.exec(given) : null;
  const trace = match && match[1] !== ZERO_TRACE ? match[1] : randomHex(16);
  const flags = match ? match[3] : '01';
  return `00-${trace}-${randomHex(8)}-${flags}`;
}

// Ids need to be unique, not secret: one call to the CSPRNG serves many requests.
const POOL_SIZE = 4096;
let pool = randomBytes(POOL_SIZE);
let offset = 0;

function randomHex(bytes: number): string {
  if (offset + bytes > POOL_SIZE) {
    pool = randomBytes(POOL_SIZE);
    offset = 0;
  }
  offset += bytes;
  return pool.toString('hex', offset - bytes, offset);
}
