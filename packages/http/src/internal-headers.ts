import { type IncomingMessage, type OutgoingHttpHeaders, ServerResponse } from 'node:http';

/**
 * Set on a response to the one internal header it may carry (closing.ts sets it on a closing
 * refusal's 503 for CLOSING_REFUSAL_HEADER).
 */
export const mayCarry = Symbol('mayCarry');

type RawHeaders = OutgoingHttpHeaders | readonly unknown[] | undefined;

/** `headers` without `name` (any case), the same object when it has none. */
function without(headers: RawHeaders, name: string): RawHeaders {
  if (!headers) return headers;
  if (Array.isArray(headers)) {
    // Node takes `[name, value, name, value…]` or `[[name, value]…]`.
    if (Array.isArray(headers[0])) {
      const pairs = headers as readonly [unknown, unknown][];
      const kept = pairs.filter(([key]) => String(key).toLowerCase() !== name);
      return kept.length === pairs.length ? headers : kept;
    }
    let out: unknown[] | undefined;
    for (let i = 0; i < headers.length; i += 2) {
      if (String(headers[i]).toLowerCase() === name) out ??= headers.slice(0, i);
      else out?.push(headers[i], headers[i + 1]);
    }
    return out ?? headers;
  }
  const object = headers as OutgoingHttpHeaders;
  let out: OutgoingHttpHeaders | undefined;
  for (const key in object) {
    if (key.length !== name.length || key.toLowerCase() !== name) continue;
    out ??= { ...object };
    delete out[key];
  }
  return out ?? object;
}

/**
 * The responses of an app's server, which never write a head carrying one of `internal` (headers
 * meant for the gateway alone) unless the response was marked to (`mayCarry`). Stripped in
 * writeHead, which every way of sending a head goes through (Fastify's reply, a hijacked reply's
 * or a hook's raw writeHead with headers as an object or an array, setHeader then write or end,
 * flushHeaders): an onSend hook sees only Fastify's reply, and a route that wrote its own head
 * with the closing refusal's mark (copying a service's answer) had the gateway resend its request
 * to another instance, a write too.
 */
export function responsesWithout(internal: readonly string[]) {
  return class GuardedResponse<
    Request extends IncomingMessage = IncomingMessage,
  > extends ServerResponse<Request> {
    [mayCarry]?: string;

    override writeHead(status: number, ...rest: unknown[]): this {
      const reason = typeof rest[0] === 'string' ? rest[0] : undefined;
      let headers = (reason === undefined ? rest[0] : rest[1]) as RawHeaders;
      for (const name of internal) {
        if (this[mayCarry] === name) continue;
        if (this.hasHeader(name)) this.removeHeader(name);
        headers = without(headers, name);
      }
      return reason === undefined
        ? super.writeHead(status, headers as OutgoingHttpHeaders)
        : super.writeHead(status, reason, headers as OutgoingHttpHeaders);
    }
  };
}
