export {
  type App,
  type AppOptions,
  CACHE_VERSION_HEARTBEAT_HEADER,
  CACHE_VERSION_HELD_HEADER,
  CACHE_VERSION_PATH,
  createApp,
  ROUTE_HEADER,
} from './app.ts';
export { jsonBodyParser } from './body-parsers.ts';
export {
  answerCacheVersion,
  CacheVersionAnswer,
  CacheVersionQuery,
  type CacheVersionSource,
  type HeldVersion,
} from './cache-version.ts';
export { addressBlock } from './client-address.ts';
export { CLOSING_REFUSAL_HEADER, IDLE_GRACE_MS, WRITE_OUT_MS } from './closing.ts';
export {
  type CodeEntry,
  type CodeTable,
  DomainError,
  defaultCode,
  defineCodes,
  GENERIC_CODES,
  type GenericCode,
  problemFactory,
} from './codes.ts';
export { isNotModified } from './conditional.ts';
export { decodeContentCoding } from './content-coding.ts';
export { documentOf, NO_PEER, NO_SECRET } from './document.ts';
export type { ReadinessCheck } from './health.ts';
export { HEARTBEAT_MS, heartbeats } from './heartbeat.ts';
export { loggerOptions, redactPaths } from './logging.ts';
export { type NamedSchema, namedSchema, namedSchemas } from './named-schemas.ts';
export { documentedSchema, operationCodes, problemSchema } from './openapi.ts';
export {
  isUnreachable,
  type OutageLog,
  type OutageLogger,
  type OutageOptions,
  outageLog,
  refusal,
} from './outage.ts';
export {
  KEEPS_IDLE_SHORT,
  keepOutgoingIdleShort,
  OUTGOING_IDLE_MS,
  outgoingDispatcher,
} from './outgoing.ts';
export { type FieldError, HttpProblem, problems, sendProblem } from './problem.ts';
export { listen } from './server.ts';
export type { ClientTimeouts } from './server-options.ts';
export type { UndocumentedProblem } from './undocumented-problems.ts';
export { type AjvError, fieldErrors } from './validation-errors.ts';
