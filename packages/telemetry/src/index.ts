export {
  type OtlpProtocol,
  type TracingSettings,
  TracingSettingsError,
  tracingSettings,
} from './settings.ts';

import { TRACING } from './state.ts';

/** Whether the OpenTelemetry SDK was started for this process (see register.ts). */
export const tracingActive = (): boolean => TRACING.provider !== undefined;

/** Sends the spans still buffered; a service calls it when it shuts down. Never throws. */
export async function flushTracing(): Promise<void> {
  await TRACING.provider?.shutdown().catch(() => {});
}

export { currentTraceContext, recordingTrace, withLinkedSpan } from './links.ts';
