import { type Static, Type } from 'typebox';

// The descriptions are part of the schema so that editors show them (service.schema.json).

/** Environment variable names, as services read them. */
export const SETTING_NAME = '^[A-Z][A-Z0-9_]*$';
/** Each pattern says in words what it takes (problems.ts): an error never shows the regex. */
const settingName = () =>
  Type.String({
    pattern: SETTING_NAME,
    'x-pattern-message':
      'must be an environment variable name: upper-case letters, digits and _, starting with a letter (DATABASE_URL)',
  });
const quantity = (description: string) =>
  Type.String({
    pattern: '^[0-9]+(\\.[0-9]+)?(m|Mi|Gi|Ki)?$',
    'x-pattern-message':
      'must be a number, then optionally m (thousandths) or Ki, Mi, Gi (100m, 0.5, 128Mi)',
    description,
  });
/** Lower-case names: services, roles, rate limits. */
const LOWER_NAME = '^[a-z][a-z0-9-]*$';
const LOWER_NAME_WORDS = 'lower-case letters, digits and -, starting with a letter';
const closed = { additionalProperties: false } as const;
const text = (description: string) => Type.String({ minLength: 1, description });

export const OwnSetting = Type.Object(
  {
    description: text('What it does; repeated as a comment in the generated files.'),
    secret: Type.Optional(
      Type.Boolean({
        default: false,
        description: "Kubernetes keeps it in the service's Secret rather than its ConfigMap.",
      }),
    ),
    launcher: Type.Optional(
      Type.String({
        description:
          // biome-ignore lint/suspicious/noTemplateCurlyInString: the launcher's ${VAR}, not JavaScript's
          "Its value under npm start, for this service only: ${VAR} is VAR of npm start's environment, or read from the file VAR_FILE names (unset: the setting is unset), ${DATA_DIR} its data folder. Absent: npm start's environment passes through as it is.",
      }),
    ),
    compose: Type.Optional(
      Type.String({
        description:
          // biome-ignore lint/suspicious/noTemplateCurlyInString: Compose's ${VAR}, not JavaScript's
          "Its value in compose.yaml, with Compose's ${VAR:-default} interpolation (.env.example documents the variables). A secret that is one variable, ${VAR:?message}, is generated on the first start unless .env sets VAR, and read from a file (NAME_FILE). Absent: not set.",
      }),
    ),
    kubernetes: Type.Optional(
      Type.String({
        description:
          "Its value in the service's ConfigMap, or the placeholder in its Secret template. Absent: not set.",
      }),
    ),
  },
  { ...closed, description: 'A setting only this service reads, valued for each place it runs.' },
);

export const Permission = Type.Object(
  {
    name: Type.String({
      pattern: '^[a-z][a-z0-9-]*:[a-z][a-z0-9-]*$',
      'x-pattern-message': `must be resource:action, each ${LOWER_NAME_WORDS} (posts:write)`,
      description: 'resource:action',
    }),
    description: text('What it allows.'),
    roles: Type.Array(
      Type.String({
        pattern: LOWER_NAME,
        'x-pattern-message': `must be a role: ${LOWER_NAME_WORDS} (editor)`,
      }),
      {
        uniqueItems: true,
        description: 'The roles that hold it from the start.',
      },
    ),
  },
  closed,
);

export const EdgeRoute = Type.Object(
  {
    method: Type.Union(['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].map((m) => Type.Literal(m))),
    path: Type.String({
      pattern: '^(/([A-Za-z0-9._~-]+|:[A-Za-z][A-Za-z0-9_]*))+$',
      'x-pattern-message':
        'must be a path: one or more /segments, each letters, digits, . _ ~ or -, or a :name parameter (/v1/posts/:id)',
      description:
        'Below its prefix: /v1/login; a `:name` segment is a path parameter, any one segment (/v1/projects/:writeKey/settings).',
    }),
    limit: Type.Optional(
      Type.String({
        pattern: LOWER_NAME,
        'x-pattern-message': `must be the name of a rate limit: ${LOWER_NAME_WORDS} (login)`,
        description:
          "One of the gateway's stricter per-address rate limits (login, register, password-reset): for routes that guess or spend credentials.",
      }),
    ),
    body_limit: Type.Optional(
      Type.Integer({
        minimum: 1,
        description: 'The largest body, in bytes, the gateway lets through.',
      }),
    ),
    requires_token: Type.Optional(
      Type.Boolean({
        description:
          'The service answers only signed-in callers here: the gateway refuses a request without a valid token with 401 before reading its body (large uploads).',
      }),
    ),
    basic_auth: Type.Optional(
      Type.Boolean({
        description:
          'The service checks HTTP Basic credentials here itself (API or write keys): the gateway passes an `Authorization: Basic` header through instead of refusing it as a bad token.',
      }),
    ),
    any_origin: Type.Optional(
      Type.Boolean({
        description:
          "Web pages on any origin call it without credentials (a public key in the body or a Basic header, as analytics.js sends): the gateway answers its CORS preflight and puts `Access-Control-Allow-Origin: *` on its answers (its own refusals too: 429, 413, 502) whatever CORS_ORIGINS says, and the service decides which origins it takes (analytics: a browser write key's origins).",
      }),
    ),
    ignores_token: Type.Optional(
      Type.Boolean({
        description:
          'The route hands out tokens (sign-in, refresh, sign-up) or ends a session (logout with its refresh token): the gateway passes a request with a bad, expired or revoked Bearer token through instead of refusing it with 401, and the service decides (route config `ignoresToken`, or `tokenOptional` where a good token still names the caller), since a client replacing or giving up its token often still attaches the old one.',
      }),
    ),
    cache: Type.Optional(
      Type.Literal('anonymous', {
        description:
          'GET only, for answers to anonymous callers that depend on the URL and the data alone (not on Host, Accept-Language or the like: they are kept by URL). The gateway may keep the public answers (strong ETag, `Cache-Control: public`) here and serve them without asking the service while current: the service must serve `GET /internal/cache-version` (`{version}`, service token) whose version changes with every write those answers show.',
      }),
    ),
  },
  { ...closed, description: 'A route the gateway treats apart from the rest of the prefix.' },
);

const Resources = Type.Object(
  { cpu: quantity('CPU, e.g. 100m or "1"'), memory: quantity('memory, e.g. 128Mi') },
  closed,
);

export const ManifestSchema = Type.Object(
  {
    $schema: Type.Optional(Type.String()),
    $comment: Type.Optional(
      Type.String({ description: 'Why something here is as it is (JSON has no comments).' }),
    ),
    name: Type.String({
      pattern: LOWER_NAME,
      'x-pattern-message': `must be ${LOWER_NAME_WORDS} (order-history)`,
      maxLength: 40,
      description:
        'Its folder name; also its Compose service, Kubernetes objects, image, database and role.',
    }),
    description: text('One line; repeated as a comment in the generated files.'),
    prefix: Type.Optional(
      Type.String({
        pattern: '^(/[a-z0-9][a-z0-9._~-]*)+$',
        'x-pattern-message':
          'must be a path: one or more /segments, each a lower-case letter or digit followed by lower-case letters, digits, . _ ~ or - (/accounts, /v1/orders)',
        description:
          'The public path prefix the gateway routes to it (/accounts). Absent: not routed.',
      }),
    ),
    port_offset: Type.Integer({
      minimum: 0,
      maximum: 99,
      description:
        'Under npm start it listens on GATEWAY_PORT + this unless <NAME>_PORT is set. Exactly one service has 0: the entry point.',
    }),
    database: Type.Optional(
      Type.Boolean({
        default: false,
        description: 'It owns a PostgreSQL database and role named after it (DATABASE_URL).',
      }),
    ),
    start_first: Type.Optional(
      Type.Boolean({
        default: false,
        description: 'Started and ready before the others, which fetch something from it at start.',
      }),
    ),
    settings: Type.Object(
      {
        platform: Type.Array(settingName(), {
          uniqueItems: true,
          description:
            'Platform settings it reads (packages/manifest/src/platform.ts), and <SERVICE>_URL for each service it calls.',
        }),
        // propertyNames: a name without its pattern is said as such, in words.
        own: Type.Optional(
          Type.Record(settingName(), OwnSetting, { ...closed, propertyNames: settingName() }),
        ),
      },
      {
        ...closed,
        description: 'The settings it reads beyond PORT, HOST, LOG_LEVEL, SERVICE_NAME.',
      },
    ),
    edge: Type.Optional(
      Type.Array(EdgeRoute, {
        description: 'Routes of its prefix the gateway limits apart (EDGE_ROUTES).',
      }),
    ),
    permissions: Type.Optional(
      Type.Array(Permission, { description: 'The permissions its API checks.' }),
    ),
    subscribes: Type.Optional(
      Type.Array(
        Type.String({
          pattern: '^(\\*|[a-z][a-z0-9_-]*\\.(\\*|[a-z][a-z0-9_]*))$',
          'x-pattern-message':
            'must be an event type (user.deleted), every type of one source (user.*) or * for all: the source lower-case letters, digits, _ and -, the type lower-case letters, digits and _, each starting with a letter',
          maxLength: 100,
        }),
        {
          uniqueItems: true,
          description:
            "Domain event types it receives on POST /internal/events from every producing service's outbox (EVENT_SUBSCRIBERS): `user.deleted`, `user.*`, or `*` for all.",
        },
      ),
    ),
    metrics_port: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 65535,
        description:
          'Its /metrics is served on this port (METRICS_PORT) rather than the public one; Compose and Kubernetes set it and Prometheus scrapes it there. npm start leaves it unset.',
      }),
    ),
    node_options: Type.Optional(
      Type.Array(
        Type.String({
          pattern: '^--[a-z]',
          'x-pattern-message':
            'must be a Node.js flag: -- then a lower-case letter (--max-old-space-size=256)',
        }),
        {
          description: 'Node.js flags, the same under npm start, Compose and Kubernetes.',
        },
      ),
    ),
    compose: Type.Optional(
      Type.Object(
        {
          replicas: Type.Optional(Type.Integer({ minimum: 1 })),
          networks: Type.Optional(
            Type.Array(Type.String(), {
              minItems: 1,
              uniqueItems: true,
              description: 'Default: the backend network only.',
            }),
          ),
        },
        closed,
      ),
    ),
    kubernetes: Type.Optional(
      Type.Object(
        {
          replicas: Type.Optional(
            Type.Integer({
              minimum: 1,
              description: 'A fixed count (default 1); not with autoscale.',
            }),
          ),
          autoscale: Type.Optional(
            Type.Object(
              {
                min: Type.Integer({ minimum: 1 }),
                max: Type.Integer({ minimum: 1 }),
                cpu_percent: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 70 })),
              },
              {
                ...closed,
                description: 'A HorizontalPodAutoscaler on CPU owns the replica count.',
              },
            ),
          ),
          headless: Type.Optional(
            Type.Boolean({
              description: 'Its Service resolves to every pod, so callers balance per pod.',
            }),
          ),
          resources: Type.Optional(
            Type.Object(
              { requests: Resources, limits: Resources },
              { ...closed, description: 'Default: requests 100m/128Mi, limits 1/256Mi.' },
            ),
          ),
        },
        closed,
      ),
    ),
  },
  {
    ...closed,
    title: 'Service manifest',
    description:
      'services/<name>/service.json: everything the platform needs to run the service (docs/services-as-data.md).',
  },
);

export type Manifest = Static<typeof ManifestSchema>;
export type OwnSetting = Static<typeof OwnSetting>;
export type Permission = Static<typeof Permission>;
export type EdgeRoute = Static<typeof EdgeRoute>;

/**
 * The JSON Schema file editors read (`"$schema"` in each service.json); generated and checked.
 * A pattern's words go in `patternErrorMessage` too: the key VS Code's JSON support shows
 * instead of the regex (it does not read `x-pattern-message`).
 */
export const manifestJsonSchema = () =>
  `${JSON.stringify(
    { $schema: 'https://json-schema.org/draft/2020-12/schema', ...ManifestSchema },
    (_key, value: unknown) =>
      value &&
      typeof value === 'object' &&
      typeof (value as Record<string, unknown>)['x-pattern-message'] === 'string'
        ? { ...value, patternErrorMessage: (value as Record<string, unknown>)['x-pattern-message'] }
        : value,
    2,
  )}\n`;
