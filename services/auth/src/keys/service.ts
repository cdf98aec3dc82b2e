import { randomUUID } from 'node:crypto';
import { desc, sql } from 'drizzle-orm';
import {
  type CryptoKey,
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
  type JWTVerifyGetKey,
  SignJWT,
} from 'jose';
import type { Db } from '../db/index.ts';
import { signingKeys } from '../db/schema.ts';

const ALGORITHM = 'EdDSA';

export interface AccessClaims {
  userId: string;
  sessionId: string;
  roles: string[];
  permissions: string[];
}

export interface KeyStore {
  /** Loads keys from the database, creating or rotating the signing key when due. */
  refresh(): Promise<void>;
  sign(claims: AccessClaims): Promise<string>;
  /** The current and the previous public key, so tokens signed before a rotation still verify. */
  jwks(): { keys: JWK[] };
  /** Verification keys for this process's own use (no HTTP round trip). */
  verificationKeys: JWTVerifyGetKey;
}

export interface KeyStoreOptions {
  issuer: string;
  audience: string;
  accessTokenTtl: number;
  rotationInterval: number;
}

/**
 * Signing keys live in the auth database so every replica signs with the same key and a
 * restart keeps them. Rotation happens under an advisory lock so replicas agree on one new key.
 */
export function createKeyStore(db: Db, options: KeyStoreOptions): KeyStore {
  let signing: { kid: string; key: CryptoKey } | undefined;
  let published: JWK[] = [];
  let local = createLocalJWKSet({ keys: [] });

  async function rotateIfDue() {
    await db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(hashtext('signing-key-rotation'))`);
      const [newest] = await tx
        .select()
        .from(signingKeys)
        .orderBy(desc(signingKeys.createdAt))
        .limit(1);
      const age = newest ? (Date.now() - newest.createdAt.getTime()) / 1000 : Infinity;
      if (age < options.rotationInterval) return;
      const { publicKey, privateKey } = await generateKeyPair(ALGORITHM, {
        crv: 'Ed25519',
        extractable: true,
      });
      const kid = randomUUID();
      await tx.insert(signingKeys).values({
        kid,
        algorithm: ALGORITHM,
        privateJwk: { ...(await exportJWK(privateKey)) },
        publicJwk: { ...(await exportJWK(publicKey)), kid, alg: ALGORITHM, use: 'sig' },
      });
    });
  }

  async function refresh() {
    await rotateIfDue();
    const rows = await db.select().from(signingKeys).orderBy(desc(signingKeys.createdAt)).limit(2);
    const current = rows[0];
    if (!current) throw new Error('no signing key');
    signing = {
      kid: current.kid,
      key: (await importJWK(current.privateJwk as JWK, current.algorithm)) as CryptoKey,
    };
    published = rows.map((r) => r.publicJwk as JWK);
    local = createLocalJWKSet({ keys: published });
  }

  return {
    refresh,
    jwks: () => ({ keys: published }),
    verificationKeys: (header, token) => local(header, token),
    async sign(claims) {
      if (!signing) throw new Error('key store not loaded');
      return new SignJWT({
        sid: claims.sessionId,
        roles: claims.roles,
        permissions: claims.permissions,
      })
        .setProtectedHeader({ alg: ALGORITHM, kid: signing.kid, typ: 'at+jwt' })
        .setSubject(claims.userId)
        .setIssuer(options.issuer)
        .setAudience(options.audience)
        .setIssuedAt()
        .setExpirationTime(`${options.accessTokenTtl}s`)
        .setJti(randomUUID())
        .sign(signing.key);
    },
  };
}
