import { type RunningService, startService } from './services.ts';

/**
 * The real analytics service as its own process on a fresh database, verifying tokens with the
 * auth service at `authUrl`. `port` lets the caller hand its URL to auth (the outbox relay)
 * before it starts, since analytics is ready only once auth answers.
 */
export const startAnalyticsService = (options: {
  authUrl: string;
  serviceToken: string;
  port?: number;
  env?: Record<string, string>;
  /** Another instance's database, left in place when this one stops (a restart). */
  databaseOf?: { databaseUrl: string };
}): Promise<RunningService & { databaseUrl: string }> =>
  startService(
    'analytics',
    {
      AUTH_URL: options.authUrl,
      SERVICE_TOKEN: options.serviceToken,
      WRITER_INTERVAL_MS: '50',
      ...(options.port ? { PORT: String(options.port) } : {}),
      ...options.env,
    },
    options.databaseOf,
  );
