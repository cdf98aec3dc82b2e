import type { App } from '@platform/http';
import type { FastifyBaseLogger } from 'fastify';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Executor } from '../db/index.ts';
import { SealError, type Sealer } from '../keys/sealing.ts';
import { secretContext } from '../second-factor/service.ts';
import {
  countNotUnder,
  replaceSealed,
  SEALED_COLUMNS,
  type SealedTable,
  sealedNotUnder,
} from './repository.ts';

/** The authenticated context each table's values were sealed with. */
const CONTEXT: Record<SealedTable, (id: string) => string> = {
  signing_keys: (kid) => kid,
  totp_factors: secretContext,
};

const TABLES = Object.keys(SEALED_COLUMNS) as SealedTable[];

export interface ResealReport {
  /** Values this pass sealed again under the current key. */
  resealed: number;
  /** Values still not under the current key after the pass (the unopenable ones included). */
  pending: Record<SealedTable, number>;
  /** Values no configured key opens: where they are, never what. */
  unopenable: { table: SealedTable; id: string }[];
}

export interface ResealMetrics {
  pending: Gauge<'table'>;
  unopenable: Gauge<'table'>;
  resealed: Counter;
}

/** What an operator watches during a KEY_ENCRYPTION_KEY rotation (docs/auth.md). */
export function resealMetrics(registry: Registry): ResealMetrics {
  return {
    pending: new Gauge({
      name: 'auth_sealed_values_pending',
      help: 'Sealed values not yet under the current KEY_ENCRYPTION_KEY, as of the last re-seal pass; 0 everywhere: KEY_ENCRYPTION_KEY_PREVIOUS can go',
      labelNames: ['table'] as const,
      registers: [registry],
    }),
    unopenable: new Gauge({
      name: 'auth_sealed_values_unopenable',
      help: 'Sealed values no configured key-encryption key opens, as of the last re-seal pass',
      labelNames: ['table'] as const,
      registers: [registry],
    }),
    resealed: new Counter({
      name: 'auth_sealed_values_resealed_total',
      help: 'Sealed values this process sealed again under the current KEY_ENCRYPTION_KEY',
      registers: [registry],
    }),
  };
}

/**
 * Seals every value not under the current key again under it, `batchSize` rows at a time. Each
 * row is replaced by compare-and-set on its old sealed text, so two replicas running this at
 * once (or a user changing the row meanwhile) lose nothing: the second writer simply misses.
 * Values that open under no configured key are left as they are and reported.
 */
export async function resealAll(
  db: Executor,
  sealer: Sealer,
  options: { batchSize?: number; metrics?: ResealMetrics } = {},
): Promise<ResealReport> {
  const batchSize = options.batchSize ?? 100;
  const prefix = sealer.currentPrefix;
  const report: ResealReport = {
    resealed: 0,
    pending: { signing_keys: 0, totp_factors: 0 },
    unopenable: [],
  };
  for (const table of TABLES) {
    let after: string | undefined;
    for (;;) {
      const rows = await sealedNotUnder(db, table, prefix, after, batchSize);
      for (const row of rows) {
        let plaintext: string;
        try {
          plaintext = sealer.open(row.sealed, CONTEXT[table](row.id));
        } catch (error) {
          if (!(error instanceof SealError)) throw error;
          report.unopenable.push({ table, id: row.id });
          continue;
        }
        const to = sealer.seal(plaintext, CONTEXT[table](row.id));
        if (await replaceSealed(db, table, row.id, row.sealed, to)) {
          report.resealed += 1;
          options.metrics?.resealed.inc();
        }
      }
      if (rows.length < batchSize) break;
      after = rows.at(-1)!.id;
    }
    report.pending[table] = await countNotUnder(db, table, prefix);
    options.metrics?.pending.set({ table }, report.pending[table]);
    options.metrics?.unopenable.set(
      { table },
      report.unopenable.filter((u) => u.table === table).length,
    );
  }
  return report;
}

/** Logs a pass: counts always, and where the unopenable values are (table and row id only). */
export function logReport(log: FastifyBaseLogger, report: ResealReport) {
  const pending = Object.values(report.pending).reduce((a, b) => a + b, 0);
  if (report.resealed > 0 || pending > 0) {
    log.info(
      { resealed: report.resealed, pending: report.pending },
      `re-sealed ${report.resealed} values under the current KEY_ENCRYPTION_KEY`,
    );
  }
  if (report.unopenable.length > 0) {
    log.error(
      { unopenable: report.unopenable },
      `${report.unopenable.length} sealed values open under no configured key (KEY_ENCRYPTION_KEY, KEY_ENCRYPTION_KEY_PREVIOUS); left as they are`,
    );
  }
}

const RESEAL_INTERVAL_MS = 60 * 60_000;

/**
 * Every replica runs a pass shortly after start and then hourly (a replica still on the old key
 * during a rolling deploy may seal new values under it). A failing pass is logged, never fatal.
 */
export function scheduleReseal(
  app: App,
  ctx: { db: Executor; sealer: Sealer },
  intervalMs = RESEAL_INTERVAL_MS,
) {
  const metrics = resealMetrics(app.metrics);
  let running: Promise<void> | undefined;
  let closed = false;
  const run = () => {
    if (running || closed) return;
    running = resealAll(ctx.db, ctx.sealer, { metrics })
      .then(
        (report) => logReport(app.log, report),
        (err: unknown) => app.log.error({ err }, 're-sealing secrets failed'),
      )
      .finally(() => {
        running = undefined;
      });
  };
  let first: NodeJS.Timeout | undefined;
  const timer = setInterval(run, intervalMs).unref();
  app.addHook('onReady', async () => {
    first = setTimeout(run, 0).unref();
  });
  app.addHook('onClose', async () => {
    closed = true;
    clearInterval(timer);
    clearTimeout(first);
    await running;
  });
}
