import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { runMigrations } from '@platform/db';
import { startEmbeddedPostgres } from '@platform/launcher/postgres';
import { databasePasswordVariable, envStem, loadManifests } from '@platform/manifest';
import pg from 'pg';
import { root } from './helper.ts';

// Runs deploy/postgres/init.sh with psql (Debian's postgresql-client) against a server of its own,
// as the postgres image's entrypoint would, with the password files deploy/secrets/init.sh makes
// (as Compose does), then checks what each service's role may do.
test('init.sh makes one database and one least-privilege role per service', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'pg-init-'));
  const secrets = mkdtempSync(path.join(tmpdir(), 'pg-init-secrets-'));
  const server = await startEmbeddedPostgres({ dataDir: dir });
  t.after(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
    rmSync(secrets, { recursive: true, force: true });
  });
  execFileSync('sh', [path.join(root, 'deploy/secrets/init.sh')], {
    env: { PATH: process.env.PATH, SECRETS_DIR: secrets },
  });
  const secret = (name: string) => readFileSync(path.join(secrets, name), 'utf8');
  const admin = new URL(server.url);
  const owners = loadManifests(root).filter((s) => s.database);
  const passwords: Record<string, string> = Object.fromEntries(
    owners.map((s) => [s.name, secret(databasePasswordVariable(s.name))]),
  );
  execFileSync('bash', [path.join(root, 'deploy/postgres/init.sh')], {
    stdio: 'pipe',
    env: {
      PATH: process.env.PATH,
      PGHOST: admin.hostname,
      PGPORT: admin.port,
      PGPASSWORD: decodeURIComponent(admin.password),
      POSTGRES_USER: decodeURIComponent(admin.username),
      ...Object.fromEntries(
        owners.map((s) => {
          const variable = databasePasswordVariable(s.name);
          return [`${variable}_FILE`, path.join(secrets, variable)];
        }),
      ),
    },
  });
  const urlOf = (role: string, database: string) => {
    const url = new URL(server.url);
    url.username = role;
    url.password = passwords[role]!;
    url.pathname = `/${database}`;
    return url.toString();
  };
  const as = (role: string, database: string) =>
    new pg.Client({ connectionString: urlOf(role, database) });

  for (const service of Object.keys(passwords)) {
    // The URL the service reads (DATABASE_URL_FILE) holds the very password of its role.
    const url = new URL(secret(`${envStem(service)}_DATABASE_URL`));
    assert.equal(decodeURIComponent(url.password), passwords[service]);
    const own = as(service, service);
    await own.connect();
    try {
      // What migrations need: tables and drizzle's own schema, as the database's owner.
      await own.query('create schema drizzle; create table public.t (id int); drop table public.t');
      const { rows } = await own.query(
        'select rolsuper, rolcreatedb, rolcreaterole from pg_roles where rolname = current_user',
      );
      assert.deepEqual(rows[0], { rolsuper: false, rolcreatedb: false, rolcreaterole: false });
      await assert.rejects(own.query('create database other'), /permission denied/);
    } finally {
      await own.end();
    }
    // And the service's own migrations, whole, as that role: also the extensions they create
    // (main's unaccent, a trusted extension its database's owner may create).
    await runMigrations(urlOf(service, service), path.join(root, 'services', service, 'drizzle'));
  }
  const main = as('main', 'main');
  await main.connect();
  try {
    const { rows } = await main.query(
      `select to_tsvector('posts_search', 'Crème') = to_tsvector('posts_search', 'creme') as folded`,
    );
    assert.deepEqual(rows, [{ folded: true }]);
  } finally {
    await main.end();
  }
  const [first, second] = owners.map((s) => s.name);
  const intruder = as(second!, first!);
  await assert.rejects(intruder.connect(), new RegExp(`permission denied for database "${first}"`));
  await intruder.end().catch(() => {});
});
