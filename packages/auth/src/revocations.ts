/**
 * Sessions revoked before their access tokens expire (logout, password change, refresh-token
 * reuse), as known to this process. Entries are dropped once their tokens have expired anyway.
 */
export interface RevocationList {
  isRevoked(sessionId: string): boolean;
  /** Begins following the feed; resolves after the first complete sync. Safe to call twice. */
  start(): Promise<void>;
  /** For `addReadinessCheck`: rejects until the first sync is done. */
  ready(): Promise<void>;
  close(): Promise<void>;
}

export interface FollowOptions {
  /** Called with each failed sync; the client keeps retrying whatever this does. */
  onError?: (error: unknown) => void;
  /** Called after each successful sync (ends an outage in an `outageLog`). */
  onSuccess?: () => void;
}

const PRUNE_EVERY_MS = 10_000;

/** Session id → when its entry stops mattering (ms since the epoch). */
export class RevocationStore {
  readonly #entries = new Map<string, number>();
  #prunedAt = Date.now();

  add(sessionId: string, expiresAt: number): void {
    if (!(expiresAt > Date.now())) return;
    this.#entries.set(sessionId, Math.max(expiresAt, this.#entries.get(sessionId) ?? 0));
  }

  has(sessionId: string): boolean {
    const expiresAt = this.#entries.get(sessionId);
    if (expiresAt === undefined) return false;
    if (expiresAt > Date.now()) return true;
    this.#entries.delete(sessionId);
    return false;
  }

  /** Cheap to call often: walks the map at most every ten seconds. */
  prune(): void {
    const now = Date.now();
    if (now - this.#prunedAt < PRUNE_EVERY_MS) return;
    this.#prunedAt = now;
    for (const [id, expiresAt] of this.#entries) if (expiresAt <= now) this.#entries.delete(id);
  }

  get size(): number {
    return this.#entries.size;
  }
}

/**
 * Runs `sync` again and again (after `delayMs`, or the delay `sync` returned, or `retryMs` when it
 * failed) until closed. A failure never escapes: a verifier must keep serving with what it knows
 * while auth is down.
 */
export function followLoop(options: {
  /** May resolve with the delay before the next round (ms); anything else means `delayMs`. */
  sync(signal: AbortSignal): Promise<unknown>;
  delayMs: number;
  retryMs: number;
  store: RevocationStore;
  onError?: ((error: unknown) => void) | undefined;
  onSuccess?: (() => void) | undefined;
  onClose?: () => void | Promise<void>;
}): RevocationList {
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let synced = false;
  let closed = false;
  let started: Promise<void> | undefined;
  let firstSync: () => void = () => {};

  async function tick() {
    let ok = true;
    let delay = options.delayMs;
    try {
      const asked = await options.sync(abort.signal);
      if (typeof asked === 'number') delay = asked;
      synced = true;
      firstSync();
      options.onSuccess?.();
    } catch (error) {
      ok = false;
      if (!closed) options.onError?.(error);
    }
    options.store.prune();
    if (closed) return;
    timer = setTimeout(tick, ok ? delay : options.retryMs);
    // The server keeps the process alive; this loop alone must not.
    timer.unref();
  }

  return {
    isRevoked: (sessionId) => options.store.has(sessionId),
    start() {
      started ??= new Promise<void>((resolve) => {
        firstSync = resolve;
        void tick();
      });
      return started;
    },
    async ready() {
      if (!synced) throw new Error('revocation list not synced yet');
    },
    async close() {
      closed = true;
      clearTimeout(timer);
      abort.abort();
      // Nobody waiting for a first sync should hang on a list that will never sync.
      firstSync();
      await options.onClose?.();
    },
  };
}
