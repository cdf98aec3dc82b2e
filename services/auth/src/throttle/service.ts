import { setTimeout as sleep } from 'node:timers/promises';
import { addressBlock, problems } from '@platform/http';
import type { FastifyBaseLogger } from 'fastify';
import { Counter, type Registry } from 'prom-client';
import type { Db } from '../db/index.ts';
import {
  attemptsOf,
  clearJudgedAttempts,
  countAttempt,
  countPendingAttempt,
  type KeyAttempts,
  lockedFor,
  settleAttempt,
  uncountAttempt,
  type Window,
} from './repository.ts';

export interface ThrottleLimits {
  /** Failures per account from one address: what a guesser meets first. */
  perAccountAddress: number;
  /** Failures per account from all addresses together: the ceiling for distributed guessing. */
  perAccount: number;
  /** Failures per address over all accounts: one address trying many accounts. */
  perAddress: number;
  windowSeconds: number;
  /**
   * How long an attempt refused only by attempts still being checked waits for their verdict
   * (milliseconds; a password check takes tens of them, more under load).
   */
  settleMs: number;
}

export type ThrottleScope = 'account_address' | 'account' | 'address';

/** The key of the per-account count of `account` (what pruning keeps for a ceiling's window). */
export const accountKey = (account: string) => `account:${account}`;

/** Another per-account ceiling than the throttle's own, for one kind of attempt (codes). */
export interface AccountCeiling {
  limit: number;
  windowSeconds: number;
}
export interface Refusal {
  scope: ThrottleScope;
  retryAfter: number;
  /**
   * The lock is one the account's known address is spared from: the check goes ahead, and only
   * a wrong answer is refused with it (see `check`).
   */
  spared?: true;
}

/**
 * One attempt `check` answered: refused, or counted and waiting for its verdict. Each verdict
 * comes to the window of each key the attempt was counted in, and to no later one.
 */
export interface Attempt {
  /**
   * The lock that refuses it (nothing was counted then), or one it is spared from (`spared`: a
   * wrong answer is refused with it). None: it goes ahead.
   */
  refusal?: Refusal;
  /** A wrong password or code: `check` counted it already; it is judged now. */
  recordFailure(): Promise<void>;
  /**
   * A success takes back what `check` counted for it, and clears the count of this account from
   * this address: the wrong answers judged there, not attempts still being checked beside it
   * (they stay counted until their verdict). The per-account count stays, so signing in now and
   * then does not give a distributed guesser a fresh allowance, and so does the address's: one
   * good password from an attacker's address must not reset it.
   */
  recordSuccess(): Promise<void>;
  /**
   * Ended neither right nor wrong (a code check refused for another reason: MFA already on, no
   * enrolment, the challenge spent by a request beside it): what `check` counted is taken back,
   * as for a right one, and nothing is cleared. Counted as a failure, five retried 409s locked
   * the owner's own code sign-in at their address. Never throws (the caller is answering with
   * the reason it was refused): a take-back that fails is logged.
   */
  release(): Promise<void>;
}

/**
 * Failed password checks (sign-in and re-authentication), counted per account and address, per
 * account and per address. An attacker's failures lock out only the attacker's address: the
 * owner signing in from elsewhere is unaffected. Guesses spread over many addresses reach the
 * per-account ceiling, and one address trying many accounts reaches the address limit; both
 * refuse everyone except accounts that have signed in from that address before, so an owner
 * keeps access from a known place, also when it shares its address with the attacker (an office,
 * a carrier's NAT). There the per-account-and-address limit still holds. Unknown accounts are
 * counted like real ones: a lockout must not reveal which emails exist.
 */
export function createLoginThrottle(
  db: Db,
  limits: ThrottleLimits,
  registry: Registry,
  log: Pick<FastifyBaseLogger, 'warn'>,
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
  // An address never contains "|", so the pair key cannot be read two ways.
  const { windowSeconds } = limits;
  const keys = (account: string, client: string, ceiling?: AccountCeiling) => {
    const address = addressBlock(client);
    return [
      {
        key: `account-address:${account}|${address}`,
        limit: limits.perAccountAddress,
        windowSeconds,
        scope: 'account_address',
      },
      {
        key: accountKey(account),
        limit: ceiling?.limit ?? limits.perAccount,
        windowSeconds: ceiling?.windowSeconds ?? windowSeconds,
        scope: 'account',
      },
      { key: `address:${address}`, limit: limits.perAddress, windowSeconds, scope: 'address' },
    ] as const;
  };

  type Scopes = ReturnType<typeof keys>;
  /** A key an attempt was counted under, and the window it was counted in. */
  type Counted = Scopes[number] & { window: Window };
  const settlePollMs = Math.max(5, Math.min(50, limits.settleMs / 10));

  /**
   * Whether the verdicts of attempts still being checked under a refusing key could let this one
   * in: only if, were they all right (each taking its count back), the count would be below the
   * limit (or a verdict already lifted the lock). Otherwise the wrong ones already judged hold it,
   * and waiting for the rest only held the refused request (3 s, polling PostgreSQL) to refuse it
   * anyway: a guesser's every guess at an office address whose colleagues keep signing in there
   * (spared, and pending under the address key meanwhile).
   */
  const verdictsCouldLift = (state: KeyAttempts | undefined, limit: number) =>
    !!state && state.pending > 0 && (state.wait === 0 || state.failures - state.pending < limit);

  /**
   * Resolves once the lock of `key` is gone or its verdicts can no longer lift it (none pending,
   * or wrong ones hold it), or at `deadline`.
   */
  async function settled({ key, limit }: Scopes[number], deadline: number) {
    while (Date.now() < deadline) {
      await sleep(settlePollMs);
      const state = (await attemptsOf(db, [key], limits.settleMs)).get(key);
      if (!state?.wait || !verdictsCouldLift(state, limit)) return;
    }
  }

  async function attempt(
    scopes: Scopes,
    knownAddress: () => Promise<boolean>,
  ): Promise<{ refusal?: Refusal; pendingAhead?: boolean; counted?: Counted[] }> {
    const state = await attemptsOf(
      db,
      scopes.map((s) => s.key),
      limits.settleMs,
    );
    let refusal: Refusal | undefined;
    let spared: Refusal | undefined;
    // Worth waiting only if every lock refusing it could be lifted by verdicts to come: one that
    // wrong answers already hold refuses it whatever they are (the longest lock is the answer).
    let held = false;
    for (const { key, scope, limit } of scopes) {
      const wait = state.get(key)?.wait ?? 0;
      if (wait === 0) continue;
      if (scope !== 'account_address' && (await knownAddress())) {
        if (wait > (spared?.retryAfter ?? 0)) spared = { scope, retryAfter: wait, spared: true };
        continue;
      }
      if (!verdictsCouldLift(state.get(key), limit)) held = true;
      if (wait > (refusal?.retryAfter ?? 0)) refusal = { scope, retryAfter: wait };
    }
    if (refusal) return { refusal, pendingAhead: !held };
    // The attempt is counted now, as a failure until recordSuccess takes it back: counted only
    // once its password or code had been found wrong, 40 guesses sent at once all passed the
    // check above before the first was counted (a limit of 5 let 40 through, or as many as the
    // gateway's login limit). One statement per key orders them: past a limit, the rest wait.
    const counted: Counted[] = [];
    try {
      for (const scope of scopes) {
        const { failures: count, window } = await countPendingAttempt(
          db,
          scope.key,
          scope.limit,
          scope.windowSeconds,
        );
        counted.push({ ...scope, window });
        if (count <= scope.limit) continue;
        const wait = (await lockedFor(db, [scope.key])).get(scope.key) ?? scope.windowSeconds;
        if (scope.scope !== 'account_address' && (await knownAddress())) {
          spared ??= { scope: scope.scope, retryAfter: wait, spared: true };
          continue;
        }
        // Refused, as the lock the attempts ahead of it set refuses the next: not counted. A
        // take-back that fails is logged and the next goes on (thrown, it left the keys after it
        // counted, and turned the 429 into a 500).
        for (const counts of counted.splice(0)) await takeBack(counts);
        const ahead = (await attemptsOf(db, [scope.key], limits.settleMs)).get(scope.key);
        return {
          refusal: { scope: scope.scope, retryAfter: wait },
          // A lock already lifted since it was counted (a right answer took its count back): look
          // again.
          pendingAhead: !ahead?.wait || verdictsCouldLift(ahead, scope.limit),
        };
      }
    } catch (error) {
      // Failed before any verdict (knownAddress's query, a statement): what was counted is
      // taken back. Left pending (and counted), refusals on these keys waited for a verdict that
      // never comes.
      for (const counts of counted) await takeBack(counts);
      throw error;
    }
    return spared ? { refusal: spared, counted } : { counted };
  }

  /**
   * Takes back what an attempt counted under one key, on the way out of a request that failed or
   * was refused for another reason: a failure here must not replace that answer. Not taken back,
   * the count stays a failure and its pending mark holds refusals until it ages out
   * (`settleMs`), so it is logged (the error without its bound values: a key holds what was
   * typed as the login).
   */
  const takeBack = ({ key, limit, window, scope }: Counted) =>
    uncountAttempt(db, key, limit, window).catch((err: unknown) => {
      log.warn({ err, scope }, 'taking back a sign-in attempt failed');
    });

  /**
   * What `check` counted for one attempt, to be judged by one of the three: `check` counts an
   * attempt before its password or code is checked, and the verdict settles or takes back what
   * that attempt counted.
   */
  const judged = (counted: Counted[], refusal?: Refusal): Attempt => ({
    ...(refusal ? { refusal } : {}),
    async recordFailure() {
      failures.inc();
      for (const { key, window } of counted) await settleAttempt(db, key, window);
    },
    async recordSuccess() {
      // The keys the failures were counted under: the address's block (its IPv6 /64), not the
      // address as written, or a success from IPv6 cleared nothing.
      for (const { key, limit, window, scope } of counted) {
        if (scope === 'account_address') await clearJudgedAttempts(db, key, limit, window);
        else await uncountAttempt(db, key, limit, window);
      }
    },
    async release() {
      for (const counts of counted) await takeBack(counts);
    },
  });
  const nothingCounted = async () => {};

  /**
   * An attempt refused by the account's or the address's lock counts as a wrong one under each
   * key, as one spared from that lock does (checked, and answered with its 429). Counted
   * nowhere, an unknown email at a locked address was refused with the address's lock forever,
   * while an account that signed in there met its own lock after five wrong passwords: a 429
   * without the hashing time and with a whole window's Retry-After told whoever shared the
   * address which emails exist and sign in from there. A refusal by the account's own lock at
   * the address spares nobody, and counts nothing. A count that fails is logged, not answered.
   */
  async function countRefused(scopes: Scopes) {
    for (const { key, limit, scope, windowSeconds } of scopes) {
      await countAttempt(db, key, limit, windowSeconds).catch((err: unknown) => {
        log.warn({ err, scope }, 'counting a refused sign-in attempt failed');
      });
    }
  }

  return {
    /**
     * Counts an attempt under its keys, or refuses it (refused by the per-account ceiling or the
     * address limit, it is counted as a wrong one: `countRefused`). `knownAddress` says whether
     * the account has signed in from this address before; it is asked only when the per-account
     * ceiling or the address limit is reached. The answer's `refusal` is the scope that refuses it and for
     * how long (none: it may go ahead). When `knownAddress` spares it, the refusal is marked
     * `spared`: the caller checks the password or code, lets a right one through and answers a
     * wrong one with this same 429, never its usual 401 — otherwise a locked address tells
     * whoever shares it which emails exist and signed in from there (a 401) and which do not (a
     * 429). An attempt that goes ahead (spared or not) is judged by exactly one of its methods.
     * `ceiling` replaces the per-account ceiling and its window for one kind of attempt (codes).
     */
    async check(
      account: string,
      address: string,
      knownAddress: () => Promise<boolean>,
      ceiling?: AccountCeiling,
    ): Promise<Attempt> {
      const scopes = keys(account, address, ceiling);
      // Refused only because attempts ahead of it are still being checked (a lock their count
      // set, which a right answer takes back), an attempt waits for them to be judged and looks
      // again: otherwise six right passwords sent at once met a limit of five and one got a 429.
      // Wrong ones keep their lock, and those waiting are refused as before.
      const deadline = Date.now() + limits.settleMs;
      for (;;) {
        const { refusal, pendingAhead, counted } = await attempt(scopes, knownAddress);
        if (refusal && !refusal.spared && pendingAhead && Date.now() < deadline) {
          await settled(scopes.find((s) => s.scope === refusal.scope)!, deadline);
          continue;
        }
        if (refusal && !refusal.spared) {
          throttled.inc({ scope: refusal.scope });
          if (refusal.scope !== 'account_address') await countRefused(scopes);
          return {
            refusal,
            recordFailure: nothingCounted,
            recordSuccess: nothingCounted,
            release: nothingCounted,
          };
        }
        return judged(counted ?? [], refusal);
      }
    },
  };
}

export type LoginThrottle = ReturnType<typeof createLoginThrottle>;

/** The 429 for a refused attempt; the same body whatever the scope, so it reveals nothing. */
export const tooManyFailures = (refusal: Refusal) =>
  problems.tooManyRequests(refusal.retryAfter, 'Too many failed sign-ins; try again later.');
