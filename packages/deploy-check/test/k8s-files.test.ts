import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { manifestFiles, parseManifests, schemaErrors } from '../src/k8s.ts';
import { policyErrors } from '../src/policy.ts';
import { strictErrors } from '../src/strict.ts';
import { root } from './helper.ts';

const base = path.join(root, 'deploy', 'k8s', 'base');
const objects = () => manifestFiles(base).flatMap((f) => f.objects);

test('every object in deploy/k8s/base validates against the Kubernetes OpenAPI schemas', async () => {
  const all = objects();
  const kinds = new Set(all.map((o) => o.kind));
  for (const kind of ['Deployment', 'Service', 'PodDisruptionBudget', 'HorizontalPodAutoscaler']) {
    assert.ok(kinds.has(kind), `base has a ${kind}`);
  }
  for (const kind of ['Ingress', 'ConfigMap', 'Secret', 'Job']) assert.ok(kinds.has(kind), kind);
  assert.deepEqual(await schemaErrors(all), []);
  assert.deepEqual(strictErrors(all), []);
});

test('an unknown field, which the OpenAPI schemas let through, fails the strict check', () => {
  const broken = parseManifests(`
apiVersion: apps/v1
kind: Deployment
metadata: { name: web }
spec:
  replica: 2
  selector: { matchLabels: { app: web } }
  template: { spec: { containers: [{ name: web, image: web }] } }
---
apiVersion: v1
kind: Service
metadata: { name: web }
spec: { ports: [{ port: 80, targetport: 8080 }] }
`);
  const errors = strictErrors(broken);
  assert.equal(errors.length, 2, errors.join('\n'));
  assert.match(
    errors[0]!,
    /^Deployment\/web: .*'"replica"' does not exist in type 'IDeploymentSpec'/,
  );
  assert.match(errors[1]!, /^Service\/web: .*'"targetport"' does not exist/);
});

test('the base, with its Secret templates, passes the policy: references, probes, limits, security', () => {
  assert.deepEqual(policyErrors(objects()), []);
});

test('a wrong type, a missing required field or an unknown kind fails the schema check', async () => {
  const broken = parseManifests(`
apiVersion: apps/v1
kind: Deployment
metadata: { name: web }
spec:
  replicas: two
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers:
        - name: web
          image: web
          readinessProbe: { httpGet: { path: /health/ready } }
---
apiVersion: policy/v1beta3
kind: PodDisruptionBudget
metadata: { name: web }
`);
  const errors = await schemaErrors(broken);
  assert.ok(
    errors.some(
      (e) => e.includes('Deployment/web') && e.includes('/spec/replicas must be integer'),
    ),
    errors.join('\n'),
  );
  assert.ok(
    errors.some((e) => e.includes('readinessProbe/httpGet must have required property port')),
  );
  assert.ok(
    errors.some((e) => e.includes('unknown apiVersion/kind policy/v1beta3 PodDisruptionBudget')),
  );
});

test('policy: no probes, no limits, root and writable filesystem, dangling references', () => {
  const broken = parseManifests(`
apiVersion: apps/v1
kind: Deployment
metadata: { name: web }
spec:
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers:
        - name: web
          image: web
          envFrom: [{ secretRef: { name: web-secrets } }]
          env:
            - { name: A, valueFrom: { configMapKeyRef: { name: web-config, key: A } } }
            - { name: B, valueFrom: { configMapKeyRef: { name: other, key: B } } }
            - { name: C, valueFrom: { secretKeyRef: { name: web-keys, key: C } } }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: web-config }
data: { B: b }
---
apiVersion: v1
kind: Secret
metadata: { name: web-keys }
stringData: { D: d }
---
apiVersion: v1
kind: Service
metadata: { name: web }
spec: { selector: { app: wbe }, ports: [{ port: 80 }] }
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: { name: web }
spec: { scaleTargetRef: { apiVersion: apps/v1, kind: Deployment, name: api }, maxReplicas: 3 }
`);
  const errors = policyErrors(broken).join('\n');
  for (const expected of [
    'Deployment/web container web: runAsNonRoot is not set',
    'readOnlyRootFilesystem must be true',
    'capabilities must drop ALL',
    'seccompProfile must be RuntimeDefault',
    'resources.limits needs cpu and memory',
    'Deployment/web: readinessProbe must GET /health/ready',
    'Deployment/web: livenessProbe must GET /health/live',
    'Deployment/web: Secret web-secrets does not exist',
    'Deployment/web: ConfigMap web-config has no key A (env A)',
    'Deployment/web: ConfigMap other does not exist',
    'Deployment/web: Secret web-keys has no key C (env C)',
    'Deployment/web: no PodDisruptionBudget selects its pods',
    "Service/web: its selector matches no Deployment's pods",
    'HorizontalPodAutoscaler/web: scaleTargetRef Deployment/api does not exist',
  ]) {
    assert.ok(errors.includes(expected), `expected "${expected}" in\n${errors}`);
  }
});

test('every Deployment exports traces: the OTEL_* variables from telemetry-config', async () => {
  const { tracingSettings } = await import('@platform/telemetry');
  const all = objects();
  const telemetry = all.find(
    (o) => o.kind === 'ConfigMap' && o.metadata?.name === 'telemetry-config',
  );
  assert.ok(telemetry, 'a telemetry-config ConfigMap');
  const data = (telemetry as unknown as { data: Record<string, string> }).data;
  const deployments = all.filter((o) => o.kind === 'Deployment');
  assert.ok(deployments.length >= 4);
  for (const deployment of deployments) {
    const name = deployment.metadata!.name!;
    const container = deployment.spec.template.spec.containers[0];
    const refs = (container.envFrom ?? []).map(
      (e: { configMapRef?: { name: string } }) => e.configMapRef?.name,
    );
    assert.ok(refs.includes('telemetry-config'), `${name} reads telemetry-config`);
    // What the service makes of it: tracing on, named after itself, OTLP/protobuf.
    const settings = tracingSettings({ ...data, SERVICE_NAME: name });
    assert.deepEqual(settings, {
      protocol: 'http/protobuf',
      serviceName: name,
      edge: name === 'gateway',
    });
  }
});
