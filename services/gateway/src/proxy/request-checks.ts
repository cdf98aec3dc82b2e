import type { FastifyRequest } from 'fastify';

/** Why a request cannot be forwarded as it is, answered by the gateway itself. */
export interface Refusal {
  status: number;
  detail: string;
}

/** RFC 3986's host (an IP literal, or a reg-name of its characters) and an optional port. */
const HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]+)(?::[0-9]*)?$/;

/**
 * A request must carry one valid Host (RFC 9112 §3.2: "MUST respond with a 400"). Node keeps the
 * first of several and takes any text, and the gateway hands what it kept to the services as
 * `X-Forwarded-Host`: two Hosts would be read one way here and another by whatever sits in
 * front (NGINX refuses a second Host too), and a Host like `a b` would reach them as a host.
 */
export function unsafeHost(request: FastifyRequest): Refusal | undefined {
  const raw = request.raw.rawHeaders;
  let hosts = 0;
  for (let i = 0; i < raw.length; i += 2)
    if (raw[i]!.length === 4 && /^host$/i.test(raw[i]!)) hosts++;
  if (hosts > 1) return { status: 400, detail: 'The request carries more than one Host header.' };
  // HTTP/1.0 may leave it out (Node refuses an HTTP/1.1 request without one). What is checked is
  // what goes on: a trusted proxy's X-Forwarded-Host when it sends one, even with no Host at all.
  if ((hosts === 1 || request.host !== '') && !HOST.test(request.host))
    return { status: 400, detail: 'The Host header is not a valid host.' };
  return undefined;
}

const DOT_SEGMENT = /(^|\/)(\.|%2e){1,2}(\/|$)/i;

/**
 * URL parsing resolves `..` (also percent-encoded) and turns `\` into `/`, so such a path could
 * leave its prefix on the way to the service and reach `/internal/*`. No API path needs them.
 */
export function unsafePath(url: string): Refusal | undefined {
  const path = url.split('?', 1)[0]!;
  try {
    decodeURIComponent(path);
  } catch {
    return { status: 400, detail: 'The request path is not validly percent-encoded.' };
  }
  if (path.includes('\\') || DOT_SEGMENT.test(path)) {
    return { status: 404, detail: `No route for ${path}.` };
  }
  return undefined;
}
