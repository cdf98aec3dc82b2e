import { type Static, Type } from 'typebox';

/** Environment variable names, as services read them. */
export const SETTING_NAME = '^[A-Z][A-Z0-9_]*$';
const settingName = () => Type.String({ pattern: SETTING_NAME });
const quantity = (description: string) =>
  Type.String({ pattern: '^[0-9]+(\\.[0-9]+)?(m|Mi|Gi|Ki)?$', description });
const closed = { additionalProperties: false } as const;

/** A setting only this service reads, with its value in each place it runs. */
export const OwnSetting = Type.Object(
  {
    description: Type.String({ minLength: 1 }),
    /** Kubernetes keeps it in the service's Secret; Compose must take it from `.env`. */
    secret: Type.Optional(Type.Boolean({ default: false })),
    /** `npm start`: `${VAR}` is VAR of the launcher's environment (unset: the setting is unset), `${DATA_DIR}` its data folder. Absent: not set. */
    launcher: Type.Optional(Type.String()),
    /** compose.yaml, with Compose's own `${VAR:-default}` / `${VAR:?message}` interpolation. Absent: not set. */
    compose: Type.Optional(Type.String()),
    /** Kubernetes: the value in the service's ConfigMap, or the placeholder in its Secret template. Absent: not set. */
    kubernetes: Type.Optional(Type.String()),
  },
  closed,
);

export const Permission = Type.Object(
  {
    name: Type.String({ pattern: '^[a-z][a-z0-9-]*:[a-z][a-z0-9-]*$' }),
    description: Type.String({ minLength: 1 }),
    /** Roles that hold it from the start; an admin can change this later through auth. */
    roles: Type.Array(Type.String({ pattern: '^[a-z][a-z0-9-]*$' }), { uniqueItems: true }),
  },
  closed,
);

const Resources = Type.Object(
  {
    cpu: quantity('CPU, e.g. 100m or "1"'),
    memory: quantity('memory, e.g. 128Mi'),
  },
  closed,
);

/** `services/<name>/service.json`: everything the platform needs to know to run the service. */
export const ManifestSchema = Type.Object(
  {
    $schema: Type.Optional(Type.String()),
    /** Why something below is as it is (JSON has no comments). */
    $comment: Type.Optional(Type.String()),
    /** Its folder name; also its Compose service, Kubernetes objects, image and database. */
    name: Type.String({ pattern: '^[a-z][a-z0-9-]*$', maxLength: 40 }),
    description: Type.String({ minLength: 1 }),
    /** Public path prefix the gateway routes to it (`/accounts`); absent: not routed. */
    prefix: Type.Optional(Type.String({ pattern: '^(/[a-z0-9][a-z0-9._~-]*)+$' })),
    /** Under `npm start` it listens on GATEWAY_PORT + this unless `<NAME>_PORT` is set; 0 is the entry point. */
    port_offset: Type.Integer({ minimum: 0, maximum: 99 }),
    /** It owns a PostgreSQL database named after it (DATABASE_URL). */
    database: Type.Optional(Type.Boolean({ default: false })),
    /** Started and ready before the others (they fetch something from it at start). */
    start_first: Type.Optional(Type.Boolean({ default: false })),
    settings: Type.Object(
      {
        /** Settings the platform provides (see packages/manifest/src/platform.ts), and `<SERVICE>_URL`. */
        platform: Type.Array(settingName(), { uniqueItems: true }),
        own: Type.Optional(Type.Record(settingName(), OwnSetting, closed)),
      },
      closed,
    ),
    /** Permissions its API checks; auth grants them to roles. */
    permissions: Type.Optional(Type.Array(Permission)),
    /** Its own `/metrics` is served on this port (METRICS_PORT) instead of the service port: Compose and Kubernetes set it and Prometheus scrapes it there; `npm start` leaves it unset. */
    metrics_port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
    /** Node.js flags, in `npm start`, Compose and Kubernetes alike. */
    node_options: Type.Optional(Type.Array(Type.String({ pattern: '^--[a-z]' }))),
    compose: Type.Optional(
      Type.Object(
        {
          replicas: Type.Optional(Type.Integer({ minimum: 1 })),
          /** Default: the backend network only. */
          networks: Type.Optional(Type.Array(Type.String(), { minItems: 1, uniqueItems: true })),
        },
        closed,
      ),
    ),
    kubernetes: Type.Optional(
      Type.Object(
        {
          /** Fixed replica count (default 1); leave it out with autoscale. */
          replicas: Type.Optional(Type.Integer({ minimum: 1 })),
          /** A HorizontalPodAutoscaler on CPU owns the replica count. */
          autoscale: Type.Optional(
            Type.Object(
              {
                min: Type.Integer({ minimum: 1 }),
                max: Type.Integer({ minimum: 1 }),
                cpu_percent: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
              },
              closed,
            ),
          ),
          /** A headless Service: its name resolves to every pod, so callers balance per pod. */
          headless: Type.Optional(Type.Boolean()),
          resources: Type.Optional(Type.Object({ requests: Resources, limits: Resources }, closed)),
        },
        closed,
      ),
    ),
  },
  { ...closed, title: 'Service manifest', description: 'services/<name>/service.json' },
);

export type Manifest = Static<typeof ManifestSchema>;
export type OwnSetting = Static<typeof OwnSetting>;
export type Permission = Static<typeof Permission>;

/** The JSON Schema file editors read (`"$schema"` in each service.json); generated and checked. */
export const manifestJsonSchema = () =>
  `${JSON.stringify({ $schema: 'https://json-schema.org/draft/2020-12/schema', ...ManifestSchema }, null, 2)}\n`;
