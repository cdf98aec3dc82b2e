import { runMain } from '@platform/config';
import { listen } from '@platform/http';
import { buildApp } from './app.ts';
import { readConfig } from './config.ts';
import { openDatabase } from './db/index.ts';

await runMain(async () => {
  const config = readConfig();
  const database = await openDatabase(config.DATABASE_URL, {
    maxConnections: config.DATABASE_POOL_SIZE,
    statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT,
  });
  const app = await buildApp({ config, database });
  await listen(app, config.PORT, config.HOST, { afterClose: () => database.close() });
});
