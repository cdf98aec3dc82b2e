export {
  type OtlpProtocol,
  rootRatio,
  samplerProblem,
  type TracingSettings,
  TracingSettingsError,
  tracingSettings,
} from './settings.ts';

import { TRACING } from './state.ts';

/** Whether the OpenTelemetry SDK was started for this process (see register.ts). */
export const tracingActive = (): boolean => TRACING.provider !== undefined;

/** Whether incoming requests get server spans (tracing on, and `http` not disabled). */
export const serverSpansActive = (): boolean => tracingActive() && TRACING.serverSpans === true;

/**
 * Whether log lines get the active span's ids from async context (the pino instrumentation); at
 * the edge they take them from the request instead (requestLogIds, sdk.ts says why).
 */
export const edgeTracing = (): boolean => serverSpansActive() && TRACING.edge === true;

/** Sends the spans still buffered; a service calls it when it shuts down. Never throws. */
export async function flushTracing(): Promise<void> {
  await TRACING.provider?.shutdown().catch(() => {});
}

export { currentTraceContext, withLinkedSpan } from './links.ts';
export {
  inRequestContext,
  requestLogIds,
  requestSpan,
  requestTraceHeaders,
  traceServer,
} from './server.ts';
