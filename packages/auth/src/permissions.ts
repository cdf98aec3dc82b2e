import { setTimeout as sleep } from 'node:timers/promises';
import { type OutageLogger, outageLog, refusal } from '@platform/http';
import type { FastifyInstance } from 'fastify';
import { SERVICE_TOKEN_HEADER, SERVICE_TOKEN_REFUSED } from './service-token.ts';

/** A permission a service checks, as its manifest (service.json) declares it. */
export interface PermissionDeclaration {
  name: string;
  description: string;
  /** The roles that hold it; auth grants it to exactly these. */
  roles: string[];
}

export interface RegisterPermissionsOptions {
  /** Base URL of the auth service itself (never through the gateway). */
  authUrl: string;
  serviceToken: string;
  /** The declaring service's name: it owns these permissions in auth. */
  service: string;
  /** Its whole set: one it declared before and leaves out is removed. */
  permissions: PermissionDeclaration[];
  /**
   * Failures are debug lines while auth may still be starting, a warning after `quietMs` (and
   * not before this process is twice that old: outageLog's `startupMs`).
   */
  log?: OutageLogger;
  quietMs?: number;
  /** The first retry waits this long (default 500 ms), each next one twice as long up to 30 s. */
  retryMs?: number;
  timeoutMs?: number;
}

export interface PermissionRegistration {
  /** Resolves once auth has accepted the declaration (or the registration was closed). */
  registered: Promise<void>;
  /** For `addReadinessCheck`: rejects until auth has accepted the declaration. */
  ready(): Promise<void>;
  close(): void;
}

const MAX_RETRY_MS = 30_000;

/**
 * Declares a service's permissions to auth (`PUT /internal/permissions/{service}`), retrying
 * until auth accepts them. Auth then grants them to the declared roles in the tokens it mints,
 * so the service that checks a permission is the one place it is defined. A service is not
 * ready before this succeeds: its callers' tokens could lack a permission it just introduced.
 */
export function registerPermissions(options: RegisterPermissionsOptions): PermissionRegistration {
  const url = `${options.authUrl.replace(/\/+$/, '')}/internal/permissions/${encodeURIComponent(options.service)}`;
  const body = JSON.stringify({ permissions: options.permissions });
  const abort = new AbortController();
  const outage =
    options.log &&
    outageLog(options.log, 'declaring permissions to auth failed', { quietMs: options.quietMs });
  let done = false;

  async function declare() {
    const res = await fetch(url, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', [SERVICE_TOKEN_HEADER]: options.serviceToken },
      body,
      signal: AbortSignal.any([abort.signal, AbortSignal.timeout(options.timeoutMs ?? 5000)]),
    });
    // A 400 or 409 names the manifest's mistake: keep auth's words for the log.
    const answer = await res.text();
    if (res.status === 401) {
      throw refusal(`auth answered 401: ${SERVICE_TOKEN_REFUSED}: ${answer.slice(0, 1000)}`);
    }
    if (!res.ok) throw new Error(`auth answered ${res.status}: ${answer.slice(0, 1000)}`);
  }

  const registered = (async () => {
    let delay = options.retryMs ?? 500;
    while (!abort.signal.aborted) {
      try {
        await declare();
        done = true;
        outage?.succeeded();
        return;
      } catch (error) {
        if (abort.signal.aborted) return;
        outage?.failed(error);
      }
      await sleep(delay, undefined, { signal: abort.signal, ref: false }).catch(() => {});
      delay = Math.min(delay * 2, MAX_RETRY_MS);
    }
  })();

  return {
    registered,
    async ready() {
      if (!done) throw new Error('permissions not declared to auth yet');
    },
    close: () => abort.abort(),
  };
}

/**
 * `registerPermissions` as part of an app's life: started with the app, its readiness check
 * `permissions`, closed with it. Every service that checks permissions starts it the same way.
 */
export function declarePermissionsOnStart(
  app: FastifyInstance,
  options: Omit<RegisterPermissionsOptions, 'log'>,
): void {
  const declared = registerPermissions({ ...options, log: app.log });
  app.addReadinessCheck('permissions', declared.ready);
  app.addHook('onClose', async () => declared.close());
}
