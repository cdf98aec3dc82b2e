import { after } from 'node:test';
import { createTestDatabase } from '@platform/testing';
import { openDatabase } from '../src/db/index.ts';
import { createPostgresStore } from '../src/store/postgres.ts';
import { storeContract } from './store-contract.ts';

storeContract('PostgreSQL store', async () => {
  const test = await createTestDatabase();
  const database = await openDatabase(test.url);
  after(async () => {
    await database.close();
    await test.drop();
  });
  return createPostgresStore(database.db);
});
