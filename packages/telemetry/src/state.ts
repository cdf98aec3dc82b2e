/** Set by register.ts once the SDK runs; what the rest of a service asks without loading it. */
// On globalThis: a test's compiled bundle carries its own copy of this module, and the state set by
// the register module loaded before it must be the one the bundle reads.
const KEY = Symbol.for('@platform/telemetry');
type State = {
  provider?: { shutdown(): Promise<void> };
  /** Server spans for incoming requests (OTEL_NODE_DISABLED_INSTRUMENTATIONS=http turns them off). */
  serverSpans?: boolean;
  /** The process faces clients (the gateway): it trusts nothing of their trace context but the id. */
  edge?: boolean;
};
const shared = globalThis as Record<symbol, State | undefined>;
shared[KEY] ??= {};
export const TRACING: State = shared[KEY];
