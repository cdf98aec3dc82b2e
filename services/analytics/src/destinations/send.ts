import type { Destination } from './config.ts';
import { signatureHeaders } from './signature.ts';

export type SendResult =
  | { ok: true }
  /** `permanent`: sending the same body again cannot help (the receiver refused it as such). */
  | { ok: false; error: string; permanent: boolean; retryAfterMs?: number };

const USER_AGENT = 'microservice-template-analytics/1 (+webhook)';
// Statuses a receiver uses for "later": everything else in 4xx says the request itself is wrong.
const TRANSIENT_4XX = new Set([408, 409, 425, 429]);

/**
 * POSTs one Segment-style call, signed, and classifies the answer. Redirects are not followed:
 * the configured URL is the only place a signed body goes.
 */
export async function send(
  destination: Destination,
  payload: Record<string, unknown>,
  options: { timeoutMs: number; attempt: number },
): Promise<SendResult> {
  const body = JSON.stringify({ ...payload, sentAt: new Date().toISOString() });
  let response: Response;
  try {
    response = await fetch(destination.url, {
      method: 'POST',
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(options.timeoutMs),
      headers: {
        'content-type': 'application/json',
        'user-agent': USER_AGENT,
        'x-delivery-attempt': String(options.attempt),
        ...signatureHeaders(destination.secret, body),
      },
    });
  } catch (error) {
    return { ok: false, error: networkError(error), permanent: false };
  }
  await discardBody(response);
  if (response.status >= 200 && response.status < 300) return { ok: true };
  const error = `HTTP ${response.status}`;
  const retryAfterMs = retryAfter(response.headers.get('retry-after'));
  const permanent =
    response.status >= 300 && response.status < 500 && !TRANSIENT_4XX.has(response.status);
  return { ok: false, error, permanent, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
}

/** What a receiver's answer is read of at most; nothing of it is kept. */
const MAX_DRAINED_BYTES = 64 * 1024;

/**
 * Reads and drops the answer so a short one leaves the connection in the pool; a longer one is
 * cut off. Buffering it (arrayBuffer) let a receiver answering 200 with gigabytes take the
 * service's memory, and its deliveries, unmarked, came back after the restart.
 */
async function discardBody(response: Response): Promise<void> {
  const reader = response.body?.getReader();
  if (!reader) return;
  let read = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      read += value.byteLength;
      if (read > MAX_DRAINED_BYTES) {
        await reader.cancel();
        return;
      }
    }
  } catch {
    // A body cut short (a reset, the timeout) says nothing about the delivery: the status did.
  }
}

function networkError(error: unknown): string {
  if (error instanceof Error && error.name === 'TimeoutError') return 'timed out';
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : 'failed');
}

function retryAfter(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
