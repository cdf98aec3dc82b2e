import { loadConfig, runMain } from '@platform/config';
import { listen } from '@platform/http';
import { buildApp } from './app.ts';
import { ConfigSchema } from './config.ts';

await runMain(async () => {
  const config = loadConfig(ConfigSchema);
  const app = await buildApp(config);
  await listen(app, config.PORT, config.HOST);
});
