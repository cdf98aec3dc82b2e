import { TEST_SECRETS } from '@platform/testing';
import { type CryptoKey, importJWK, type JWK } from 'jose';
import pg from 'pg';
import { createSealer } from '../src/keys/sealing.ts';

/**
 * The auth service's current private signing key, read from its database and opened with the
 * test KEY_ENCRYPTION_KEY: for tests that mint tokens the service would never issue.
 */
export async function currentSigningKey(
  databaseUrl: string,
): Promise<{ kid: string; privateKey: CryptoKey; jwk: JWK }> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ kid: string; private_key_sealed: string }>(
      'select kid, private_key_sealed from signing_keys order by created_at desc limit 1',
    );
    const row = rows[0];
    if (!row) throw new Error('no signing key yet');
    const sealer = createSealer(TEST_SECRETS.KEY_ENCRYPTION_KEY);
    const jwk = JSON.parse(sealer.open(row.private_key_sealed, row.kid)) as JWK;
    return { kid: row.kid, jwk, privateKey: (await importJWK(jwk, 'EdDSA')) as CryptoKey };
  } finally {
    await client.end();
  }
}
