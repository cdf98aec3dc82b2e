import path from 'node:path';
import { freePort, spawnService, stopAll, waitReady } from '@platform/launcher';
import { createTestDatabase } from '@platform/testing';
import type { RunningService } from './services.ts';

const root = path.resolve(import.meta.dirname, '../../..');

/**
 * The real analytics service as its own process on a fresh database, verifying tokens with the
 * auth service at `authUrl`. `port` lets the caller hand its URL to auth (the outbox relay)
 * before it starts, since analytics is ready only once auth answers.
 */
export async function startAnalyticsService(options: {
  authUrl: string;
  serviceToken: string;
  port?: number;
  env?: Record<string, string>;
}): Promise<RunningService & { databaseUrl: string }> {
  const database = await createTestDatabase();
  const port = options.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const child = spawnService('analytics', 'services/analytics/src/server.ts', {
    cwd: root,
    prefix: 'analytics | ',
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
      DATABASE_URL: database.url,
      AUTH_URL: options.authUrl,
      SERVICE_TOKEN: options.serviceToken,
      WRITER_INTERVAL_MS: '50',
      ...options.env,
    },
  });
  const stop = async () => {
    await stopAll([child], 5000);
    await database.drop();
  };
  try {
    await waitReady(child, url, 60_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, process: child, stop, databaseUrl: database.url };
}
