import type { ServiceName } from '../config.ts';

export interface Failure {
  status: 502 | 503 | 504;
  detail: string;
  /** No response came back, so an idempotent request may go to another instance. */
  retriable: boolean;
}

const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
  'FST_REPLY_FROM_SERVICE_UNAVAILABLE',
]);
const TIMED_OUT = new Set([
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'FST_REPLY_FROM_GATEWAY_TIMEOUT',
  'FST_REPLY_FROM_TIMEOUT',
]);

/** Maps what went wrong between the gateway and a service to the status a client should see. */
export function failureOf(error: unknown, service: ServiceName): Failure {
  const codes = codesOf(error);
  if (codes.some((c) => UNREACHABLE.has(c))) {
    return { status: 503, detail: `The ${service} service is unavailable.`, retriable: true };
  }
  if (codes.some((c) => TIMED_OUT.has(c))) {
    return {
      status: 504,
      detail: `The ${service} service did not answer in time.`,
      retriable: false,
    };
  }
  return { status: 502, detail: `The ${service} service failed to answer.`, retriable: false };
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
