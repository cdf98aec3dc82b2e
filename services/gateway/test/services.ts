import { existsSync, readdirSync, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  compiledDir,
  compileServices,
  freePort,
  type ServiceProcess,
  spawnService,
  stopAll,
  waitReady,
} from '@platform/launcher';
import {
  createTestDatabase,
  linkTo,
  type Mail,
  readMailDir,
  TEST_SECRETS,
  tokenIn,
} from '@platform/testing';
import { Agent, fetch as fetchVia } from 'undici';
import { closeAtEnd, startGateway } from './helpers.ts';

const root = path.resolve(import.meta.dirname, '../../..');

export interface RunningService {
  url: string;
  process: ServiceProcess;
  stop(): Promise<void>;
}

/**
 * A real service as its own process on a fresh database (or another instance's, with
 * `databaseOf`), as the launcher runs it; every service but auth follows `env.AUTH_URL`. `name`
 * is any folder of services/ (one made by `npm run new:service` too).
 */
export async function startService(
  name: string,
  env: Record<string, string>,
  databaseOf?: { databaseUrl: string },
): Promise<RunningService & { databaseUrl: string }> {
  const database = databaseOf
    ? { url: databaseOf.databaseUrl, drop: async () => {} }
    : await createTestDatabase({ migrations: path.join(root, 'services', name, 'drizzle') });
  // A caller may fix the port (env.PORT) to hand the URL to another service before this one starts.
  const port = env.PORT ? Number(env.PORT) : await freePort();
  const url = `http://127.0.0.1:${port}`;
  // `npm test` compiles the services' entry points with the test files (scripts/test-bundles.ts).
  // A traced service runs as `npm start` runs it (tracedEntry): the telemetry module must load
  // before its dependencies, which the test's bundle of the service would not let it hook.
  const traced = Boolean(
    env.OTEL_EXPORTER_OTLP_ENDPOINT ?? process.env.OTEL_EXPORTER_OTLP_ENDPOINT,
  );
  const compiled = traced
    ? await tracedEntry(name)
    : process.env.TEST_COMPILED_DIR
      ? path.join(process.env.TEST_COMPILED_DIR, 'services', name, 'src', 'server.mjs')
      : undefined;
  const child = spawnService(name, compiled ?? `services/${name}/src/server.ts`, {
    cwd: root,
    // Its stack traces name .ts lines, the source map read only if one is printed; no optimising
    // compiler, as for the test processes (scripts/test.ts): a service here lives seconds, and
    // TurboFan's compiles cost more than they saved (even in the gateway's sweep, 33.3 → 30.8 s
    // of CPU for the file with its three services; typed-client 15.0 → 12.7 s). Not for a
    // traced one: the preload's code cache takes over CommonJS compiles, and OpenTelemetry's
    // hooks then saw no pg, http or pino load (no spans reached the receiver).
    ...(compiled && !traced
      ? { typescript: false, nodeOptions: ['--no-turbofan', '--import', compiledPreload()] }
      : {}),
    prefix: `${name} | `,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
      DATABASE_URL: database.url,
      // As the launcher sets it: a compiled entry's path does not name the service.
      SERVICE_NAME: name,
      ...TEST_SECRETS,
      ...env,
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

/**
 * The real auth service on a fresh database (or another instance's, with `databaseOf`). Its log
 * is quiet unless a test sets LOG_LEVEL.
 */
export async function startAuthService(
  env: Record<string, string> = {},
  databaseOf?: { databaseUrl: string },
): Promise<RunningService & { databaseUrl: string; mailDir: string }> {
  const mailDir = await mkdtemp(path.join(tmpdir(), 'gateway-auth-mail-'));
  const auth = await startService(
    'auth',
    { PUBLIC_URL: 'http://gateway.test', MAIL_DIR: mailDir, ...env },
    databaseOf,
  ).catch(async (error) => {
    await rm(mailDir, { recursive: true, force: true });
    throw error;
  });
  const stop = async () => {
    await auth.stop();
    await rm(mailDir, { recursive: true, force: true });
  };
  return { ...auth, stop, mailDir };
}

/** The real main service on a fresh database, checking tokens with `auth`'s keys. */
export const startMainService = (auth: { url: string }) =>
  startService('main', { AUTH_URL: auth.url });

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

/** Requests whose sockets are bound to `address` (any of 127.0.0.0/8), to act as another client. */
export function clientAt(address: string) {
  const dispatcher = new Agent({ localAddress: address });
  return {
    post: (url: string, body: unknown, headers: Record<string, string> = {}) =>
      fetchVia(url, {
        method: 'POST',
        dispatcher,
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      }),
    request: (url: string, init: Omit<Parameters<typeof fetchVia>[1] & object, 'dispatcher'>) =>
      fetchVia(url, { ...init, dispatcher }),
    close: () => dispatcher.close(),
  };
}

export type { Mail };
export { linkTo, tokenIn };

/** The mail the auth service wrote as .eml files to `mailDir` for `to`, oldest first. */
export async function mailsTo(mailDir: string, to: string): Promise<Mail[]> {
  const mails = await readMailDir(mailDir);
  return mails.filter((mail) => mail.to.toLowerCase() === to.toLowerCase());
}

/** Waits for the `count`th mail to `to` whose subject matches. */
export async function waitForMail(mailDir: string, to: string, subject: RegExp, count = 1) {
  let found: Mail[] = [];
  await eventually(async () => {
    found = (await mailsTo(mailDir, to)).filter((mail) => subject.test(mail.subject));
    return found.length >= count;
  });
  return found[count - 1]!;
}

/** A 1×1 PNG: enough for the auth service to accept and re-encode an avatar. */
export const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

/** Uploads PNG as the user's avatar through `base`; resolves to the avatar's path and query. */
export async function uploadAvatar(base: string, accessToken: string): Promise<string> {
  const form = new FormData();
  form.append('file', new Blob([PNG], { type: 'image/png' }), 'a.png');
  const uploaded = await fetch(`${base}/accounts/v1/user/avatar`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${accessToken}` },
    body: form,
  });
  if (uploaded.status !== 200) {
    throw new Error(`avatar upload: ${uploaded.status} ${await uploaded.text()}`);
  }
  const { user } = (await uploaded.json()) as { user: { avatar_url: string } };
  const url = new URL(user.avatar_url);
  return `${url.pathname}${url.search}`;
}

/**
 * The real auth service behind a real gateway, both stopped when the file's tests end; resolves
 * once the gateway reports ready.
 */
export async function authBehindGateway() {
  const { cleanup } = closeAtEnd();
  const auth = await startAuthService();
  cleanup(auth.stop);
  const gateway = await startGateway({ AUTH_URLS: auth.url }, { auth: 'real' });
  cleanup(() => gateway.app.close());
  const { url } = gateway;
  await eventually(async () => (await fetch(`${url}/health/ready`)).status === 200);
  return { auth, gateway, url };
}

/**
 * The real auth and main services behind a real gateway (`env` on top of its own), each handed to
 * `cleanup` to stop at the end; resolves once the gateway reports ready.
 */
export async function mainBehindGateway(
  cleanup: (close: () => Promise<void>) => void,
  env: Record<string, string | number> = {},
) {
  const auth = await startAuthService();
  cleanup(auth.stop);
  const main = await startMainService(auth);
  cleanup(main.stop);
  const gateway = await startGateway(
    { AUTH_URLS: auth.url, MAIN_URLS: main.url, ...env },
    { auth: 'real' },
  );
  cleanup(() => gateway.app.close());
  const { url } = gateway;
  await eventually(async () => (await fetch(`${url}/health/ready`)).status === 200);
  return { auth, main, url };
}

let traced: Promise<Map<string, string>> | undefined;

/**
 * A service's entry as `npm start` runs it (the launcher's compileServices: start-up, then the
 * telemetry module, then the server, imported after OpenTelemetry has hooked its dependencies),
 * compiled once per test process for every service. Under `--import tsx` from source, each
 * traced service's start cost 2–3 s of CPU more, loading its modules through tsx's hooks.
 */
export async function tracedEntry(name: string) {
  traced ??= (async () => {
    // The launcher's folder for this process: a launcher started later removes it if this
    // process died without its exit handler.
    const dir = compiledDir(root);
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    const services = readdirSync(path.join(root, 'services')).filter((s) =>
      existsSync(path.join(root, 'services', s, 'src', 'server.ts')),
    );
    return compileServices(root, services, dir);
  })();
  return (await traced).get(name)!;
}

/** scripts/test-preload.ts as `npm test` compiled it (scripts/test-source-maps.ts). */
function compiledPreload() {
  return pathToFileURL(path.join(process.env.TEST_COMPILED_DIR ?? '', 'preload.mjs')).href;
}
