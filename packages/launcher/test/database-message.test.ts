import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadManifests } from '@platform/manifest';
import { createDatabases } from '../src/database.ts';
import type { PlannedService } from '../src/services.ts';

const root = new URL('../../..', import.meta.url).pathname;

// The failure named `new URL().host`, the authority's, where pg connects to `?host=`/`?port=`
// (pg-connection-string): `at ignored:5432` for a server reached, and refused, elsewhere.
test('a database that cannot be created names the server pg connected to, nothing of the userinfo', async () => {
  const auth = loadManifests(root).find((s) => s.name === 'auth')!;
  const planned = [{ spec: auth } as PlannedService];
  await assert.rejects(
    createDatabases(
      {
        url: 'postgres://admin:s3cret@ignored:5432/postgres?host=127.0.0.1&port=1',
        stop: async () => {},
      },
      planned,
    ),
    (error: Error) =>
      error.message.startsWith('could not create database auth on PostgreSQL at 127.0.0.1:1: ') &&
      !/s3cret|admin|ignored/.test(error.message),
  );
});
