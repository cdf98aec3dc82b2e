import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { databaseUrl } from '@platform/db';
import pg from 'pg';

/**
 * A fresh, empty database on the test server started by `npm test` (scripts/test.ts), so test
 * files never share state. Call `drop()` when done.
 */
export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const server = process.env.TEST_POSTGRES_URL;
  if (!server) throw new Error('TEST_POSTGRES_URL is not set: run the tests with `npm test`');
  const name = `test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: server });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  return {
    url: databaseUrl(server, name),
    drop: async () => {
      const client = new pg.Client({ connectionString: server });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    },
  };
}

/** The secrets a test stack shares: every service sends and checks the same service token. */
export const TEST_SECRETS = {
  SERVICE_TOKEN: 'test-service-token-0123456789abcdef0123456789',
  // 32 bytes, base64url: "test-key-encryption-key-32-bytes".
  KEY_ENCRYPTION_KEY: 'dGVzdC1rZXktZW5jcnlwdGlvbi1rZXktMzItYnl0ZXM',
} as const;

/** A pino destination that keeps every line, for tests that read what was logged. */
export function logCapture(): { stream: Writable; lines: string[]; text(): string } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      callback();
    },
  });
  return { stream, lines, text: () => lines.join('\n') };
}
export { startInflux, type TestInflux } from './influx.ts';
export { type NginxOptions, renderConfig, startNginx, type TestNginx } from './nginx.ts';
export { type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from './otlp.ts';
export { type RawAnswer, sendBody, sendBodyRepeatedly } from './raw-http.ts';
export { startRedis, type TestRedis } from './redis.ts';
export {
  type IssuedToken,
  permissionsFrom,
  startTokenIssuer,
  type TestTokenIssuer,
  type TokenClaims,
  type TokenIssuerOptions,
} from './token-issuer.ts';
