import { randomUUID } from 'node:crypto';
import { ConfigError } from '@platform/config';
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
import { insertKey, lockRotation, newestKeys, plaintextKeys, storeSealed } from './repository.ts';
import { SealError, type Sealer } from './sealing.ts';

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
  /** Seals private keys before they are stored and opens them when loaded. */
  sealer: Sealer;
}

/**
 * Signing keys live in the auth database so every replica signs with the same key and a
 * restart keeps them; the private half only sealed (KEY_ENCRYPTION_KEY). Rotation happens under
 * an advisory lock so replicas agree on one new key.
 */
export function createKeyStore(db: Db, options: KeyStoreOptions): KeyStore {
  let signing: { kid: string; key: CryptoKey } | undefined;
  let published: JWK[] = [];
  let local = createLocalJWKSet({ keys: [] });

  const seal = (jwk: JWK, kid: string) => options.sealer.seal(JSON.stringify(jwk), kid);

  async function rotateIfDue() {
    await db.transaction(async (tx) => {
      await lockRotation(tx);
      // Keys stored in plaintext before sealing existed are sealed in place, once.
      for (const row of await plaintextKeys(tx)) {
        await storeSealed(tx, row.kid, seal(row.privateJwk as JWK, row.kid));
      }
      const [newest] = await newestKeys(tx, 1);
      const age = newest ? (Date.now() - newest.createdAt.getTime()) / 1000 : Infinity;
      if (age < options.rotationInterval) return;
      const { publicKey, privateKey } = await generateKeyPair(ALGORITHM, {
        crv: 'Ed25519',
        extractable: true,
      });
      const kid = randomUUID();
      await insertKey(tx, {
        kid,
        algorithm: ALGORITHM,
        privateKeySealed: seal(await exportJWK(privateKey), kid),
        publicJwk: { ...(await exportJWK(publicKey)), kid, alg: ALGORITHM, use: 'sig' },
      });
    });
  }

  async function refresh() {
    await rotateIfDue();
    const rows = await newestKeys(db, 2);
    const current = rows[0];
    if (!current) throw new Error('no signing key');
    signing = {
      kid: current.kid,
      key: (await importJWK(openPrivateKey(current), current.algorithm, {
        extractable: false,
      })) as CryptoKey,
    };
    published = rows.map((r) => r.publicJwk as JWK);
    local = createLocalJWKSet({ keys: published });
  }

  function openPrivateKey(row: { kid: string; privateKeySealed: string | null }): JWK {
    try {
      if (!row.privateKeySealed) throw new SealError('no sealed private key');
      return JSON.parse(options.sealer.open(row.privateKeySealed, row.kid)) as JWK;
    } catch (error) {
      if (!(error instanceof SealError)) throw error;
      // A configuration problem, not a bug: one line, no stack, and the service does not start.
      throw new ConfigError(
        `KEY_ENCRYPTION_KEY does not open signing key ${row.kid} in the database (${error.message}): set the key it was sealed with (KEY_ENCRYPTION_KEY, or during a rotation KEY_ENCRYPTION_KEY_PREVIOUS)`,
      );
    }
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
