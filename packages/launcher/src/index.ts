export { type EmbeddedPostgresHandle, freePort, startEmbeddedPostgres } from './postgres.ts';
export { SERVICES, type ServiceName, type ServiceSpec } from './services.ts';
