import { createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after } from 'node:test';
import { type ServiceAuth, TokenError } from '@platform/auth';
import { loadConfig } from '@platform/config';
import type { App } from '@platform/http';
import { edgeRoutesSetting, loadManifests } from '@platform/manifest';
import { TEST_SECRETS } from '@platform/testing';
import { type BuildOptions, buildApp } from '../src/app.ts';
import { type Config, ConfigSchema } from '../src/config.ts';

/** What the echo upstream saw. */
export interface Seen {
  service: string;
  method: string;
  url: string;
  headers: Record<string, string>;
}

export interface Problem {
  status: number;
  detail: string;
  request_id: string;
  services?: Record<string, string>;
}

export const json = <T = Seen>(response: Response) => response.json() as Promise<T>;

export interface Upstream {
  url: string;
  close(): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** Answers every request with what it received, so a test sees what the gateway forwarded. */
export const echo =
  (service: string): Handler =>
  (req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ service, method: req.method, url: req.url, headers: req.headers }));
  };

export async function startUpstream(
  handler: Handler,
  at: { host?: string; port?: number } = {},
): Promise<Upstream> {
  const server = createServer(handler);
  const host = at.host ?? '127.0.0.1';
  await new Promise<void>((resolve) => server.listen(at.port ?? 0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A URL on which nothing listens. */
export async function deadUrl(): Promise<string> {
  const upstream = await startUpstream(() => {});
  await upstream.close();
  return upstream.url;
}

/** Stands in for the token verifier where no auth service runs: every token is refused. */
export const refuseAllTokens: ServiceAuth = {
  verify: async () => {
    throw new TokenError('no auth service in this test');
  },
  revocations: {
    isRevoked: () => false,
    start: async () => {},
    ready: async () => {},
    close: async () => {},
  },
  close: async () => {},
};

/** The routes npm start, Compose and Kubernetes limit apart: the services' manifests' `edge`. */
const EDGE_ROUTES = edgeRoutesSetting(loadManifests(path.resolve(import.meta.dirname, '../../..')));

/** Stands in for the token verifier where no auth service runs: `Bearer user-<id>` is user <id>. */
export const acceptUserTokens: ServiceAuth = {
  ...refuseAllTokens,
  verify: async (token) => {
    if (!token.startsWith('user-')) throw new TokenError('not a test user token');
    return { userId: token.slice(5), sessionId: token, roles: ['user'], permissions: [] };
  },
};

/** The internal metrics URL of each gateway started here, by its public URL. */
const metricsUrls = new Map<string, string>();

/** The Prometheus text the gateway at public `url` serves on its internal metrics port. */
export async function metricsOf(url: string): Promise<string> {
  const metricsUrl = metricsUrls.get(url);
  if (!metricsUrl) throw new Error(`no gateway started here at ${url}`);
  return (await fetch(metricsUrl)).text();
}

/**
 * A gateway on a free loopback port, configured like production from environment strings (the
 * manifests' EDGE_ROUTES unless given), its metrics on another free port. Without `auth`, tokens are checked by a stub that refuses them all
 * (the upstreams here are plain HTTP servers), or by the stub `auth` names.
 */
export async function startGateway(
  env: Record<string, string | number | undefined>,
  options: {
    auth?: 'real' | ServiceAuth;
    logger?: BuildOptions['logger'];
    lookup?: BuildOptions['lookup'];
    /** A fixed port, for a URL that must be known before the gateway starts (PUBLIC_URL). */
    port?: number;
    /** buildApp's closing timings (production's by default): the closing races' tests. */
    timings?: Pick<BuildOptions, 'upstreamIdleMs' | 'idleGraceMs' | 'writeOutMs'>;
  } = {},
): Promise<{ app: App; url: string; config: Config; metricsUrl: string }> {
  const strings: Record<string, string> = {
    LOG_LEVEL: 'silent',
    PORT: '0',
    METRICS_PORT: '0',
    SERVICE_TOKEN: TEST_SECRETS.SERVICE_TOKEN,
    EDGE_ROUTES,
  };
  for (const [key, value] of Object.entries(env))
    if (value !== undefined) strings[key] = String(value);
  const config = loadConfig(ConfigSchema, strings);
  const app = await buildApp(config, {
    ...(options.auth === 'real' ? {} : { serviceAuth: options.auth ?? refuseAllTokens }),
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.lookup ? { lookup: options.lookup } : {}),
    ...options.timings,
  });
  await app.listen({ port: options.port ?? 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  const metricsPort = (app.metricsServer!.address() as AddressInfo).port;
  const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
  metricsUrls.set(url, metricsUrl);
  return { app, url, config, metricsUrl };
}

/**
 * A request with the path sent exactly as written (fetch would normalise `..`), and the answer's
 * headers exactly as received (fetch would hide a stray content-length).
 */
export function rawGet(
  base: string,
  path: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}/`, { path, headers, method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * What a test file starts, closed newest first after its last test: `cleanup(server.close)`,
 * and `gateway(env)`, a startGateway closed the same way that resolves to its URL.
 */
export function closeAtEnd() {
  const closers: (() => Promise<void>)[] = [];
  after(async () => {
    for (const close of closers.reverse()) await close();
  });
  const cleanup = (...more: (() => Promise<void>)[]) => {
    closers.push(...more);
  };
  const gateway = async (
    env: Parameters<typeof startGateway>[0],
    options: Parameters<typeof startGateway>[1] = {},
  ) => {
    const started = await startGateway(env, options);
    cleanup(() => started.app.close());
    return started.url;
  };
  return { cleanup, gateway };
}
