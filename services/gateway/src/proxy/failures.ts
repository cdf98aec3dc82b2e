export interface Failure {
  status: 502 | 503 | 504;
  detail: string;
  /** No answer came back, so an idempotent request may go to another instance. */
  retriable: boolean;
  /**
   * The instance provably did not process the request: it never reached it (no connection), or
   * it was closing and refused it before any route ran (@platform/http's closing refusal). Any
   * request, a write too, may then go to another instance, as Envoy retries a refused stream.
   */
  unprocessed?: 'unreachable' | 'closing';
  /** Passive health: the instance is taken out for a while. */
  eject: boolean;
  /** No connection (refused, or none within the connect timeout): out of panic routing too. */
  unreachable?: boolean;
}

const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);
const TIMED_OUT = new Set([
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'GATEWAY_TOTAL_TIMEOUT',
]);
/** The connection broke mid-request: an instance killed under load looks like this. */
const RESET = new Set([
  'ECONNRESET',
  'EPIPE',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  // Its pool closed between the pick and the request: it just left the DNS answer.
  'UND_ERR_DESTROYED',
]);

/**
 * The system calls of a connection already made. Linux reports EHOSTUNREACH and ENETUNREACH on an
 * established socket too (an ICMP error while it retransmits: the instance's host or network went
 * away mid-exchange), after the request was written and perhaps processed: a broken connection,
 * never proof that the request did not arrive. Only a connect or a lookup failing is.
 */
const ON_A_CONNECTION = new Set(['read', 'write', 'writev', 'shutdown']);

/** Maps what went wrong between the gateway and a service to the status a client should see. */
export function failureOf(error: unknown, service: string): Failure {
  const codes = codesOf(error);
  if (codes.includes('GATEWAY_UPSTREAM_CLOSING')) {
    return { ...unavailable(service, true), unprocessed: 'closing' };
  }
  const unreachable = codes.some((c) => UNREACHABLE.has(c));
  if (unreachable && !onAConnection(error)) {
    return { ...unavailable(service, true), unreachable: true, unprocessed: 'unreachable' };
  }
  if (codes.some((c) => TIMED_OUT.has(c))) {
    return {
      status: 504,
      detail: late(service),
      retriable: false,
      eject: true,
    };
  }
  const detail = `The ${service} service failed to answer.`;
  // A host unreachable on a connection already made (ON_A_CONNECTION) broke it, as a reset does.
  if (unreachable || codes.some((c) => RESET.has(c)))
    return { status: 502, detail, retriable: true, eject: false };
  return { status: 502, detail, retriable: false, eject: false };
}

const late = (service: string) => `The ${service} service did not answer in time.`;

export const unavailable = (service: string, eject = false): Failure => ({
  status: 503,
  detail: `The ${service} service is unavailable.`,
  retriable: true,
  eject,
});

/** The error, or one it was caused by, came from reading or writing an established connection. */
function onAConnection(error: unknown): boolean {
  let e = error as { syscall?: unknown; cause?: unknown } | undefined;
  for (let depth = 0; e && depth < 5; depth++) {
    if (typeof e.syscall === 'string' && ON_A_CONNECTION.has(e.syscall)) return true;
    e = e.cause as typeof e;
  }
  return false;
}

function codesOf(error: unknown): string[] {
  const codes: string[] = [];
  let e = error as { code?: unknown; cause?: unknown } | undefined;
  for (let depth = 0; e && depth < 5; depth++) {
    if (typeof e.code === 'string') codes.push(e.code);
    e = e.cause as typeof e;
  }
  return codes;
}
