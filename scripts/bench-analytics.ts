/**
 * `npm run bench:analytics`: auth and two analytics processes (one on InfluxDB, one on its own
 * PostgreSQL) on an embedded PostgreSQL and a throwaway influxd, measured in one run:
 *  1. batch ingestion end to end next to raw line protocol (bench-analytics-ingestion.ts);
 *  2. the `/performance` query time over many samples (bench-analytics-performance.ts).
 * Each file names its knobs. BENCH_CPU_PROF=<dir> writes the CPU profile of the analytics process
 * on InfluxDB there, BENCH_NODE_FLAGS adds Node.js flags to it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ensureDatabase } from '@platform/db';
import { startEmbeddedPostgres } from '@platform/launcher';
import { startInflux } from '@platform/testing';
import { benchIngestion } from './bench-analytics-ingestion.ts';
import { benchPerformance } from './bench-analytics-performance.ts';
import { startService, stopServices } from './bench-lib.ts';

const log = (line: string) => process.stderr.write(`${line}\n`);

const scratch = await mkdtemp(path.join(tmpdir(), 'bench-analytics-'));
const postgres = await startEmbeddedPostgres({
  dataDir: scratch,
  onLog: (line) => {
    if (/FATAL|PANIC/.test(line)) log(`postgres: ${line.trim()}`);
  },
});
const influx = await startInflux();
try {
  const admin = { email: 'admin@example.com', password: 'bench admin password' };
  const authUrl = await startService('auth', {
    DATABASE_URL: await ensureDatabase(postgres.url, 'auth'),
    MAIL_DIR: path.join(scratch, 'mail'),
    ADMIN_EMAIL: admin.email,
    ADMIN_PASSWORD: admin.password,
  });
  const analytics = async (name: string, env: Record<string, string>) =>
    startService(
      'analytics',
      {
        AUTH_URL: authUrl,
        DATABASE_URL: await ensureDatabase(postgres.url, name),
        ...env,
      },
      { label: name, profile: name === 'analytics_influx' },
    );
  const onInflux = await analytics('analytics_influx', {
    INFLUX_URL: influx.url,
    INFLUX_DB: 'bench',
  });

  const login = await fetch(`${authUrl}/accounts/v1/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(admin),
  });
  const token = ((await login.json()) as { access_token: string }).access_token;

  await benchIngestion({
    influxUrl: influx.url,
    onInflux,
    queueUrl: await ensureDatabase(postgres.url, 'analytics_influx'),
  });
  // Started only now: idle, it still polls its queue and auth's revocation feed (every 250 ms
  // without Redis), CPU the ingestion rounds would share for nothing they measure.
  const onPostgres = await analytics('analytics_pg', {});
  await benchPerformance({
    postgresUrl: postgres.url,
    influxUrl: influx.url,
    onPostgres,
    onInflux,
    token,
  });
} finally {
  await stopServices();
  await influx.stop();
  await postgres.stop();
  await rm(scratch, { recursive: true, force: true });
}
