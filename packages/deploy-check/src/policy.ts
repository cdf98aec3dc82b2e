import { describe, type K8sObject } from './k8s.ts';

type Container = {
  name: string;
  // biome-ignore lint/suspicious/noExplicitAny: read field by field
  [key: string]: any;
};

/**
 * What this template promises about every rendered overlay beyond the schema: objects refer to
 * each other correctly, and every workload runs restricted, bounded and probed.
 * `externalSecrets` are Secrets created outside the manifests (a secret manager in production).
 */
export function policyErrors(objects: K8sObject[], externalSecrets: string[] = []): string[] {
  const errors: string[] = [];
  const named = (kind: string) =>
    new Map(objects.filter((o) => o.kind === kind).map((o) => [o.metadata?.name ?? '', o]));
  const deployments = named('Deployment');
  const services = named('Service');
  const configMaps = named('ConfigMap');
  const secrets = new Set([...named('Secret').keys(), ...externalSecrets]);
  const podLabels = [...deployments.values()].map(
    (d) => (d.spec?.template?.metadata?.labels ?? {}) as Record<string, string>,
  );
  const selects = (selector: Record<string, string> | undefined) =>
    !!selector &&
    Object.keys(selector).length > 0 &&
    podLabels.some((labels) => Object.entries(selector).every(([k, v]) => labels[k] === v));

  for (const object of objects) {
    const id = describe(object);
    const spec = object.spec ?? {};
    if (object.kind === 'Deployment' || object.kind === 'Job') {
      const pod = spec.template?.spec ?? {};
      for (const container of (pod.containers ?? []) as Container[]) {
        errors.push(...containerErrors(`${id} container ${container.name}`, container, pod));
        for (const from of container.envFrom ?? []) {
          if (from.configMapRef && !configMaps.has(from.configMapRef.name)) {
            errors.push(`${id}: ConfigMap ${from.configMapRef.name} does not exist`);
          }
          if (from.secretRef && !secrets.has(from.secretRef.name)) {
            errors.push(`${id}: Secret ${from.secretRef.name} does not exist`);
          }
        }
        for (const env of container.env ?? []) {
          const ref = env.valueFrom?.secretKeyRef;
          if (ref && !secrets.has(ref.name))
            errors.push(`${id}: Secret ${ref.name} does not exist`);
          // A missing key stops the pod at start (CreateContainerConfigError), not at apply.
          const secret = ref && named('Secret').get(ref.name);
          if (secret && !hasKey(secret, ref.key)) {
            errors.push(`${id}: Secret ${ref.name} has no key ${ref.key} (env ${env.name})`);
          }
          const configRef = env.valueFrom?.configMapKeyRef;
          const configMap = configRef && configMaps.get(configRef.name);
          if (configRef && !configMap) {
            errors.push(`${id}: ConfigMap ${configRef.name} does not exist`);
          } else if (configMap && !hasKey(configMap, configRef.key)) {
            errors.push(
              `${id}: ConfigMap ${configRef.name} has no key ${configRef.key} (env ${env.name})`,
            );
          }
        }
        if (object.kind === 'Deployment') {
          if (container.readinessProbe?.httpGet?.path !== '/health/ready') {
            errors.push(`${id}: readinessProbe must GET /health/ready`);
          }
          if (container.livenessProbe?.httpGet?.path !== '/health/live') {
            errors.push(`${id}: livenessProbe must GET /health/live`);
          }
        }
      }
    }
    if (object.kind === 'Deployment') {
      const pdb = objects.find(
        (o) =>
          o.kind === 'PodDisruptionBudget' &&
          Object.entries(o.spec?.selector?.matchLabels ?? { none: '' }).every(
            ([k, v]) => spec.template?.metadata?.labels?.[k] === v,
          ),
      );
      if (!pdb) errors.push(`${id}: no PodDisruptionBudget selects its pods`);
    }
    if (object.kind === 'Service' && !selects(spec.selector)) {
      errors.push(`${id}: its selector matches no Deployment's pods`);
    }
    if (object.kind === 'PodDisruptionBudget' && !selects(spec.selector?.matchLabels)) {
      errors.push(`${id}: its selector matches no Deployment's pods`);
    }
    if (object.kind === 'HorizontalPodAutoscaler') {
      const target = spec.scaleTargetRef ?? {};
      if (target.kind !== 'Deployment' || !deployments.has(target.name)) {
        errors.push(`${id}: scaleTargetRef ${target.kind}/${target.name} does not exist`);
      }
    }
    if (object.kind === 'Ingress') {
      for (const rule of spec.rules ?? []) {
        for (const p of rule.http?.paths ?? []) {
          const backend = p.backend?.service ?? {};
          const service = services.get(backend.name);
          const port = backend.port ?? {};
          const hasPort = service?.spec?.ports?.some(
            (sp: { name?: string; port: number }) =>
              sp.name === port.name || sp.port === port.number,
          );
          if (!service || !hasPort) {
            errors.push(
              `${id}: backend ${backend.name}:${port.name ?? port.number} does not exist`,
            );
          }
        }
      }
    }
  }
  return errors;
}

const hasKey = (object: K8sObject, key: string) => {
  const { data, stringData } = object as { data?: object; stringData?: object };
  return Object.hasOwn(data ?? {}, key) || Object.hasOwn(stringData ?? {}, key);
};

function containerErrors(id: string, c: Container, pod: Container): string[] {
  const errors: string[] = [];
  const sc = c.securityContext ?? {};
  const podSc = pod.securityContext ?? {};
  if (!(sc.runAsNonRoot ?? podSc.runAsNonRoot)) errors.push(`${id}: runAsNonRoot is not set`);
  if (sc.allowPrivilegeEscalation !== false)
    errors.push(`${id}: allowPrivilegeEscalation must be false`);
  if (sc.readOnlyRootFilesystem !== true) errors.push(`${id}: readOnlyRootFilesystem must be true`);
  if (!sc.capabilities?.drop?.includes('ALL')) errors.push(`${id}: capabilities must drop ALL`);
  const seccomp = sc.seccompProfile?.type ?? podSc.seccompProfile?.type;
  if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') {
    errors.push(`${id}: seccompProfile must be RuntimeDefault`);
  }
  for (const kind of ['requests', 'limits']) {
    if (!c.resources?.[kind]?.cpu || !c.resources?.[kind]?.memory) {
      errors.push(`${id}: resources.${kind} needs cpu and memory`);
    }
  }
  return errors;
}
