import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadManifests } from '@platform/manifest';
import { readLauncherConfig } from '../src/config.ts';
import { planServices, serviceEnv } from '../src/services.ts';
import { root } from './launch.ts';

// packages/config reads any setting X from the file X_FILE names, and refuses both at once: a
// setting npm start values itself must not meet the shell's X_FILE for it in a service.
test("a setting npm start values is not also handed over as the shell's X_FILE", () => {
  const services = loadManifests(root);
  const config = readLauncherConfig(services, {});
  const { planned } = planServices(config, root, services);
  const stack = {
    config,
    dataDir: root,
    services,
    urls: Object.fromEntries(planned.map((p) => [p.spec.name, p.url])),
  };
  const auth = planned.find((p) => p.spec.name === 'auth')!;
  const env = serviceEnv(auth, stack, 'postgres://x/auth', {
    SERVICE_TOKEN_FILE: '/run/secrets/SERVICE_TOKEN',
    DATABASE_URL_FILE: '/run/secrets/AUTH_DATABASE_URL',
    SMTP_PASSWORD_FILE: '/run/secrets/smtp',
  });
  assert.equal(env.DATABASE_URL, 'postgres://x/auth');
  assert.equal(env.DATABASE_URL_FILE, undefined);
  assert.equal(env.SERVICE_TOKEN_FILE, undefined);
  // Any other variable still reaches the service as it is.
  assert.equal(env.SMTP_PASSWORD_FILE, '/run/secrets/smtp');
});
