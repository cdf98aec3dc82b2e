import {
  context,
  type Link,
  propagation,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { TRACING } from './state.ts';

/**
 * The active span's W3C `traceparent`, to store with work done later (an outbox row, a queued
 * item); null when tracing is off or nothing is traced, so it costs nothing then.
 */
export function currentTraceContext(): string | null {
  if (!TRACING.provider) return null;
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent ?? null;
}

/**
 * Whether the work under way is being traced (its span is sampled and recorded): a cache that
 * could answer it alone lets it through instead, so its trace shows the whole path.
 */
export function recordingTrace(): boolean {
  if (!TRACING.provider) return false;
  return trace.getActiveSpan()?.isRecording() ?? false;
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;
/** Links per span at most (the SDK's default attribute-count limit is 128). */
const MAX_LINKS = 128;

/**
 * Runs `work` in a span of its own (a new trace: the work serves many requests at once) linked
 * to each request that caused it, by the trace contexts stored with the items. Without tracing,
 * just runs `work`.
 */
export async function withLinkedSpan<T>(
  name: string,
  stored: readonly (string | null | undefined)[],
  attributes: Record<string, string | number>,
  work: () => Promise<T>,
): Promise<T> {
  if (!TRACING.provider) return work();
  const links: Link[] = [];
  for (const value of new Set(stored)) {
    const match = value ? TRACEPARENT.exec(value) : null;
    if (!match || links.length >= MAX_LINKS) continue;
    links.push({
      context: { traceId: match[1]!, spanId: match[2]!, traceFlags: 1, isRemote: true },
    });
  }
  const tracer = trace.getTracer('@platform/telemetry');
  return tracer.startActiveSpan(
    name,
    { kind: SpanKind.PRODUCER, root: true, links, attributes },
    async (span) => {
      try {
        return await work();
      } catch (error) {
        span.recordException(error as Error);
        span.setStatus({ code: SpanStatusCode.ERROR });
        throw error;
      } finally {
        span.end();
      }
    },
  );
}
