import type { FastifyBaseLogger } from 'fastify';
import type { Counter } from 'prom-client';

/** One proxied request, in the shape analytics' `POST /internal/samples` takes. */
export interface Sample {
  service: string;
  route: string;
  method: string;
  status: number;
  duration_ms: number;
  timestamp: string;
  request_id?: string;
  user_id?: string;
  upstream?: string;
}

export interface SampleSinkOptions {
  /** Analytics' internal base URL; unset, samples are counted as dropped and go nowhere. */
  analyticsUrl: string | undefined;
  serviceToken: string | undefined;
  capacity: number;
  batchSize: number;
  flushMs: number;
  /** The gateway's samplesSent and samplesDropped (observe/metrics.ts). */
  metrics: { samplesSent: Counter; samplesDropped: Counter<'reason'> };
  log: FastifyBaseLogger;
}

export interface SampleSink {
  /** O(1) and never throws: the request path only appends to an array. */
  push(sample: Sample): void;
  /** Sends what is buffered; on close, the last samples go out before the process ends. */
  close(): Promise<void>;
}

const SEND_TIMEOUT_MS = 5000;

/**
 * A bounded buffer drained in batches by a timer, off the request path. When analytics is slow
 * or down the buffer fills and new samples are dropped (and counted) rather than held: a
 * request must never wait for, or fail because of, its own measurement.
 */
export function createSampleSink(options: SampleSinkOptions): SampleSink {
  const { metrics, log } = options;
  const target = options.analyticsUrl?.replace(/\/+$/, '');
  let buffer: Sample[] = [];
  let sending: Promise<void> | undefined;
  /** Taken from the buffer and not yet sent: still counts against the capacity. */
  let taken = 0;

  const send = async (batch: Sample[], retry = true): Promise<void> => {
    try {
      const response = await fetch(`${target}/internal/samples`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-service-token': options.serviceToken ?? '',
        },
        body: JSON.stringify({ samples: batch }),
        signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
      });
      const text = await response.text();
      if (response.ok) {
        metrics.samplesSent.inc(batch.length);
        return;
      }
      // A sample analytics cannot take is set aside; the rest of its batch is sent again, once.
      const refused = retry && response.status === 400 ? refusedItems(text, batch.length) : [];
      const rest = refused.length ? batch.filter((_, i) => !refused.includes(i)) : [];
      metrics.samplesDropped.inc({ reason: 'rejected' }, batch.length - rest.length);
      log.warn(
        { status: response.status, refused: batch.length - rest.length },
        'analytics refused performance samples',
      );
      if (rest.length) await send(rest, false);
    } catch (err) {
      metrics.samplesDropped.inc({ reason: 'unreachable' }, batch.length);
      log.warn({ err }, 'sending performance samples failed');
    }
  };

  const flush = (): Promise<void> => {
    sending ??= (async () => {
      while (buffer.length > 0) {
        // Take the whole buffer at once (new samples go to a fresh one) and send it in batches:
        // no copying of what is left after every batch.
        const pending = buffer;
        buffer = [];
        taken = pending.length;
        for (let i = 0; i < pending.length; i += options.batchSize) {
          const batch = pending.slice(i, i + options.batchSize);
          await send(batch);
          taken -= batch.length;
        }
      }
    })().finally(() => {
      sending = undefined;
    });
    return sending;
  };

  const timer = setInterval(() => void flush(), options.flushMs);
  timer.unref();

  return {
    push(sample) {
      if (!target) return metrics.samplesDropped.inc({ reason: 'disabled' });
      if (buffer.length + taken >= options.capacity)
        return metrics.samplesDropped.inc({ reason: 'full' });
      buffer.push(sample);
    },
    async close() {
      clearInterval(timer);
      if (target) await flush();
    },
  };
}

/** The indexes of the samples a 400 problem names (`samples.3.route`); none if it names none. */
function refusedItems(problem: string, size: number): number[] {
  let errors: unknown;
  try {
    errors = (JSON.parse(problem) as { errors?: unknown }).errors;
  } catch {
    return [];
  }
  if (!Array.isArray(errors)) return [];
  const named = errors.map((e) => /^samples\.(\d+)(?:\.|$)/.exec(String(e?.field))?.[1]);
  // A refusal of the whole body (no item named, or one that is not) refuses every sample.
  if (named.some((n) => n === undefined)) return [];
  return [...new Set(named.map(Number))].filter((i) => i < size);
}
