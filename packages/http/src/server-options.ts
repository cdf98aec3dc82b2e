import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import {
  type Serializer,
  type SerializerFactory,
  SerializerSelector,
} from '@fastify/fast-json-stringify-compiler';
import { responsesWithout } from './internal-headers.ts';

// The Node server and Fastify options createApp builds from more than a value: how long a client
// may take, which request id an answer carries, one serializer per response schema.

export interface ClientTimeouts {
  /** The request headers must be in within this. */
  headersMs: number;
  /** The whole request, headers and body, must be in within this. */
  requestMs: number;
}

/**
 * Every service's own port: Node alone waits 60 s for headers and 300 s for a request, checked
 * every 30 s, so a few slow sockets are held for minutes. A minute still carries a 5 MB avatar or
 * a large analytics batch over a slow link (the gateway sends bodies whole, at once).
 */
export const DEFAULT_CLIENT_TIMEOUTS: ClientTimeouts = { headersMs: 10_000, requestMs: 60_000 };

/** How often Node looks for requests past those timeouts (its default is 30 s). */
const TIMEOUT_CHECK_MS = 1000;

/**
 * A caller's id is kept when it is visible ASCII but `"` and `\`, 1–200 long: safe in a header,
 * a log line and a JSON body written by hand (NGINX's own answers keep the same shape).
 */
const REQUEST_ID = /^[\x21\x23-\x5b\x5d-\x7e]{1,200}$/;

/** A caller's request id is kept when it is sane; otherwise (or when absent) a new one is made. */
export function requestId(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

/** Node's timeouts for a slow client, and the answers that leave without `internalHeaders`. */
export function serverOptions(
  { headersMs, requestMs }: ClientTimeouts,
  internalHeaders: readonly string[],
) {
  // Node refuses a headers timeout longer than the request's.
  const headersTimeout = Math.min(headersMs, requestMs);
  return {
    requestTimeout: requestMs,
    http: {
      ServerResponse: responsesWithout(internalHeaders),
      headersTimeout,
      requestTimeout: requestMs,
      connectionsCheckingInterval: Math.min(TIMEOUT_CHECK_MS, headersTimeout),
      // Refused with a problem+json instead (answerWhatNodeRefuses).
      requireHostHeader: false,
    },
  };
}

/**
 * Fastify's response serializers (fast-json-stringify), one per distinct schema: the problem
 * responses every operation documents recur on each route and status, and each build generates
 * and compiles a function (milliseconds of every start). A serializer keeps no state, so apps
 * built in one process (a test file builds dozens) share them, per set of registered schemas and
 * options (app.ts calls this once).
 */
export function sharedSerializers(): SerializerFactory {
  const build = SerializerSelector();
  const byExternals = new Map<
    string,
    (route: Parameters<ReturnType<SerializerFactory>>[0]) => Serializer
  >();
  return (externalSchemas, options) => {
    const pool = JSON.stringify([externalSchemas, options]);
    const existing = byExternals.get(pool);
    if (existing) return existing;
    const known = new Map<string, Serializer>();
    const compiler = (route: Parameters<ReturnType<typeof build>>[0]) => {
      const key = JSON.stringify(route.schema);
      let serialize = known.get(key);
      if (!serialize) {
        // A compile of its own: a route schema with a registered schema's $id drops that schema
        // from the compile's externals for good, and the pool outlives the app (the next app's
        // `$ref` to it failed to build). Only the serializer is kept; a compile costs a copy.
        serialize = build(externalSchemas, options)(route);
        known.set(key, serialize);
      }
      return serialize;
    };
    byExternals.set(pool, compiler);
    return compiler;
  };
}
