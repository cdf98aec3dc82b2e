import { Agent, getGlobalDispatcher, setGlobalDispatcher } from 'undici';

/**
 * How long a service keeps an outgoing connection idle before it closes it itself: 1 s, as the
 * gateway does with its upstreams (UPSTREAM_IDLE_MS). A server ends a kept-alive connection once
 * it has been quiet for its own time (a closing @platform/http service after IDLE_GRACE_MS, 2 s;
 * Fastify after 72 s; Node's default 5 s, a webhook receiver's perhaps; InfluxDB 1.11 never, but
 * a proxy in front of it may); a request written on it at that moment fails with no answer
 * ("other side closed", ECONNRESET), and a POST cannot be sent again, as it may have run.
 * Dropping the connection first, with a second of margin for the event loop, leaves the client
 * nothing to write on a closing one.
 * Whatever a server's Keep-Alive hint says (Fastify's 72 s): the hint is the open server's, not
 * the closing one's. A connection in use is never idle this long; one call after a quiet second
 * opens a new connection.
 */
export const OUTGOING_IDLE_MS = 1000;

/**
 * Marks a global dispatcher that already keeps to the rule (a test process's, shorter still:
 * scripts/test-preload.ts), which keepOutgoingIdleShort then leaves in place.
 */
export const KEEPS_IDLE_SHORT = Symbol.for('platform.keepsOutgoingIdleShort');

/** A dispatcher that keeps to OUTGOING_IDLE_MS (or less, for tests of the races). */
export function outgoingDispatcher(idleMs = OUTGOING_IDLE_MS): Agent {
  const agent = new Agent({ keepAliveTimeout: idleMs, keepAliveMaxTimeout: idleMs });
  return Object.assign(agent, { [KEEPS_IDLE_SHORT]: true });
}

/**
 * Makes the process's default dispatcher keep to OUTGOING_IDLE_MS: every `fetch` (the outbox
 * relay, JWKS through jose, the revocation feed, permissions, webhooks, the gateway's samples and
 * documents) and every undici `request` without a dispatcher of its own (InfluxDB) use it: the
 * dispatcher is looked up on each call. createApp calls it, so every service process has it.
 */
export function keepOutgoingIdleShort(): void {
  const current = getGlobalDispatcher() as Partial<Record<typeof KEEPS_IDLE_SHORT, boolean>>;
  if (current[KEEPS_IDLE_SHORT]) return;
  setGlobalDispatcher(outgoingDispatcher());
}
