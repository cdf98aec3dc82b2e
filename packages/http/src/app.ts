import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { edgeTracing, serverSpansActive } from '@platform/telemetry';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyServerOptions,
  LogController,
  type RawReplyDefaultExpression,
  type RawRequestDefaultExpression,
  type RawServerDefault,
} from 'fastify';
import { emptyJsonIsNoBody, onlyJsonBodies } from './body-parsers.ts';
import { CLOSING_REFUSAL_HEADER, endQuietConnectionsOnClose } from './closing.ts';
import type { CodeTable } from './codes.ts';
import { registerConditionalReads, registerConditionalWrites } from './conditional.ts';
import { refuseContentCodings } from './content-coding.ts';
import { answerWhatNodeRefuses, clientErrorHandler, routerErrors } from './framework-errors.ts';
import { registerHealth } from './health.ts';
import { parseQuery, strictValidators } from './input-strictness.ts';
import { loggerOptions } from './logging.ts';
import { capLongArrays } from './long-arrays.ts';
import { registerMetrics } from './metrics.ts';
import { swaggerOptions } from './openapi.ts';
import { keepOutgoingIdleShort } from './outgoing.ts';
import { registerProblemHandlers } from './problem.ts';
import {
  type ClientTimeouts,
  DEFAULT_CLIENT_TIMEOUTS,
  requestId,
  serverOptions,
  sharedSerializers,
} from './server-options.ts';
import { edgeLogMixin, registerTracing } from './tracing.ts';
import { watchUndocumentedProblems } from './undocumented-problems.ts';
import { registerWireRules } from './wire.ts';

export type App = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

export interface AppOptions {
  /** Service name, used in logs and metrics. */
  name: string;
  /** URL prefix of the public API, e.g. `/accounts/v1`; the OpenAPI document is served below it. */
  prefix?: string;
  version?: string;
  description?: string;
  logLevel?: string;
  /** The problem codes this service answers (src/errors.ts); the generic ones by default. */
  codes?: CodeTable;
  /** Largest request body accepted, in bytes. */
  bodyLimit?: number;
  /** Replaces the pino logger (tests pass a stream to read what was logged). */
  logger?: FastifyServerOptions['loggerInstance'];
  /** Trust X-Forwarded-For from these proxies (the gateway). */
  trustProxy?: FastifyServerOptions['trustProxy'];
  /** Serve `/metrics` on this app's port (default); the gateway serves it on a port of its own. */
  metricsRoute?: boolean;
  /** How long a client may take to send its request; DEFAULT_CLIENT_TIMEOUTS otherwise. */
  clientTimeouts?: ClientTimeouts;
  /** Name the matched route in ROUTE_HEADER (default); the gateway, which faces clients, does not. */
  routeHeader?: boolean;
  /**
   * Refuse a body in a content coding its route does not decode (415; refuseContentCodings), the
   * default. The gateway passes bodies on as they came: the service behind it decides.
   */
  refuseContentCodings?: boolean;
  /**
   * Hold a change with If-Match to the ETag of the read at its URL (registerConditionalWrites),
   * the default. The gateway passes changes on as they came: the service behind it holds them.
   */
  conditionalWrites?: boolean;
  /**
   * How long a shutdown waits for answers already ended to be read by slow clients before it
   * cuts them (closing.ts): WRITE_OUT_MS, 5 s, by default; it must stay well under the
   * shutdown's 10 s grace. Tests of the cut pass less, to see it without waiting 5 s.
   */
  writeOutMs?: number;
  /**
   * How long a closing app keeps its idle connections open for a request already on its way,
   * refused with the closing mark (closing.ts): IDLE_GRACE_MS, 2 s, by default, when refusals are
   * marked or such requests served (serveWhileClosing); 0 otherwise.
   */
  idleGraceMs?: number;
  /**
   * Mark the 503 a closing app answers a request that arrived too late (CLOSING_REFUSAL_HEADER,
   * closing.ts), the default: the gateway sends such a request to another instance. The gateway,
   * whose callers are clients, does not.
   */
  markClosingRefusals?: boolean;
  /**
   * While closing, answer a request that arrives on a connection kept alive (within the idle
   * grace, IDLE_GRACE_MS by default then) as usual, with `connection: close`, instead of
   * refusing it (closing.ts): the gateway, whose client NGINX sends a POST written on a kept-alive
   * connection nowhere else, and would pass a refusal on to its client.
   */
  serveWhileClosing?: boolean;
  /** OpenAPI security schemes besides `bearer` (e.g. analytics' HTTP Basic write keys). */
  securitySchemes?: Record<string, { type: 'http'; scheme: string; description?: string }>;
}

/** Names the route template a service matched; the gateway reads it and never passes it on. */
export const ROUTE_HEADER = 'x-internal-route';

/**
 * Where a service with routes the gateway may answer from its cache (manifest `edge` entries with
 * `cache: "anonymous"`) publishes `{version}`, a string that changes whenever data those answers
 * show changes (service token only, never routed).
 */
export const CACHE_VERSION_PATH = '/internal/cache-version';

/**
 * On a held answer of CACHE_VERSION_PATH (`?version=<v>&wait=<s>`, a long poll): its headers come
 * at once with the version that is being held, the body `{version}` once it moves or the wait ends.
 */
export const CACHE_VERSION_HELD_HEADER = 'x-cache-version-held';

/**
 * On a held answer of CACHE_VERSION_PATH: a space (valid before the JSON) goes out this many ms
 * apart while it is held, so a caller that hears nothing for longer knows the connection is dead.
 */
export const CACHE_VERSION_HEARTBEAT_HEADER = 'x-cache-version-heartbeat-ms';

/**
 * One validator and serializer compiler per process, shared by every app built in it: a test file
 * builds dozens of apps of one service, and compiling their schemas again for each was a tenth
 * of the unit tier's CPU (ajv, fast-json-stringify). Every app gets the same ajv options, so the
 * pools their registered schemas key are the only difference between apps.
 */
const validators = strictValidators();
const serializers = sharedSerializers();

/**
 * The Fastify instance every service starts from: logging with request ids, problem+json errors,
 * health, metrics and OpenAPI. Services register their routes on it and never listen here.
 */
export async function createApp(options: AppOptions): Promise<App> {
  // Its calls to other services and outside systems drop a connection idle for 1 s (outgoing.ts).
  keepOutgoingIdleShort();
  // The router counts a parameter's UTF-16 units once decoded, schemas count characters (code
  // points): 400 lets through every 200-character value (an emoji is two units), so a route's own
  // `maxLength: 200` decides, and names the parameter; beyond, the router's 400 names it too.
  const maxParamLength = 400;
  const routeHeader = options.routeHeader ?? true;
  const refused = routerErrors(maxParamLength);
  const app = Fastify({
    ...(options.logger
      ? { loggerInstance: options.logger }
      : {
          logger: {
            ...loggerOptions(options.name, options.logLevel ?? 'info'),
            // The gateway's lines get their span's ids from the request, not async context.
            ...(edgeTracing() ? { mixin: edgeLogMixin } : {}),
          },
        }),
    genReqId: requestId,
    logController: new LogController({ requestIdLogLabel: 'request_id' }),
    bodyLimit: options.bodyLimit ?? 256 * 1024,
    trustProxy: options.trustProxy ?? false,
    ...serverOptions(
      options.clientTimeouts ?? DEFAULT_CLIENT_TIMEOUTS,
      // The closing refusal's mark leaves only on that refusal (closing.ts); the route template
      // does not leave an app that does not name it for a gateway in front (the gateway itself).
      routeHeader ? [CLOSING_REFUSAL_HEADER] : [CLOSING_REFUSAL_HEADER, ROUTE_HEADER],
    ),
    ajv: {
      customOptions: {
        allErrors: true,
        coerceTypes: 'array',
        removeAdditional: true,
        // TypeBox always states types; the only untyped schemas are documentation-only bodies
        // (a multipart upload), which ajv would otherwise warn about at every start.
        strictTypes: false,
      },
    },
    // Malformed input is refused in validation, with the field named (see input-strictness.ts).
    schemaController: {
      compilersFactory: {
        buildValidator: validators,
        buildSerializer: serializers,
      },
    },
    routerOptions: { ignoreTrailingSlash: true, maxParamLength, querystringParser: parseQuery },
    frameworkErrors: refused.handler,
    // Answered as a problem instead (closing.ts).
    return503OnClosing: false,
    clientErrorHandler,
  }).withTypeProvider<TypeBoxTypeProvider>();
  refused.track(app);
  answerWhatNodeRefuses(app.server);
  emptyJsonIsNoBody(app);
  onlyJsonBodies(app);
  capLongArrays(app);
  // Before any route is added: it applies to the routes added after it.
  if (options.refuseContentCodings ?? true) refuseContentCodings(app);

  // The hooks every request runs are callback-style: an async hook costs two promises a request.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    // The route template that matched, for the gateway's per-route series (it strips the header):
    // without one, a path no route knows is counted as `unmatched`, not as a route of its own.
    const route = routeHeader ? request.routeOptions.url : undefined;
    if (route) reply.header(ROUTE_HEADER, route);
    done();
  });

  if (serverSpansActive()) registerTracing(app);
  registerProblemHandlers(app, options.codes);
  watchUndocumentedProblems(app);
  registerConditionalReads(app);
  if (options.conditionalWrites ?? true) registerConditionalWrites(app);
  registerWireRules(app);
  registerHealth(app);
  registerMetrics(app, options.name, options.metricsRoute ?? true);
  endQuietConnectionsOnClose(
    app,
    options.writeOutMs,
    options.markClosingRefusals ?? true,
    options.serveWhileClosing ?? false,
    options.idleGraceMs,
  );

  if (options.prefix) {
    await app.register(
      swagger,
      swaggerOptions({
        name: options.name,
        version: options.version ?? '1.0.0',
        ...(options.description ? { description: options.description } : {}),
        ...(options.codes ? { codes: options.codes } : {}),
        ...(options.securitySchemes ? { securitySchemes: options.securitySchemes } : {}),
      }),
    );
    app.get(`${options.prefix}/openapi.json`, { schema: { hide: true } }, async () =>
      app.swagger(),
    );
  }
  return app;
}
