import { runMain } from '@platform/config';
import { listen } from '@platform/http';
import { buildApp } from './app.ts';
import { readConfig } from './config.ts';
import { openDatabase } from './db/index.ts';

await runMain(async () => {
  const config = readConfig();
  const database = await openDatabase(config.DATABASE_URL, {
    statementTimeoutMs: config.QUERY_TIMEOUT_MS,
  });
  const app = await buildApp({ config, database });
  await listen(app, config.PORT, config.HOST, { afterClose: () => database.close() });
});
