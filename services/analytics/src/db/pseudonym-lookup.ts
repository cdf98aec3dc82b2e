import { sql } from 'drizzle-orm';
import type { Db, Tx } from './index.ts';
import { forgottenUsers } from './schema.ts';

/**
 * The pseudonyms of those of `ids` that are users being forgotten (id → pseudonym), in one
 * indexed query. One array parameter: a payload may list ids by the tens of thousands (a 5 MB
 * domain event), past the 65,535 parameters of a statement.
 */
export async function pseudonymsOf(db: Db | Tx, ids: Set<string>): Promise<Map<string, string>> {
  if (ids.size === 0) return new Map();
  const found = await db
    .select({ userId: forgottenUsers.userId, pseudonym: forgottenUsers.pseudonym })
    .from(forgottenUsers)
    .where(sql`${forgottenUsers.userId} = any(${sql.param([...ids])}::text[])`);
  return new Map(found.map((f) => [f.userId, f.pseudonym] as const));
}
