import { runMain } from '@platform/config';
import { listen } from '@platform/http';
import { buildApp } from './app.ts';
import { readConfig } from './config.ts';
import { openDatabase } from './db/index.ts';
import { createMailer } from './mail/transport.ts';

await runMain(async () => {
  const config = readConfig();
  // Before the database: a MAIL_DIR that cannot hold mail is a setting to fix, like one malformed.
  const mailer = createMailer(config);
  const database = await openDatabase(config.DATABASE_URL);
  const app = await buildApp({ config, database, mailer });
  await listen(app, config.PORT, config.HOST, { afterClose: () => database.close() });
});
