import { type OutageLogger, outageLog } from '@platform/http';
import { pollRevocations } from './poll.ts';
import { redisRevocations } from './redis.ts';
import type { RevocationList } from './revocations.ts';
import { createVerifier, remoteKeys, type TokenVerifier } from './verifier.ts';

export interface ServiceAuthOptions {
  /** Base URL of the auth service itself, e.g. `http://127.0.0.1:8081`. */
  authUrl: string;
  /** SERVICE_TOKEN, sent to read the revocation feed (`/internal/revocations`). */
  serviceToken: string;
  issuer: string;
  audience: string;
  /** Longest accepted access token lifetime in seconds (ACCESS_TOKEN_MAX_LIFETIME). */
  maxLifetime: number;
  /** With Redis, revocations arrive by push; the feed is still read, slowly, as a backstop. */
  redisUrl?: string | undefined;
  /**
   * Least time between two feed requests that brought nothing new, without Redis (default 250
   * ms): the rhythm only against an auth that answers at once instead of holding the request.
   */
  pollIntervalMs?: number;
  /** How long auth may hold a feed request while nothing is new, in seconds (default 25). */
  feedWaitSeconds?: number;
  /**
   * Where failures to follow the feed go: debug while auth may still be starting, a warning
   * once it has been unreachable for `quietMs` (default 30 s) and this process is twice that
   * old (outageLog's `startupMs`).
   */
  log?: OutageLogger;
  quietMs?: number;
}

export interface ServiceAuth {
  verify: TokenVerifier;
  revocations: RevocationList;
  close(): Promise<void>;
}

/**
 * Least time between feed requests that brought nothing when Redis pushes (the feed, long-polled
 * as without Redis, is then only the record that catches what a Redis outage lost).
 */
const BACKSTOP_POLL_MS = 5000;

/**
 * What a service (or the gateway) needs to check access tokens: keys from the auth service's
 * JWKS and a revocation list that starts following at once. `await revocations.start()` to wait
 * for the first sync, or add `revocations.ready` as a readiness check.
 */
export function createServiceAuth(options: ServiceAuthOptions): ServiceAuth {
  const authUrl = options.authUrl.replace(/\/+$/, '');
  const { serviceToken } = options;
  const reporting = (what: string) => {
    if (!options.log) return {};
    const outage = outageLog(options.log, what, { quietMs: options.quietMs });
    return { onError: outage.failed, onSuccess: outage.succeeded };
  };
  const feed = reporting('following token revocations failed');
  const revocations = options.redisUrl
    ? backedBy(
        pollRevocations({
          authUrl,
          serviceToken,
          intervalMs: BACKSTOP_POLL_MS,
          waitSeconds: options.feedWaitSeconds,
          ...feed,
        }),
        redisRevocations({
          redisUrl: options.redisUrl,
          ...reporting('following token revocations in Redis failed'),
        }),
      )
    : pollRevocations({
        authUrl,
        serviceToken,
        intervalMs: options.pollIntervalMs ?? 250,
        waitSeconds: options.feedWaitSeconds,
        ...feed,
      });
  void revocations.start();
  const verify = createVerifier({
    keys: remoteKeys(`${authUrl}/accounts/v1/.well-known/jwks.json`),
    issuer: options.issuer,
    audience: options.audience,
    maxLifetime: options.maxLifetime,
    isRevoked: (sessionId) => revocations.isRevoked(sessionId),
  });
  return { verify, revocations, close: () => revocations.close() };
}

/**
 * A session is revoked if either list says so. The feed is the record (Redis may have lost its
 * stream), so it alone decides when the list is synced; the fast list only adds speed.
 */
function backedBy(record: RevocationList, fast: RevocationList): RevocationList {
  return {
    isRevoked: (sessionId) => fast.isRevoked(sessionId) || record.isRevoked(sessionId),
    start() {
      void fast.start();
      return record.start();
    },
    ready: () => record.ready(),
    async close() {
      await Promise.all([record.close(), fast.close()]);
    },
  };
}
