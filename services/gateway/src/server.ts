import { runMain } from '@platform/config';
import { listen } from '@platform/http';
import { buildApp } from './app.ts';
import { readConfig } from './config.ts';

await runMain(async () => {
  const config = readConfig();
  const app = await buildApp(config);
  await listen(app, config.PORT, config.HOST);
});
