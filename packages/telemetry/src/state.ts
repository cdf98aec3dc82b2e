/** Set by register.ts once the SDK runs; what the rest of a service asks without loading it. */
export const TRACING: { provider?: { shutdown(): Promise<void> } } = {};
