import type { App } from '@platform/http';
import { sql } from 'drizzle-orm';
import type { AuthContext } from '../context.ts';
import { pruneAttempts } from '../throttle/repository.ts';

const PRUNE_INTERVAL_MS = 10 * 60_000;

/** Deletes what no request can need any more; returns how many rows each table lost. */
export async function pruneExpired(ctx: Pick<AuthContext, 'db' | 'config'>) {
  const count = async (query: ReturnType<typeof sql>) =>
    (await ctx.db.execute(query)).rowCount ?? 0;
  return {
    revocations: await count(sql`delete from revocations where expires_at < now()`),
    // Spent tokens are kept to detect reuse, which stops mattering once the session has expired.
    refreshTokens: await count(sql`
      delete from refresh_tokens where spent_at is not null
        and session_id in (select id from sessions where expires_at < now())`),
    loginFailures: await pruneAttempts(ctx.db, ctx.config.LOGIN_FAILURE_WINDOW),
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
