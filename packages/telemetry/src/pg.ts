import { context, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import {
  InstrumentationBase,
  InstrumentationNodeModuleDefinition,
  isWrapped,
} from '@opentelemetry/instrumentation';

/**
 * A span per PostgreSQL query, on the official instrumentation framework (module hooks for CJS
 * and ESM, the SDK's tracer): the spans @opentelemetry/instrumentation-pg makes — same name
 * (`pg.query:SELECT main`), kind and stable attributes (`db.system.name`, `db.namespace`,
 * `db.query.text` without parameters, `db.operation.name`, `server.address`, `server.port`),
 * children of the active span, none outside one — without what that instrumentation does
 * besides on every query: copying the arguments and the query config, a second pair of closures
 * for metrics nobody collects here (no meter provider), wrapping pg-pool's `connect` for
 * connection-count metrics on every checkout. Measured, that was as much CPU as the SDK's span
 * objects for every span of the request together (docs/observability.md, "Measured").
 */

interface Connection {
  database?: string;
  connectionParameters?: { host?: string; port?: number | string };
}
type Query = (this: Connection, ...args: unknown[]) => unknown;
type QueryConfig = { text?: unknown; name?: unknown; callback?: unknown };
interface ClientClass {
  prototype: { query: Query };
}

/** Span name and operation of a statement's text, parsed once (a service runs a few hundred). */
const STATEMENTS = new Map<string, string>();

function operationOf(text: string): string {
  let operation = STATEMENTS.get(text);
  if (operation === undefined) {
    const trimmed = text.trim();
    const space = trimmed.indexOf(' ');
    operation = (space < 0 ? trimmed : trimmed.slice(0, space)).toUpperCase();
    if (operation.endsWith(';')) operation = operation.slice(0, -1);
    if (STATEMENTS.size < 2000) STATEMENTS.set(text, operation);
  }
  return operation;
}

function failed(span: Span, error: unknown) {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string') span.setAttribute('db.response.status_code', code);
  span.setAttribute('error.type', typeof code === 'string' ? code : 'Error');
  span.setStatus({
    code: SpanStatusCode.ERROR,
    message: error instanceof Error ? error.message : String(error),
  });
  span.end();
}

const exportsOf = (module: unknown) =>
  ((module as { [Symbol.toStringTag]?: string })[Symbol.toStringTag] === 'Module'
    ? (module as { default: unknown }).default
    : module) as { Client?: ClientClass };

export class PgQueryInstrumentation extends InstrumentationBase {
  constructor() {
    super('@platform/telemetry/pg', '1.0.0', {});
  }

  protected init() {
    return [
      new InstrumentationNodeModuleDefinition(
        'pg',
        ['>=8.0.3 <9'],
        (module) => {
          const client = exportsOf(module).Client?.prototype;
          if (client) {
            if (isWrapped(client.query)) this._unwrap(client, 'query');
            this._wrap(client, 'query', (original) => this.traced(original as Query));
          }
          return module;
        },
        (module) => {
          const client = exportsOf(module).Client?.prototype;
          if (client && isWrapped(client.query)) this._unwrap(client, 'query');
          return module;
        },
      ),
    ];
  }

  private traced(original: Query): Query {
    const tracer = this.tracer;
    return function query(this: Connection, ...args: unknown[]) {
      const parent = context.active();
      // Queries outside a request (migrations, start-up, pollers) start no trace of their own.
      if (trace.getSpan(parent) === undefined) return original.apply(this, args);
      const first = args[0];
      const config =
        typeof first === 'object' && first !== null ? (first as QueryConfig) : undefined;
      const text = typeof first === 'string' ? first : config?.text;
      if (typeof text !== 'string') return original.apply(this, args);
      const operation = operationOf(text);
      const named = typeof config?.name === 'string' && config.name ? config.name : operation;
      const database = this.database;
      const where = this.connectionParameters;
      const span = tracer.startSpan(
        `pg.query:${named}${database ? ` ${database}` : ''}`,
        {
          kind: SpanKind.CLIENT,
          attributes: {
            'db.system.name': 'postgresql',
            'db.namespace': database ?? '',
            'server.address': where?.host ?? 'localhost',
            'server.port': Number(where?.port) || 5432,
            'db.query.text': text,
            'db.operation.name': operation,
          },
        },
        parent,
      );
      // A callback (pg-pool's `query` passes one) ends the span; it runs in the caller's context.
      const last = args.length - 1;
      const callback = args[last];
      if (typeof callback === 'function') {
        args[last] = context.bind(
          parent,
          function done(this: unknown, error: unknown, result: unknown) {
            if (error) failed(span, error);
            else span.end();
            return callback.call(this, error, result);
          },
        );
        return original.apply(this, args);
      }
      if (config && typeof config.callback === 'function') {
        const given = config.callback as (error: unknown, result: unknown) => unknown;
        config.callback = context.bind(
          parent,
          function done(this: unknown, error: unknown, result: unknown) {
            if (error) failed(span, error);
            else span.end();
            return given.call(this, error, result);
          },
        );
        return original.apply(this, args);
      }
      let result: unknown;
      try {
        result = original.apply(this, args);
      } catch (error) {
        failed(span, error);
        throw error;
      }
      if (result instanceof Promise) {
        return result.then(
          (value) => {
            span.end();
            return value;
          },
          (error) => {
            failed(span, error);
            throw error;
          },
        );
      }
      // A submittable (a cursor, a stream): its end or error ends the span.
      const events = result as { once?: (event: string, listener: (e?: unknown) => void) => void };
      if (typeof events?.once === 'function') {
        events.once('end', () => span.end());
        events.once('error', (error) => failed(span, error));
      } else span.end();
      return result;
    };
  }
}
