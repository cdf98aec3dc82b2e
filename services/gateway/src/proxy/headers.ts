import { randomBytes } from 'node:crypto';
import { CLOSING_REFUSAL_HEADER, ROUTE_HEADER } from '@platform/http';
import { requestTraceHeaders, tracingActive } from '@platform/telemetry';
import type { FastifyReply, FastifyRequest } from 'fastify';
import vary from 'vary';

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
 * Set by the gateway itself: `host` (the pool's origin), `expect` (Node has already answered
 * `100-continue`, and undici refuses it), the forwarding headers below and the trace context.
 * Of a client's trace context only its trace id goes on (in the gateway's `traceparent`), traced
 * or not: its `tracestate` and `baggage` would become the services' own and travel with their
 * calls to the outside (OIDC providers, InfluxDB, webhooks).
 */
const OWN = new Set([
  'host',
  'expect',
  'x-forwarded-proto',
  'x-forwarded-host',
  // The client address is the gateway's word alone, under every name a service might read.
  'x-real-ip',
  'forwarded',
  'x-request-id',
  'traceparent',
  'tracestate',
  'baggage',
]);

/**
 * Identity the services might trust from each other; a client sending them is trying to pass
 * for someone. Identity at a service comes only from the verified token.
 */
const INTERNAL = ['x-user-', 'x-service-', 'x-internal-', 'x-authenticated-'];
const isInternal = (name: string) => INTERNAL.some((prefix) => name.startsWith(prefix));

/**
 * What a service receives, as undici's flat `[name, value, …]` list: the client's headers (from
 * `rawHeaders`, so repeated ones stay repeated) minus hop-by-hop, internal, forwarding and our own
 * ones, after ours.
 */
export function requestHeaders(request: FastifyRequest, sampleRatio: number): string[] {
  const headers = request.headers;
  const named = connectionNamed(headers.connection);
  const raw = request.raw.rawHeaders;
  const traced = tracingActive();
  // The gateway's own headers go first. A service's HTTP parser keeps only the first ~1,000
  // header lines of a request and silently drops the rest (Node's does), so behind a client's
  // thousand junk headers these came too late: the service read the gateway's own address as
  // the client's (its sign-in throttle, audit log and sessions with it) and lost the request id
  // and trace context. Whatever is cut now is the client's own.
  const out: string[] = [
    // The client address as the gateway determined it (TRUST_PROXY): the services trust the
    // gateway's word, so what a client claims for itself must never reach them.
    'x-forwarded-for',
    request.ip,
    'x-real-ip',
    request.ip,
    'x-forwarded-proto',
    request.protocol,
    'x-forwarded-host',
    request.host,
    'x-request-id',
    request.id,
  ];
  const context = traced ? requestTraceHeaders(request.raw) : undefined;
  if (context) for (const name in context) out.push(name, context[name]!);
  // Tracing off (or its server spans): the hop still gets a traceparent of the gateway's making.
  else out.push('traceparent', childTraceparent(headers.traceparent, sampleRatio));
  let authorized = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (HOP_BY_HOP.has(name) || OWN.has(name)) continue;
    if (name.startsWith('x-') && (name === 'x-forwarded-for' || isInternal(name))) continue;
    // Servers that read headers CGI-style (HTTP_X_USER_ID) take `x_user_id` for `x-user-id`, so
    // such names would slip every check above; NGINX drops them too (underscores_in_headers).
    if (name.includes('_')) continue;
    if (named?.includes(name)) continue;
    // The one the edge verified (Node keeps the first): a second, unchecked token goes no further.
    if (name === 'authorization') {
      if (authorized) continue;
      authorized = true;
    }
    out.push(name, raw[i + 1]!);
  }
  return out;
}

/**
 * The service's answer headers a client may see: hop-by-hop ones, and those they name, go; so
 * do the route template the service names for the gateway's series (ROUTE_HEADER) and the mark of
 * a closing instance's refusal (CLOSING_REFUSAL_HEADER), both for the gateway alone.
 */
export function responseHeaders(headers: Headers): Headers {
  const named = connectionNamed(headers.connection);
  const out: Headers = {};
  for (const name in headers) {
    if (
      HOP_BY_HOP.has(name) ||
      name === ROUTE_HEADER ||
      name === CLOSING_REFUSAL_HEADER ||
      named?.includes(name)
    )
      continue;
    out[name] = headers[name];
  }
  return out;
}

/**
 * Puts a service's answer headers on the reply. A `Vary` of the service's joins the one the
 * gateway set itself (CORS: `Vary: Origin`) instead of replacing it, or a shared cache would hand
 * one origin's answer to another.
 */
export function serveHeaders(reply: FastifyReply, headers: Headers) {
  const own = reply.getHeader('vary');
  reply.headers(headers);
  const theirs = headers.vary;
  if (own === undefined || theirs === undefined) return;
  const fields = String(own)
    .split(',')
    .map((f) => f.trim())
    .filter(Boolean);
  reply.header('vary', vary.append(String(theirs), fields));
}

/** Headers a `Connection` header lists are hop-by-hop too (RFC 9110 §7.6.1). */
function connectionNamed(connection: string | string[] | undefined): string[] | undefined {
  if (connection === undefined) return undefined;
  const list = (typeof connection === 'string' ? connection : connection.join(',')).toLowerCase();
  // What nearly every client and service sends names no header.
  if (list === 'keep-alive' || list === 'close') return undefined;
  const names: string[] = [];
  for (const token of list.split(',')) names.push(token.trim());
  return names;
}

const TRACEPARENT = /^00-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/;
const ZERO_TRACE = '0'.repeat(32);

/**
 * W3C Trace Context: the gateway is a hop, so the service sees the caller's trace id with the
 * gateway's own span as parent. Without a valid header a new trace starts here. The sampled flag,
 * which the services' parent-based samplers follow, is the gateway's decision at `ratio` (its
 * OTEL_TRACES_SAMPLER/_ARG), never the caller's: a client must not have its every request
 * recorded, or hide one (edgeSampler does the same when the gateway traces). A coin toss, since
 * the trace id may be the client's choice too.
 */
export function childTraceparent(given: string | string[] | undefined, ratio: number): string {
  const match = typeof given === 'string' ? TRACEPARENT.exec(given) : null;
  const trace = match && match[1] !== ZERO_TRACE ? match[1] : randomHex(16);
  const sampled = ratio >= 1 || (ratio > 0 && Math.random() < ratio);
  return `00-${trace}-${randomHex(8)}-${sampled ? '01' : '00'}`;
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
