export {
  type App,
  type AppOptions,
  type ClientTimeouts,
  createApp,
  ROUTE_HEADER,
} from './app.ts';
export { isNotModified } from './conditional.ts';
export type { ReadinessCheck } from './health.ts';
export { loggerOptions, redactPaths } from './logging.ts';
export { type OutageLog, type OutageLogger, type OutageOptions, outageLog } from './outage.ts';
export { type FieldError, HttpProblem, problems, sendProblem } from './problem.ts';
export { listen } from './server.ts';
