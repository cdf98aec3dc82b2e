import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type TestContext, test } from 'node:test';
import { databaseUrl, ensureDatabase, runMigrations } from '@platform/db';
import type { Service } from '@platform/manifest';
import { query, writeMigrations } from '@platform/testing';
import { createDatabases } from '../src/database.ts';
import type { PlannedService } from '../src/services.ts';

const server = process.env.TEST_POSTGRES_URL!;

/** A service's first migration, as drizzle-kit writes it for a table of items. */
const INIT = 'CREATE TABLE "items" ("id" serial PRIMARY KEY, "name" text NOT NULL);';

/**
 * A services/<name> of a root of its own (its drizzle folder still to write), with its database
 * on the server: the service the launcher plans. The root and every database named after the
 * service go when the test ends.
 */
async function serviceWithDatabase(t: TestContext, prefix: string) {
  const name = `${prefix}_${randomBytes(3).toString('hex')}`;
  const root = mkdtempSync(path.join(tmpdir(), `launcher-${prefix}-`));
  t.after(async () => {
    rmSync(root, { recursive: true, force: true });
    const left = await query<{ datname: string }>(
      server,
      `select datname from pg_database where datname like '${name}%'`,
    );
    for (const { datname } of left) await query(server, `drop database "${datname}" with (force)`);
  });
  const folder = path.join(root, 'services', name, 'drizzle');
  const url = await ensureDatabase(server, name);
  const planned = [{ spec: { name, database: true } as Service } as PlannedService];
  return { name, root, folder, url, planned };
}

/**
 * A services/<name> whose database an earlier service of the name left: the first migration
 * applied there with one item, then written again later (removed, and made again by
 * new:service). All of it goes when the test ends.
 */
async function leftByEarlier(t: TestContext, prefix: string, item: string) {
  const service = await serviceWithDatabase(t, prefix);
  writeMigrations(service.folder, { '0000_init': INIT }, 1_700_000_000_000);
  await runMigrations(service.url, service.folder);
  await query(service.url, `insert into items (name) values ('${item}')`);
  writeMigrations(service.folder, { '0000_init': INIT }, 1_800_000_000_000);
  return service;
}

// `npm run new:service -- notes`, npm start, the folder removed as the docs say, new:service notes
// again: the database "notes" stayed with the first one's tables and drizzle's record of its
// first migration, older than the new one's, so the new service ran its first migration again
// and stopped the launch at every start (`relation "items" already exists`); the way out was five
// steps by hand (move the folder aside, start, drop the database with a node one-liner, …).
test("npm start sets aside a database an earlier service of the same name left, keeping its data, and the new service's migrations run", async (t) => {
  // The first services/<name>, started once, with an item; removed, and generated again.
  const { name, root, folder, planned } = await leftByEarlier(t, 'stale', 'kept');

  const lines: string[] = [];
  const postgres = { url: server, stop: async () => {} };
  const urls = await createDatabases(postgres, planned, { root, say: (l) => lines.push(l) });
  await runMigrations(urls.get(name)!, folder);
  assert.deepEqual(await query(urls.get(name)!, 'select name from items'), []);

  assert.equal(lines.length, 1, lines.join('\n'));
  const aside = new RegExp(
    `^${name}: the database "${name}" held the tables of an earlier services/${name} \\(its migrations are not this one's\\): kept as "(${name}_removed_\\d{14})", a new one made; drop the old one once you no longer need it \\(docs/services-as-data\\.md\\)$`,
  ).exec(lines[0]!);
  assert.ok(aside, lines[0]);
  const kept = databaseUrl(server, aside[1]!);
  assert.deepEqual(await query(kept, 'select name from items'), [{ name: 'kept' }]);

  // The next start finds the new service's own database: nothing set aside.
  await createDatabases(postgres, planned, { root, say: (l) => lines.push(l) });
  await runMigrations(urls.get(name)!, folder);
  assert.equal(lines.length, 1, lines.join('\n'));
});

// The same service's migrations squashed (or regenerated: its drizzle folder deleted and
// drizzle-kit generate run again, as a release of the template may do for auth's twenty) also
// leave drizzle's record older than the first migration. Taken for an earlier service's, the
// live database was renamed and the service started on an empty one, its users and items gone
// from sight and new ones written apart from them. Its first migration is other SQL than any the
// record holds: the database stays, and the launch stops on the migration as it did before.
test('npm start keeps the database of a service whose migrations were squashed into a new first one', async (t) => {
  const { name, root, folder, url, planned } = await serviceWithDatabase(t, 'squashed');
  const later = 'ALTER TABLE "items" ADD COLUMN "done" boolean DEFAULT false NOT NULL;';
  writeMigrations(folder, { '0000_init': INIT, '0001_done': later }, 1_700_000_000_000);
  await runMigrations(url, folder);
  await query(url, `insert into items (name) values ('live')`);
  // Squashed: one first migration, of both, written later.
  writeMigrations(
    folder,
    { '0000_init': `${INIT}\n--> statement-breakpoint\n${later}` },
    1_800_000_000_000,
  );

  const lines: string[] = [];
  const postgres = { url: server, stop: async () => {} };
  const urls = await createDatabases(postgres, planned, { root, say: (l) => lines.push(l) });
  assert.deepEqual(lines, []);
  assert.equal(urls.get(name), url);
  assert.deepEqual(await query(url, 'select name from items'), [{ name: 'live' }]);
  const aside = await query(
    server,
    `select 1 from pg_database where datname like '${name}_removed%'`,
  );
  assert.deepEqual(aside, []);
});

// POSTGRES_URL names a server of someone else's, which other stacks or people may use: a database
// there is never renamed, whatever its record says; the launch stops on the migration's error
// and its hint (packages/db migration-error.ts), as it did before set-aside existed.
test('on a server of POSTGRES_URL, a database an earlier service left is not set aside', async (t) => {
  const { name, root, url, planned } = await leftByEarlier(t, 'external', 'theirs');

  const lines: string[] = [];
  const external = { url: server, external: true, stop: async () => {} };
  const urls = await createDatabases(external, planned, { root, say: (l) => lines.push(l) });
  assert.deepEqual(lines, []);
  assert.equal(urls.get(name), url);
  assert.deepEqual(await query(url, 'select name from items'), [{ name: 'theirs' }]);
  assert.deepEqual(
    await query(server, `select 1 from pg_database where datname like '${name}_removed%'`),
    [],
  );
});
