import { eq, inArray, sql } from 'drizzle-orm';
import { Counter } from 'prom-client';
import type { Db } from '../db/index.ts';
import { loginFailures } from '../db/schema.ts';

export interface ThrottleLimits {
  perAccount: number;
  perAddress: number;
  windowSeconds: number;
}

/**
 * Counts failed sign-ins per account and per client address in PostgreSQL, so every replica
 * sees the same counts. Unknown accounts are counted like real ones: a lockout must not reveal
 * which emails exist.
 */
export function createLoginThrottle(
  db: Db,
  limits: ThrottleLimits,
  registry: import('prom-client').Registry,
) {
  const failures = new Counter({
    name: 'auth_login_failures_total',
    help: 'Failed sign-in attempts',
    registers: [registry],
  });
  const throttled = new Counter({
    name: 'auth_login_throttled_total',
    help: 'Sign-in attempts refused because of too many failures',
    labelNames: ['scope'] as const,
    registers: [registry],
  });
  const keys = (account: string, address: string) =>
    [
      { key: `account:${account}`, limit: limits.perAccount, scope: 'account' },
      { key: `address:${address}`, limit: limits.perAddress, scope: 'address' },
    ] as const;

  return {
    /** The scope that is locked and for how many seconds, or undefined when the caller may try. */
    async check(
      account: string,
      address: string,
    ): Promise<{ scope: 'account' | 'address'; retryAfter: number } | undefined> {
      const rows = await db
        .select()
        .from(loginFailures)
        .where(inArray(loginFailures.key, [`account:${account}`, `address:${address}`]));
      let refusal: { scope: 'account' | 'address'; retryAfter: number } | undefined;
      for (const { key, scope } of keys(account, address)) {
        const until = rows.find((r) => r.key === key)?.lockedUntil?.getTime() ?? 0;
        const wait = Math.ceil((until - Date.now()) / 1000);
        if (wait > 0 && wait > (refusal?.retryAfter ?? 0)) refusal = { scope, retryAfter: wait };
      }
      if (refusal) throttled.inc({ scope: refusal.scope });
      return refusal;
    },

    async recordFailure(account: string, address: string): Promise<void> {
      failures.inc();
      const window = limits.windowSeconds;
      for (const { key, limit } of keys(account, address)) {
        // One statement: start a new window when the old one has passed, else count, and lock
        // until the window's end once the limit is reached.
        await db.execute(sql`
          insert into login_failures (key, failures, window_started_at, locked_until)
          values (${key}, 1, now(),
                  case when 1 >= ${limit} then now() + make_interval(secs => ${window}) end)
          on conflict (key) do update set
            failures = case when login_failures.window_started_at < now() - make_interval(secs => ${window})
                            then 1 else login_failures.failures + 1 end,
            window_started_at = case when login_failures.window_started_at < now() - make_interval(secs => ${window})
                            then now() else login_failures.window_started_at end,
            locked_until = case
              when login_failures.window_started_at >= now() - make_interval(secs => ${window})
                   and login_failures.failures + 1 >= ${limit}
              then now() + make_interval(secs => ${window})
              else login_failures.locked_until end`);
      }
    },

    /** A success clears the account's count (not the address's: one good password from an attacker's address must not reset it). */
    async recordSuccess(account: string): Promise<void> {
      await db.delete(loginFailures).where(eq(loginFailures.key, `account:${account}`));
    },
  };
}

export type LoginThrottle = ReturnType<typeof createLoginThrottle>;
