import { createHash, randomBytes } from 'node:crypto';
import { isNotModified, problems } from '@platform/http';
import type { FastifyRequest } from 'fastify';
import type { Db } from '../db/index.ts';
import { problem } from '../errors.ts';
import {
  findWriteKey,
  findWriteKeyById,
  insertWriteKey,
  listWriteKeys,
  lockWriteKey,
  revokeWriteKey,
  updateWriteKey,
  type WriteKey,
} from './repository.ts';
import { ORIGIN } from './schema.ts';

/** Recognisable in logs and secret scanners; 256 random bits after it. */
const KEY_PREFIX = 'wk_';

const hashOf = (key: string) => createHash('sha256').update(key).digest('hex');

export const toJson = (k: WriteKey) => ({
  id: k.id,
  name: k.name,
  key_prefix: k.keyPrefix,
  kind: k.kind,
  origins: k.origins,
  created_at: k.createdAt.toISOString(),
});

/**
 * A key's version: a hash of what a change can touch (its name and origins), so any change that
 * leaves them different changes it, with no version column to keep. Strong: the same bytes.
 */
export const etagOf = (k: Pick<WriteKey, 'id' | 'name' | 'origins'>) =>
  `"${createHash('sha256')
    .update(JSON.stringify([k.id, k.name, k.origins]))
    .digest('base64url')
    .slice(0, 27)}"`;

/** Why a browser would never send `origin` in `Origin`, or undefined if it may. */
function unsentOrigin(origin: string): string | undefined {
  if (!ORIGIN.test(origin)) {
    return 'is not an origin as a browser sends it: scheme://host[:port], lower case, without a path or a trailing slash (https://shop.example.com, http://127.0.0.1:3000), or "*"';
  }
  const port = /^(https?):\/\/.*:(\d+)$/.exec(origin);
  if (port && (port[2]!.startsWith('0') || Number(port[2]) === (port[1] === 'https' ? 443 : 80))) {
    return 'names a default port or a port with leading zeros, which browsers never send';
  }
  if (origin === '*') return undefined;
  // A browser writes Origin as the URL standard serializes it: one spelling of each address
  // (127.1 and 127.000.000.001 are sent as 127.0.0.1, [0:0:0:0:0:0:0:1] as [::1]), and a port
  // past 65535 or an address out of range is no origin at all. Another spelling matched no page.
  let sent: string | undefined;
  try {
    sent = new URL(origin).origin;
  } catch {}
  if (sent === undefined || sent === 'null') {
    return 'is an origin no browser can send: a port past 65535 or an IP address out of range';
  }
  if (sent !== origin) return `is written as no browser sends it: a browser sends ${sent}`;
  return undefined;
}

/**
 * The checks of `origins` that creating and changing a key share: only a browser key has any,
 * and each as a browser sends it in Origin.
 */
function checkOrigins(kind: 'server' | 'browser', origins: string[] | undefined) {
  if (kind === 'server' && origins) {
    throw problems.badRequest('A server key has no origins.', [
      { field: 'origins', message: 'only for a browser key' },
    ]);
  }
  // A browser never writes its scheme's default port in Origin (nor leading zeros), nor a path:
  // such an origin matched no request, and the key answered every page 403 origin_not_allowed.
  const unsent = (origins ?? []).flatMap((o, i) => {
    const message = unsentOrigin(o);
    return message ? [{ field: `origins.${i}`, message }] : [];
  });
  if (unsent.length) {
    throw problems.badRequest('An origin is written as no browser sends it.', unsent);
  }
}

/** A new key: only its hash is stored, so the answer is the one time it is shown. */
export async function createWriteKey(
  db: Db,
  body: { name: string; kind?: 'server' | 'browser' | undefined; origins?: string[] | undefined },
  createdBy: string | null,
) {
  const kind = body.kind ?? 'server';
  if (kind === 'browser' && !body.origins) {
    throw problems.badRequest('A browser key needs its origins.', [
      { field: 'origins', message: 'required for a browser key' },
    ]);
  }
  checkOrigins(kind, body.origins);
  const key = KEY_PREFIX + randomBytes(32).toString('base64url');
  const row = await insertWriteKey(db, {
    name: body.name,
    kind,
    origins: body.origins ?? [],
    keyHash: hashOf(key),
    keyPrefix: key.slice(0, KEY_PREFIX.length + 6),
    createdBy,
  });
  return { ...toJson(row), key };
}

/**
 * A key's new name or (a browser key's) origins, checked as at creation. Keys are read from the
 * database on every request (no replica holds a copy), so a change is in effect everywhere from
 * the next request, as a revocation is. `origins` replaces the whole list, so `ifMatch` (the ETag
 * of the read the change was made from, weak comparison as main's posts) is held against the row
 * locked in the change's own transaction: two admins editing at once cannot drop each other's
 * origins unseen; the second gets 412 version_conflict.
 */
export async function changeWriteKey(
  db: Db,
  id: string,
  body: { name?: string | undefined; origins?: string[] | undefined },
  ifMatch?: string | undefined,
) {
  const row = await db.transaction(async (tx) => {
    const current = await lockWriteKey(tx, id);
    if (!current) throw problems.notFound('No such write key.');
    if (ifMatch !== undefined && !isNotModified(ifMatch, etagOf(current))) {
      throw problem(
        'version_conflict',
        'The write key has changed since you read it; read it again (GET) and reapply your change.',
      );
    }
    checkOrigins(current.kind, body.origins);
    const change = {
      ...(body.name === undefined ? {} : { name: body.name }),
      ...(body.origins === undefined ? {} : { origins: body.origins }),
    };
    return Object.keys(change).length ? await updateWriteKey(tx, id, change) : current;
  });
  if (!row) throw problems.notFound('No such write key.');
  return { key: toJson(row), etag: etagOf(row) };
}

/** One live key, without its secret (never kept), and its version for If-Match. */
export async function writeKeyOf(db: Db, id: string) {
  const row = await findWriteKeyById(db, id);
  if (!row) throw problems.notFound('No such write key.');
  return { key: toJson(row), etag: etagOf(row) };
}

export const writeKeysOf = async (db: Db) => (await listWriteKeys(db)).map(toJson);

export async function revoke(db: Db, id: string) {
  if (!(await revokeWriteKey(db, id))) throw problems.notFound('No such write key.');
}

/** The live browser key `key` is, if it is one. */
export async function findBrowserKey(db: Db, key: string) {
  const found = key.length <= 100 ? await findWriteKey(db, hashOf(key)) : undefined;
  return found?.kind === 'browser' ? found : undefined;
}

/** Segment's scheme: HTTP Basic with the key as user name and an empty password. */
function keyFrom(header: string | undefined): string | undefined {
  const [scheme, encoded] = header?.split(' ') ?? [];
  if (scheme?.toLowerCase() !== 'basic' || !encoded) return undefined;
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const user = decoded.split(':')[0];
  return user || undefined;
}

const refused = (detail: string) =>
  problem('invalid_write_key', detail, {
    headers: { 'www-authenticate': 'Basic realm="analytics"' },
  });

const MISSING =
  'A write key is required: HTTP Basic with the key as user name, or `writeKey` in the body.';

/** The kinds of route that take write keys: Segment's for backends, analytics.js's for pages. */
export type KeyRoutes = 'server' | 'browser';

const WRONG_KIND: Record<KeyRoutes, string> = {
  server:
    'This is a browser write key: it is taken on the analytics.js routes (/t, /p, /i, /g, /a, /s, /b) only.',
  browser:
    'This is a server write key: a web page is public, so it sends with a browser write key (kind "browser", with its origins).',
};

/**
 * The Segment-style routes' check: the live write key of the routes' kind the request names, or
 * 401. Segment takes the key in either of two places, so these do: HTTP Basic with the key as
 * user name (checked `onRequest`, before the body is read), or, on a request with no
 * `Authorization` at all, the body's `writeKey` (checked `preValidation`, once the body is
 * parsed), as Segment's HTTP API documents it first and its browser library sends it (both, in
 * fact). A browser key is taken only from the origins it names (the `Origin` header, which a
 * page cannot set; 403 otherwise): another site's pages cannot send with it from their
 * visitors' browsers. A script outside a browser can send any Origin: the key stays public, and
 * what it may do is limited accordingly (docs/analytics.md, Browser write keys).
 */
export function requireWriteKey(db: Db, routes: KeyRoutes = 'server') {
  const verify = async (request: FastifyRequest, key: string) => {
    // Longer than any key we issue: not worth a lookup.
    const found = key.length <= 100 ? await findWriteKey(db, hashOf(key)) : undefined;
    if (!found) throw refused('The write key is unknown or revoked.');
    if (found.kind !== routes) throw refused(WRONG_KIND[routes]);
    if (found.kind === 'browser' && !found.origins.includes('*')) {
      const origin = request.headers.origin;
      if (typeof origin !== 'string' || !found.origins.includes(origin.toLowerCase())) {
        throw problem(
          'origin_not_allowed',
          origin === undefined
            ? 'This browser write key is taken from its origins only, and the request names none (Origin).'
            : `This browser write key does not allow the origin ${JSON.stringify(origin.slice(0, 200))} (compared exactly: localhost is not 127.0.0.1); an admin adds this origin to the key's origins (PATCH /analytics/v1/write-keys/{id}).`,
        );
      }
    }
    request.writeKey = { id: found.id, name: found.name, kind: found.kind };
  };
  return {
    onRequest: async (request: FastifyRequest) => {
      if (request.headers.authorization === undefined) return;
      const key = keyFrom(request.headers.authorization);
      if (!key) throw refused(MISSING);
      await verify(request, key);
    },
    preValidation: async (request: FastifyRequest) => {
      if (request.writeKey) return;
      const body = request.body as { writeKey?: unknown } | null | undefined;
      const key =
        typeof body === 'object' && body !== null && typeof body.writeKey === 'string'
          ? body.writeKey
          : '';
      if (!key) throw refused(MISSING);
      await verify(request, key);
    },
  };
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The write key a Segment-style request authenticated with. */
    writeKey?: { id: string; name: string; kind: 'server' | 'browser' };
  }
}
