import type { App } from '@platform/http';
import { pruneAudit } from '../audit/service.ts';
import type { AuthContext } from '../context.ts';
import { pruneOidc } from '../oidc/repository.ts';
import { pruneChallenges as prunePasskeyChallenges } from '../passkeys/repository.ts';
import { pruneChallenges } from '../second-factor/repository.ts';
import { CODE_ACCOUNTS } from '../second-factor/service.ts';
import { pruneRevocations } from '../sessions/feed-repository.ts';
import { pruneSpentRefreshTokens } from '../sessions/repository.ts';
import { pruneAttempts } from '../throttle/repository.ts';
import { accountKey } from '../throttle/service.ts';

const PRUNE_INTERVAL_MS = 10 * 60_000;

/** Deletes what no request can need any more; returns how many rows each table lost. */
export async function pruneExpired(ctx: Pick<AuthContext, 'db' | 'config'>) {
  return {
    revocations: await pruneRevocations(ctx.db),
    refreshTokens: await pruneSpentRefreshTokens(ctx.db),
    loginFailures: await pruneAttempts(ctx.db, ctx.config.LOGIN_FAILURE_WINDOW, {
      keyPrefix: accountKey(CODE_ACCOUNTS),
      windowSeconds: ctx.config.MFA_FAILURE_WINDOW,
    }),
    oidcFlows: await pruneOidc(ctx.db),
    passkeyChallenges: await prunePasskeyChallenges(ctx.db),
    auditEvents: await pruneAudit(ctx),
    mfaChallenges: await pruneChallenges(ctx.db),
  };
}

/** Every replica prunes; the deletes are idempotent, so running them twice costs only a query. */
export function schedulePruning(app: App, ctx: AuthContext) {
  const timer = setInterval(() => {
    pruneExpired(ctx).then(
      (deleted) => app.log.debug({ deleted }, 'pruned expired rows'),
      (err: unknown) => app.log.error({ err }, 'pruning expired rows failed'),
    );
  }, PRUNE_INTERVAL_MS).unref();
  app.addHook('onClose', async () => clearInterval(timer));
}
