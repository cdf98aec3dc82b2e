import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after } from 'node:test';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';

/**
 * A stand-in for the auth service in a service's own tests: it signs access tokens with a key
 * pair of its own and serves, on a loopback port, the two things the shared verifier
 * (`createServiceAuth` in @platform/auth) reads from auth over HTTP: the JWKS and the
 * revocation feed, with auth's paths and shapes. A service under test is pointed at it with
 * AUTH_URL and verifies tokens exactly as in production, with no auth database, migrations or
 * password hashing to set up.
 */
export interface TestTokenIssuer {
  /** Base URL, to use as the service's AUTH_URL. */
  url: string;
  issuer: string;
  audience: string;
  /** Signs an access token; unset ids are fresh UUIDs, as auth's user and session ids are. */
  token(claims?: TokenClaims): Promise<IssuedToken>;
  /** Lists the session in the revocation feed, as auth does on logout. */
  revoke(sessionId: string): void;
  /** Also done after the test file that started it. */
  close(): Promise<void>;
}

export interface TokenIssuerOptions {
  /** `iss` and `aud`; the defaults are auth's (and every service's) JWT_ISSUER and JWT_AUDIENCE. */
  issuer?: string;
  audience?: string;
  /** Lifetime of a token in seconds unless `token()` says otherwise (auth's default: 15 min). */
  accessTokenTtl?: number;
  /** When set, the revocation feed is 401 without it (as `Bearer` or `x-service-token`). */
  serviceToken?: string;
}

export interface TokenClaims {
  userId?: string;
  sessionId?: string;
  /** Granted as given: the issuer maps no role to permissions, the caller's helper does. */
  roles?: string[];
  permissions?: string[];
  /** Seconds from now; negative for a token that has already expired. */
  expiresIn?: number;
}

export interface IssuedToken {
  accessToken: string;
  userId: string;
  sessionId: string;
}

/** What auth serves from `/internal/revocations`. */
interface FeedEntry {
  id: number;
  session_id: string;
  expires_at: string;
}

const ALGORITHM = 'EdDSA';
const JWKS_PATH = '/accounts/v1/.well-known/jwks.json';
const FEED_PATH = '/internal/revocations';
const FEED_MAX = 1000;

export async function startTokenIssuer(options: TokenIssuerOptions = {}): Promise<TestTokenIssuer> {
  const issuer = options.issuer ?? 'auth';
  const audience = options.audience ?? 'microservice-template';
  const ttl = options.accessTokenTtl ?? 15 * 60;
  const kid = randomUUID();
  const { publicKey, privateKey } = await generateKeyPair(ALGORITHM, { crv: 'Ed25519' });
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: ALGORITHM, use: 'sig' };
  const feed: FeedEntry[] = [];
  const allowed = serviceTokenCheck(options.serviceToken);

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://issuer');
    if (req.method !== 'GET') return send(res, 405, { status: 405, title: 'Method Not Allowed' });
    if (url.pathname === JWKS_PATH) {
      // As auth sends it: verifiers may cache the keys this long.
      res.setHeader('cache-control', 'public, max-age=300');
      return send(res, 200, { keys: [jwk] });
    }
    if (url.pathname === FEED_PATH) {
      if (!allowed(req)) return send(res, 401, { status: 401, title: 'Unauthorized' });
      const after = integer(url.searchParams.get('after'), 0, 0, Number.MAX_SAFE_INTEGER);
      const limit = integer(url.searchParams.get('limit'), FEED_MAX, 1, FEED_MAX);
      if (after === undefined || limit === undefined) {
        return send(res, 400, { status: 400, title: 'Bad Request', detail: 'after or limit' });
      }
      const now = Date.now();
      const items = feed
        .filter((e) => e.id > after && Date.parse(e.expires_at) > now)
        .slice(0, limit);
      return send(res, 200, { items, last_id: items.at(-1)?.id ?? after });
    }
    send(res, 404, { status: 404, title: 'Not Found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
    return closed;
  };
  after(close);

  return {
    url,
    issuer,
    audience,
    close,
    async token(claims = {}) {
      const userId = claims.userId ?? randomUUID();
      const sessionId = claims.sessionId ?? randomUUID();
      const now = Math.floor(Date.now() / 1000);
      // The claims and header auth's key store signs (services/auth/src/keys/service.ts).
      const accessToken = await new SignJWT({
        sid: sessionId,
        roles: claims.roles ?? [],
        permissions: claims.permissions ?? [],
      })
        .setProtectedHeader({ alg: ALGORITHM, kid, typ: 'at+jwt' })
        .setSubject(userId)
        .setIssuer(issuer)
        .setAudience(audience)
        .setIssuedAt(now)
        .setExpirationTime(now + (claims.expiresIn ?? ttl))
        .setJti(randomUUID())
        .sign(privateKey);
      return { accessToken, userId, sessionId };
    },
    revoke(sessionId) {
      // Auth keeps an entry until every token of the session has expired, plus a minute.
      const expiresAt = new Date(Date.now() + (ttl + 60) * 1000);
      feed.push({
        id: feed.length + 1,
        session_id: sessionId,
        expires_at: expiresAt.toISOString(),
      });
    },
  };
}

/**
 * `roles → permissions` from a service's own table of what auth grants each role (the part that
 * service checks), for `token({ roles, permissions })`. An unknown role throws: a typo would
 * otherwise quietly grant nothing.
 */
export function permissionsFrom(table: Record<string, string[]>): (roles: string[]) => string[] {
  return (roles) => {
    const granted = roles.flatMap((role) => {
      const permissions = table[role];
      if (!permissions) throw new Error(`no such role: ${role}`);
      return permissions;
    });
    return [...new Set(granted)];
  };
}

function send(res: ServerResponse, status: number, body: unknown) {
  const type = status < 400 ? 'application/json' : 'application/problem+json';
  res.writeHead(status, { 'content-type': `${type}; charset=utf-8` });
  res.end(JSON.stringify(body));
}

/** A whole number in [min, max] (the default when absent), else undefined. */
function integer(text: string | null, fallback: number, min: number, max: number) {
  if (text === null) return fallback;
  const n = Number(text);
  return /^\d+$/.test(text) && n >= min && n <= max ? n : undefined;
}

/** Hashing both sides first gives equal lengths, so the comparison is constant-time. */
function serviceTokenCheck(expected: string | undefined): (req: IncomingMessage) => boolean {
  if (expected === undefined) return () => true;
  const digest = (s: string) => createHash('sha256').update(s).digest();
  const want = digest(expected);
  return (req) => {
    const bearer = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const given = bearer ?? req.headers['x-service-token'];
    return typeof given === 'string' && timingSafeEqual(digest(given), want);
  };
}
