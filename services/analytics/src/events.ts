// The event and the request sample as the service accepts them: what ingestion queues, the stores
// write and the destinations send (shared, so no feature imports another for them).
/** An event the service has durably accepted (queued), as destinations and stores receive it. */
export interface AcceptedEvent {
  /** Globally unique: a generated UUID for tracked events, `<service>:<id>` for domain events. */
  id: string;
  /** The event name, e.g. `page.viewed` or `user.registered`. */
  event: string;
  /** `client` for `/track-event`, otherwise the producing service (`auth`, `main`). */
  source: string;
  /** From the verified access token (or the producing service), never from a client's body. */
  userId: string | null;
  anonymousId: string | null;
  properties: Record<string, unknown>;
  /** ISO 8601 UTC, millisecond precision. */
  timestamp: string;
}

/** A request the gateway served, as `/internal/samples` receives it. */
export interface Sample {
  service: string;
  route: string;
  method: string;
  status: number;
  durationMs: number;
  /** ISO 8601 UTC. */
  timestamp: string;
  requestId: string | null;
  userId: string | null;
  upstream: string | null;
}
