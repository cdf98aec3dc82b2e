import type { Service } from './load.ts';

/** `user-profile` → `USER_PROFILE`: the stem of the variables named after a service. */
export const envStem = (name: string) => name.toUpperCase().replaceAll('-', '_');

/** The variable that moves a service's port under `npm start` (GATEWAY_PORT for the entry point). */
export const portVariable = (name: string) => `${envStem(name)}_PORT`;

/** The setting that carries a service's internal base URL to the services that call it. */
export const urlSetting = (name: string) => `${envStem(name)}_URL`;

/** Compose's `.env` variable for the password of a service's database role. */
export const databasePasswordVariable = (name: string) => `${envStem(name)}_DB_PASSWORD`;

/** The service at port offset 0: the public entry point (the gateway). */
export const entryPoint = (services: readonly Service[]) =>
  services.find((s) => s.port_offset === 0)!;

/** The service whose internal URL `setting` (`AUTH_URL`) is, if it is one. */
export const serviceOfUrlSetting = (services: readonly Service[], setting: string) =>
  services.find((s) => urlSetting(s.name) === setting);

/** The gateway's ROUTES: `name:/prefix=url` for every routed service, in manifest order. */
export function routesSetting(
  services: readonly Service[],
  urlOf: (service: Service) => string | undefined,
): string {
  return services
    .filter((s) => s.prefix)
    .flatMap((s) => {
      const url = urlOf(s);
      return url ? [`${s.name}:${s.prefix}=${url}`] : [];
    })
    .join(';');
}

/**
 * EVENT_SUBSCRIBERS: `name:type,type=url` for every service that subscribes to domain events,
 * `;`-separated, in manifest order; what a producer's outbox relay reads (packages/outbox).
 */
export function eventSubscribersSetting(
  services: readonly Service[],
  urlOf: (service: Service) => string | undefined,
): string {
  return services
    .filter((s) => s.subscribes.length > 0)
    .flatMap((s) => {
      const url = urlOf(s);
      return url ? [`${s.name}:${s.subscribes.join(',')}=${url}`] : [];
    })
    .join(';');
}

/** Every permission a service defines, with the service that defines it. */
export const permissionsOf = (services: readonly Service[]) =>
  services.flatMap((s) => s.permissions.map((p) => ({ ...p, service: s.name })));

/** Each role and the permissions the manifests give it from the start (auth's seed, tests' tables). */
export function rolePermissions(services: readonly Service[]): Record<string, string[]> {
  const table: Record<string, string[]> = {};
  for (const { name, roles } of permissionsOf(services)) {
    for (const role of roles) table[role] = [...(table[role] ?? []), name];
  }
  return table;
}

/**
 * The gateway's EDGE_ROUTES: every manifest's `edge` entries as a JSON array of
 * `{method, url, limit?, body_limit?, requires_token?, basic_auth?, any_origin?, ignores_token?, cache?}` with the prefix put in front; empty when there are none.
 */
export function edgeRoutesSetting(services: readonly Service[]): string {
  const routes = services.flatMap((s) =>
    s.edge.map(({ method, path, ...rest }) => ({ method, url: `${s.prefix}${path}`, ...rest })),
  );
  return routes.length ? JSON.stringify(routes) : '';
}
