export {
  compiledDir,
  compiledEntry,
  compileServices,
  isRunning,
  loadWithOwnImportMeta,
} from './compile.ts';
export { type LauncherConfig, readLauncherConfig } from './config.ts';
export { type EmbeddedPostgresHandle, freePort, startEmbeddedPostgres } from './postgres.ts';
export { type ServiceProcess, spawnService, stopAll } from './processes.ts';
export { waitReady } from './readiness.ts';
export { type PlannedService, planServices, type Stack, serviceEnv } from './services.ts';
