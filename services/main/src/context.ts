import type { Config } from './config.ts';
import type { Db } from './db/index.ts';

/** What the main service's features need, built once in app.ts and passed in explicitly. */
export interface MainContext {
  db: Db;
  config: Config;
}
