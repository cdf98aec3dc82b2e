import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { writeGenerated } from '@platform/generate';
import { loadManifests } from '@platform/manifest';
import { render } from '../src/k8s.ts';
import { checkKustomize } from '../src/overlays.ts';
import { replaceOnce, root, withNotes } from './helper.ts';

// Needs kubectl (its bundled kustomize) or kustomize on PATH: the full tier.
const k8s = path.join(root, 'deploy', 'k8s');

test('dev and prod render with kustomize and every object passes schema and policy', async () => {
  const results = await checkKustomize(k8s);
  assert.deepEqual(Object.keys(results).sort(), ['dev', 'prod']);
  assert.deepEqual(results, { dev: [], prod: [] });
});

test('a service added by its manifest and npm run generate renders in both overlays and passes', async (t) => {
  const dir = withNotes(t);
  writeGenerated(dir);
  const results = await checkKustomize(path.join(dir, 'deploy', 'k8s'));
  assert.deepEqual(results, { dev: [], prod: [] });
  const prod = render(path.join(dir, 'deploy', 'k8s', 'overlays', 'prod'));
  for (const [kind, name] of [
    ['Deployment', 'notes'],
    ['Service', 'notes'],
    ['Job', 'notes-migrations'],
    ['ConfigMap', 'notes-config'],
  ]) {
    assert.ok(
      prod.some((o) => o.kind === kind && o.metadata?.name === name),
      `${kind}/${name}`,
    );
  }
});

test('the overlays differ where they should, for every service', () => {
  const dev = render(path.join(k8s, 'overlays', 'dev'));
  const prod = render(path.join(k8s, 'overlays', 'prod'));
  const find = (list: typeof dev, kind: string, name: string) =>
    list.find((o) => o.kind === kind && o.metadata?.name === name)!;
  for (const s of loadManifests(root)) {
    const devDeployment = find(dev, 'Deployment', s.name);
    assert.equal(devDeployment.metadata?.namespace, 'microservice-template-dev', s.name);
    assert.equal(devDeployment.spec.replicas, 1, s.name);
    const deployment = find(prod, 'Deployment', s.name);
    if (s.kubernetes.autoscale) {
      assert.equal(deployment.spec.replicas, undefined, `${s.name}: the HPA owns it`);
      assert.ok(find(prod, 'HorizontalPodAutoscaler', s.name).spec.minReplicas >= 1, s.name);
    } else {
      assert.ok(deployment.spec.replicas >= (s.kubernetes.replicas ?? 1), s.name);
    }
    assert.equal(
      deployment.spec.template.spec.containers[0].image,
      `registry.example.com/microservice-template/${s.name}:1.0.0`,
    );
    assert.equal(
      find(dev, 'Deployment', s.name).spec.template.spec.containers[0].image,
      `microservice-template/${s.name}:dev`,
    );
  }
  assert.equal(find(prod, 'Deployment', 'auth').spec.replicas, 3, 'replicas.yaml');
  assert.equal(find(prod, 'HorizontalPodAutoscaler', 'main').spec.minReplicas, 3, 'replicas.yaml');
  assert.ok(
    dev.some((o) => o.kind === 'Secret'),
    'dev uses the Secret templates',
  );
  assert.ok(!prod.some((o) => o.kind === 'Secret'), 'prod commits no Secret');
  assert.ok(find(prod, 'Ingress', 'gateway').spec.tls);
  for (const o of prod.filter((o) => o.kind !== 'Namespace'))
    assert.equal(o.metadata?.labels?.['app.kubernetes.io/part-of'], 'microservice-template');
});

function brokenCopy(t: import('node:test').TestContext, file: string, from: string, to: string) {
  const dir = mkdtempSync(path.join(tmpdir(), 'k8s-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(k8s, dir, { recursive: true });
  const target = path.join(dir, file);
  writeFileSync(target, replaceOnce(readFileSync(target, 'utf8'), from, to));
  return dir;
}

test('a schema error introduced by an overlay patch fails that overlay only', async (t) => {
  const dir = brokenCopy(t, 'overlays/prod/replicas.yaml', 'replicas: 3', 'replicas: "3"');
  const results = await checkKustomize(dir);
  assert.deepEqual(results.dev, []);
  assert.ok(
    results.prod!.some(
      (e) => e.includes('Deployment/auth') && e.includes('replicas must be integer'),
    ),
    results.prod!.join('\n'),
  );
});

test('an unknown field in a base file fails every overlay', async (t) => {
  const dir = brokenCopy(t, 'base/ingress.yaml', 'ingressClassName: nginx', 'ingressClass: nginx');
  const results = await checkKustomize(dir);
  for (const overlay of ['dev', 'prod']) {
    assert.ok(
      results[overlay]!.some(
        (e) => e.startsWith('Ingress/gateway:') && e.includes('"ingressClass"'),
      ),
      results[overlay]!.join('\n'),
    );
  }
});

test('a dropped probe or a Service that selects nothing fails the policy', async (t) => {
  const dir = brokenCopy(t, 'base/services/main.yaml', 'path: /health/ready', 'path: /healthz');
  const results = await checkKustomize(dir);
  for (const overlay of ['dev', 'prod']) {
    assert.ok(results[overlay]!.includes('Deployment/main: readinessProbe must GET /health/ready'));
  }
  const other = brokenCopy(
    t,
    'base/services/auth.yaml',
    'selector: { app.kubernetes.io/name: auth }',
    'selector: { app.kubernetes.io/name: authn }',
  );
  assert.ok(
    (await checkKustomize(other)).prod!.includes(
      "Service/auth: its selector matches no Deployment's pods",
    ),
  );
});

test('a kustomization that does not build fails with kustomize’s reason', async (t) => {
  const dir = brokenCopy(
    t,
    'overlays/dev/kustomization.yaml',
    '  - path: ingress.yaml\n',
    '  - path: missing.yaml\n',
  );
  const results = await checkKustomize(dir);
  assert.equal(results.dev!.length, 1);
  assert.match(results.dev![0]!, /kustomize failed .*missing\.yaml/s);
});
