// Counts the queue rows packed (Brotli, src/ingestion/row-packing.ts packRow) while a test runs.
import { syncBuiltinESMExports } from 'node:module';
import zlib from 'node:zlib';
import type { Db, Tx } from '../src/db/index.ts';

/**
 * Runs `run`, counting every Brotli compression (queue rows are packed so, in line or on the
 * thread pool) and those made while a transaction of the database `run` is handed is open.
 */
export async function countPacks(
  db: Db,
  run: (db: Db) => Promise<void>,
): Promise<{ total: number; inTransaction: number }> {
  let open = 0;
  const counts = { total: 0, inTransaction: 0 };
  const count = () => {
    counts.total += 1;
    if (open > 0) counts.inTransaction += 1;
  };
  const watched = new Proxy(db, {
    get(target, key) {
      if (key !== 'transaction') return Reflect.get(target, key);
      return (async (body: (tx: Tx) => Promise<unknown>) =>
        target.transaction(async (tx) => {
          open += 1;
          try {
            return await body(tx);
          } finally {
            open -= 1;
          }
        })) as Db['transaction'];
    },
  });
  const { brotliCompress, brotliCompressSync } = zlib;
  zlib.brotliCompressSync = ((...args: Parameters<typeof brotliCompressSync>) => {
    count();
    return brotliCompressSync(...args);
  }) as typeof brotliCompressSync;
  zlib.brotliCompress = ((...args: unknown[]) => {
    count();
    return (brotliCompress as (...a: unknown[]) => void)(...args);
  }) as typeof brotliCompress;
  syncBuiltinESMExports();
  try {
    await run(watched);
  } finally {
    zlib.brotliCompressSync = brotliCompressSync;
    zlib.brotliCompress = brotliCompress;
    syncBuiltinESMExports();
  }
  return counts;
}
