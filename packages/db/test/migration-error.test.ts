import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { query, writeMigrations } from '@platform/testing';
import { ensureDatabase, MigrationError, runMigrations } from '../src/index.ts';

const server = process.env.TEST_POSTGRES_URL!;

/** A new database and an empty migrations folder, both gone after the test. */
async function fresh(t: { after(fn: () => Promise<void>): void }) {
  const name = `migration_error_${randomBytes(3).toString('hex')}`;
  const folder = mkdtempSync(path.join(tmpdir(), 'migrations-'));
  t.after(async () => {
    rmSync(folder, { recursive: true, force: true });
    await query(server, `drop database if exists "${name}" with (force)`);
  });
  return { name, folder, url: await ensureDatabase(server, name) };
}

test('a failing migration stops the service with one line: its file, the reason, the statement', async (t) => {
  const { folder, url } = await fresh(t);
  const init = 'CREATE TABLE "items" ("id" serial PRIMARY KEY, "name" text NOT NULL);';
  writeMigrations(folder, { '0000_init': init });
  await runMigrations(url, folder);
  // The tour's curl made a row before the new field came.
  await query(url, `insert into items (name) values ('first')`);

  // What drizzle-kit generates for `url: text().notNull()`.
  writeMigrations(folder, {
    '0000_init': init,
    '0001_url': 'ALTER TABLE "items" ADD COLUMN "url" text NOT NULL;',
  });
  const error = await runMigrations(url, folder).then(
    () => assert.fail('the migration should fail'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof MigrationError, String(error));
  assert.equal(error.code, '23502');
  const file = path.join(folder, '0001_url.sql');
  assert.equal(
    error.message,
    `migration ${file} failed, none of the pending migrations was applied: column "url" of relation "items" contains null values (in: ALTER TABLE "items" ADD COLUMN "url" text NOT NULL;); a NOT NULL column added to a table that has rows needs a default or a backfill in the migration: docs/adding-a-feature.md#a-new-field-on-a-table-with-rows`,
  );
  // runMain prints the stack: this one is the message, not drizzle's frames.
  assert.equal(error.stack, error.message);
  const columns = await query<{ column_name: string }>(
    url,
    `select column_name from information_schema.columns where table_name = 'items' order by 1`,
  );
  assert.deepEqual(
    columns.map((c) => c.column_name),
    ['id', 'name'],
  );

  // Another failure names its file too, without the hint; the fixed migration then applies.
  writeMigrations(folder, { '0000_init': init, '0001_url': 'ALTER TABLE "nothing" ADD "x" int;' });
  await assert.rejects(runMigrations(url, folder), (e: Error) => {
    assert.ok(e instanceof MigrationError);
    assert.match(e.message, /0001_url\.sql failed.*relation "nothing" does not exist/);
    assert.doesNotMatch(e.message, /NOT NULL/);
    return true;
  });
  writeMigrations(folder, {
    '0000_init': init,
    '0001_url': `ALTER TABLE "items" ADD COLUMN "url" text NOT NULL DEFAULT '';`,
  });
  await runMigrations(url, folder);
});

test("a first migration meeting an earlier service's tables says so: drop that database", async (t) => {
  const { name, folder, url } = await fresh(t);
  const init = 'CREATE TABLE "items" ("id" serial PRIMARY KEY);';
  // services/<name> generated, started, removed, then generated again: a later first migration.
  writeMigrations(folder, { '0000_init': init });
  await runMigrations(url, folder);
  rmSync(folder, { recursive: true });
  writeMigrations(folder, { '0000_init': init }, 1_800_000_000_000);
  await assert.rejects(runMigrations(url, folder), (e: Error) => {
    assert.ok(e instanceof MigrationError);
    assert.equal(e.code, '42P07');
    assert.equal(
      e.message,
      `migration ${path.join(folder, '0000_init.sql')} failed, none of the pending migrations was applied: relation "items" already exists (in: ${init}); the database "${name}" already has tables its first migration creates, left by an earlier service of this name (removed and generated again?): drop it, docs/services-as-data.md`,
    );
    return true;
  });

  // A later migration making a table that exists is a mistake of that migration: no such hint.
  writeMigrations(folder, { '0000_init': init, '0001_again': init }, 1_800_000_000_000);
  await query(url, 'delete from drizzle.__drizzle_migrations');
  await query(
    url,
    `insert into drizzle.__drizzle_migrations (hash, created_at) values ('x', 1800000000000)`,
  );
  await assert.rejects(runMigrations(url, folder), (e: Error) => {
    assert.match(e.message, /0001_again\.sql failed.*relation "items" already exists/);
    assert.doesNotMatch(e.message, /earlier service/);
    return true;
  });
});
