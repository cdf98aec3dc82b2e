import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  freePort,
  type ServiceProcess,
  spawnService,
  stopAll,
  waitReady,
} from '@platform/launcher';
import { createTestDatabase, TEST_SECRETS } from '@platform/testing';

const root = path.resolve(import.meta.dirname, '../../..');

export interface RunningService {
  url: string;
  process: ServiceProcess;
  stop(): Promise<void>;
}

/**
 * The real auth service as its own process on a fresh database (or another instance's, with
 * `databaseOf`), as the launcher runs it. Its log is quiet unless a test sets LOG_LEVEL.
 */
export async function startAuthService(
  env: Record<string, string> = {},
  databaseOf?: { databaseUrl: string },
): Promise<RunningService & { databaseUrl: string }> {
  const database = databaseOf
    ? { url: databaseOf.databaseUrl, drop: async () => {} }
    : await createTestDatabase();
  const mailDir = await mkdtemp(path.join(tmpdir(), 'gateway-auth-mail-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawnService('auth', 'services/auth/src/server.ts', {
    cwd: root,
    prefix: 'auth | ',
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
      DATABASE_URL: database.url,
      PUBLIC_URL: 'http://gateway.test',
      MAIL_DIR: mailDir,
      ...TEST_SECRETS,
      ...env,
    },
  });
  const stop = async () => {
    await stopAll([child], 5000);
    await database.drop();
    await rm(mailDir, { recursive: true, force: true });
  };
  try {
    await waitReady(child, url, 60_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, process: child, stop, databaseUrl: database.url };
}

let counter = 0;

/** Registers and signs in a fresh user through `base` (the gateway or auth itself). */
export async function signUp(base: string) {
  counter += 1;
  const unique = `${process.pid}x${counter}${Math.random().toString(36).slice(2, 7)}`;
  const credentials = {
    email: `gw${unique}@example.com`,
    username: `gw${unique}`,
    password: `correct horse ${unique}`,
  };
  const registered = await post(`${base}/accounts/v1/register`, credentials);
  if (registered.status !== 201) {
    throw new Error(`register: ${registered.status} ${await registered.text()}`);
  }
  const login = await post(`${base}/accounts/v1/login`, {
    email: credentials.email,
    password: credentials.password,
  });
  if (login.status !== 200) throw new Error(`login: ${login.status} ${await login.text()}`);
  const body = (await login.json()) as { access_token: string; user: { id: string } };
  return { ...credentials, id: body.user.id, accessToken: body.access_token };
}

export const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

/** Polls until `check` holds, for things that happen "within a second" on a loaded machine. */
export async function eventually(check: () => Promise<boolean>, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}
