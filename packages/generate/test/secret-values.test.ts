import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { loadManifests, type Service } from '@platform/manifest';
import { GenerateError, generateAll } from '../src/index.ts';

const root = path.resolve(import.meta.dirname, '../../..');

/** The manifests, with auth's ADMIN_PASSWORD given `compose` as its Compose value. */
function withAdminPassword(compose: string): Service[] {
  return loadManifests(root).map((s) =>
    s.name !== 'auth'
      ? s
      : {
          ...s,
          settings: {
            ...s.settings,
            own: {
              ...s.settings.own,
              ADMIN_PASSWORD: { ...s.settings.own.ADMIN_PASSWORD!, compose },
            },
          },
        },
  );
}

// A secret is a file in Compose when its value is `${X:?…}` (generated) or `${X:-}` (optional);
// any other form naming a variable (`${X-}`, a default, a URL around it) was written as a plain
// `X: ${X-}` line, the value from .env in the container's environment (docker inspect), and
// nothing said so.
test('a secret whose Compose value takes a variable in any other form is refused, not made a plain value', () => {
  for (const compose of [
    `\${ADMIN_PASSWORD-}`,
    `\${ADMIN_PASSWORD:-change-me}`,
    '$ADMIN_PASSWORD',
    `pw:\${ADMIN_PASSWORD}`,
  ]) {
    assert.throws(
      () => generateAll(root, withAdminPassword(compose)),
      (error: unknown) =>
        error instanceof GenerateError &&
        error.problems.some((p) => p.includes('ADMIN_PASSWORD') && p.includes(compose)),
      compose,
    );
  }
  // A fixed value (analytics' INFLUX_USERNAME, auth's SMTP_URL) is in the repository already.
  assert.doesNotThrow(() => generateAll(root, withAdminPassword('not-from-env')));
  assert.doesNotThrow(() => generateAll(root, withAdminPassword(`$\${literal}`)));
});

// One variable, two services: auth's optional ADMIN_PASSWORD (`${X:-}`) came first and made it
// an `optional` line, so another service's required `${ADMIN_PASSWORD:?…}` was never generated:
// that service then stopped at every fresh start, its ADMIN_PASSWORD_FILE missing.
test('a secret one service requires is generated even where another takes it as optional', () => {
  const services = loadManifests(root).map((s) =>
    s.name !== 'main'
      ? s
      : {
          ...s,
          settings: {
            ...s.settings,
            own: {
              ...s.settings.own,
              ADMIN_PASSWORD: {
                description: 'the same password, required here',
                secret: true,
                compose: `\${ADMIN_PASSWORD:?set ADMIN_PASSWORD in .env}`,
              },
            },
          },
        },
  );
  const init = generateAll(root, services).find((g) => g.file === 'deploy/secrets/init.sh')!;
  assert.match(init.content, /^secret ADMIN_PASSWORD "\$node"$/m);
  assert.doesNotMatch(init.content, /^optional ADMIN_PASSWORD /m);
});
