import { type App, DomainError, problems } from '@platform/http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { AnalyticsContext } from '../context.ts';
import { isReserved, RESERVED_NAMESPACES } from '../ingestion/schema.ts';
import { SEGMENT_EVENT_NAME, SEGMENT_EVENT_NAME_WORDS } from '../segment/schema.ts';
import { FIXED_EVENT_NAMES, registryFull } from './registry.ts';
import { countEventNames, type ListedName, listEventNames } from './repository.ts';

const bearer = [{ bearer: [] }];
const RESERVED = RESERVED_NAMESPACES.map((n) => `${n}.`);
const tags = ['event-names'];

/** Any name a client can send (Segment's are the widest: printable, up to 200 characters). */
const Name = Type.String({
  minLength: 1,
  maxLength: 200,
  pattern: SEGMENT_EVENT_NAME,
  'x-pattern-message': SEGMENT_EVENT_NAME_WORDS,
  description: 'A registered event name',
});

const RegisteredName = Type.Object({
  name: Type.String(),
  first_seen: Type.String({ format: 'date-time' }),
  registered_by: Type.Union([Type.Literal('trusted'), Type.Literal('public'), Type.Null()], {
    description:
      'trusted: a server write key; public: anonymous or signed-in /track-event, a browser ' +
      'write key; null: registered before the budgets (counted as public)',
  }),
});

const Page = Type.Object({
  items: Type.Array(RegisteredName),
  next_cursor: Type.Union([Type.String(), Type.Null()], { description: 'Null on the last page' }),
  registered: Type.Integer({ description: 'Names registered in all' }),
  public: Type.Integer({ description: 'Of those, names counted in the public share' }),
  max: Type.Integer({ description: 'EVENT_NAMES_MAX' }),
  public_max: Type.Integer({ description: 'EVENT_NAMES_PUBLIC_MAX' }),
});

const Query = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
    cursor: Type.Optional(
      Type.String({
        minLength: 1,
        // base64url of a name of 200 characters of 4 bytes each, in JSON.
        maxLength: 1100,
        pattern: '^[A-Za-z0-9_-]+$',
        'x-pattern-message': 'must be the next_cursor of a previous page',
        description: 'next_cursor of the previous page',
      }),
    ),
    registered_by: Type.Optional(
      Type.Union([Type.Literal('trusted'), Type.Literal('public')], {
        description: 'Only this budget’s names (public: those counted in the public share)',
      }),
    ),
  },
  { additionalProperties: false },
);

/**
 * The name in the query rather than the path (`?name=..`): `.` and `..` are names Segment's
 * clients send, but no URL path carries them — URL parsers (fetch's, the typed client's, the
 * browser's) resolve them as dot segments, percent-encoded too, and the gateway refuses a path
 * holding one before any service sees it.
 */
const NameQuery = Type.Object(
  { name: { ...Name, description: 'The event name (any, `.` and `..` included)' } },
  { additionalProperties: false },
);
const BY_QUERY = ' The same as the path form, for any name: `.` and `..` can only be named here.';

const NAME = new RegExp(SEGMENT_EVENT_NAME, 'u');

/**
 * Opaque and URL-safe as the service's other cursors (base64url of JSON): the last name as it
 * was ("Newcomer Clicked") needed encoding in a query, and read as a name a client may build.
 */
export const encodeNameCursor = (name: string) =>
  Buffer.from(JSON.stringify(['name', name])).toString('base64url');

/**
 * Anything but a cursor this list handed out is a 400, as the other lists' cursors: a name no
 * client can send (a lone surrogate, which `u` patterns take, bytes that are not UTF-8) or the
 * same position written otherwise than encodeNameCursor writes it.
 */
export function decodeNameCursor(cursor: string): string {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString());
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      value[0] === 'name' &&
      typeof value[1] === 'string' &&
      NAME.test(value[1]) &&
      (value[1] as unknown as { isWellFormed(): boolean }).isWellFormed() &&
      encodeNameCursor(value[1]) === cursor
    ) {
      return value[1];
    }
  } catch {}
  throw new DomainError('validation_failed', 'The cursor is invalid.', {
    errors: [{ field: 'cursor', message: 'use next_cursor from a previous page' }],
  });
}

const toJson = (r: ListedName) => ({
  name: r.name,
  first_seen: r.firstSeen.toISOString(),
  registered_by: r.registeredBy,
});

/**
 * The registry of event names for admins, so nobody runs SQL: reading needs analytics:read,
 * deleting a name analytics:manage. Deleting unregisters the name only: events already stored
 * under it stay (retention deletes them), and a sender may register it again while its budget
 * has room.
 */
export function eventNameRoutes(api: App, ctx: AnalyticsContext) {
  const read = api.authorize('analytics:read');
  const manage = api.authorize('analytics:manage');

  api.get(
    '/event-names',
    {
      onRequest: read,
      schema: {
        tags,
        operationId: 'listEventNames',
        errors: ['forbidden'],
        summary: 'Registered event names in name order, with who registered each',
        security: bearer,
        querystring: Query,
        response: { 200: Page },
      },
    },
    async (request) => {
      const { limit, cursor, registered_by: budget } = request.query;
      const after = cursor === undefined ? undefined : decodeNameCursor(cursor);
      const [rows, counts] = await Promise.all([
        listEventNames(ctx.db, { after, limit: limit + 1, budget }),
        countEventNames(ctx.db),
      ]);
      const page = rows.slice(0, limit);
      return {
        items: page.map(toJson),
        next_cursor: rows.length > limit ? encodeNameCursor(page.at(-1)!.name) : null,
        registered: counts.registered,
        public: counts.public,
        max: ctx.eventNames.max,
        public_max: ctx.eventNames.publicMax,
      };
    },
  );

  const vouchDescription =
    'Before a release whose pages send a new name, or to take a name out of the public ' +
    'share (one registered before the budgets, say). Reserved names (user., post.) and ' +
    'the fixed ones (page, screen, identify, group, alias) are a 400: never registered. ' +
    'It comes from the trusted budget: ' +
    'when the whole registry (EVENT_NAMES_MAX) is full it is a 400 naming `name`, as a ' +
    'server key’s new name would be.';
  const vouchSchema = {
    tags,
    errors: ['forbidden'],
    summary: 'Register an event name as trusted, or count a registered one as trusted',
    security: bearer,
    response: { 200: RegisteredName },
  };
  api.put(
    '/event-names/:name',
    {
      onRequest: manage,
      schema: {
        ...vouchSchema,
        operationId: 'registerEventName',
        description: vouchDescription,
        params: Type.Object({ name: Name }),
      },
    },
    (request) => vouch(request, request.params.name),
  );
  api.put(
    '/event-names',
    {
      onRequest: manage,
      schema: {
        ...vouchSchema,
        operationId: 'registerEventNameByQuery',
        description: vouchDescription + BY_QUERY,
        querystring: NameQuery,
      },
    },
    (request) => vouch(request, request.query.name),
  );

  async function vouch(request: FastifyRequest, name: string) {
    // Never sent by clients, or always allowed: a registration would only take room.
    if (isReserved(name) || FIXED_EVENT_NAMES.has(name)) {
      throw problems.badRequest('The event name cannot be registered.', [
        {
          field: 'name',
          message: isReserved(name)
            ? `names under ${RESERVED.join(', ')} are reserved to the services that emit them`
            : `${name} is always allowed (Segment's ${name} calls) and never registered`,
        },
      ]);
    }
    const row = await ctx.eventNames.vouch(name);
    if (!row) {
      throw problems.badRequest('The event name cannot be registered.', [
        { field: 'name', message: registryFull(ctx.eventNames.max) },
      ]);
    }
    request.log.info({ event_name: name, by: request.principal!.userId }, 'event name vouched for');
    return toJson(row);
  }

  const unregisterDescription =
    'Frees its room in the registry (and in the public share if it was counted there). ' +
    'Events already stored under the name are kept until retention deletes them; every ' +
    'replica forgets the name within EVENT_NAMES_REFRESH_MS, after which a new event with ' +
    'it registers it again, from its sender’s budget.';
  const unregisterSchema = {
    tags,
    errors: ['forbidden', 'not_found'],
    summary: 'Unregister an event name (its stored events stay)',
    security: bearer,
    response: { 204: Type.Null({ description: 'Unregistered' }) },
  };
  api.delete(
    '/event-names/:name',
    {
      onRequest: manage,
      schema: {
        ...unregisterSchema,
        operationId: 'deleteEventName',
        description: unregisterDescription,
        params: Type.Object({ name: Name }),
      },
    },
    (request, reply) => unregister(request, reply, request.params.name),
  );
  api.delete(
    '/event-names',
    {
      onRequest: manage,
      schema: {
        ...unregisterSchema,
        operationId: 'deleteEventNameByQuery',
        description: unregisterDescription + BY_QUERY,
        querystring: NameQuery,
      },
    },
    (request, reply) => unregister(request, reply, request.query.name),
  );

  async function unregister(request: FastifyRequest, reply: FastifyReply, name: string) {
    if (!(await ctx.eventNames.delete(name))) {
      throw problems.notFound('No such registered event name.');
    }
    request.log.info(
      { event_name: name, by: request.principal!.userId },
      'event name unregistered',
    );
    return reply.code(204).send(null);
  }
}
