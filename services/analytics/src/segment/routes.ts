import {
  type AjvError,
  type App,
  decodeContentCoding,
  fieldErrors,
  jsonBodyParser,
  namedSchemas,
} from '@platform/http';
import type { FastifyBaseLogger, FastifyRequest } from 'fastify';
import type { AnalyticsContext } from '../context.ts';
import { type KeyRoutes, requireWriteKey } from '../write-keys/service.ts';
import { convert } from './convert.ts';
import { noneAccepted, partlyAccepted, type Refusal } from './refusals.ts';
import {
  BatchBody,
  BatchEnvelope,
  MAX_BATCH_BYTES,
  MAX_BATCH_MESSAGES,
  MAX_MESSAGE_BYTES,
  MESSAGE_TYPES,
  Message,
  type MessageType,
  OneMessage,
  SEGMENT_SCHEMAS,
  Success,
} from './schema.ts';
import { admitNames, ingest } from './service.ts';

/** HTTP Basic, or none: the key may come in the body (`writeKey`). */
const security: Record<string, string[]>[] = [{ writeKey: [] }, {}];
const tags = ['segment'];
const operationIds: Record<MessageType, string> = {
  track: 'segmentTrack',
  identify: 'segmentIdentify',
  page: 'segmentPage',
  screen: 'segmentScreen',
  group: 'segmentGroup',
  alias: 'segmentAlias',
};

/**
 * Segment's HTTP Tracking API, so its libraries (and RudderStack's, PostHog's compatible ones)
 * send here unchanged: HTTP Basic with a write key as user name (or, without an Authorization
 * header, the key as the body's `writeKey`), 200 `{success: true}`, bodies
 * plain or gzipped (`Content-Encoding: gzip`, as RudderStack's Node SDK and Segment's mobile
 * libraries send them; the size limits count the decoded bytes).
 */
export function segmentRoutes(api: App, ctx: AnalyticsContext) {
  namedSchemas(api, SEGMENT_SCHEMAS);
  segmentApi(api, ctx, 'server', {
    batch: '/batch',
    track: '/track',
    identify: '/identify',
    page: '/page',
    screen: '/screen',
    group: '/group',
    alias: '/alias',
  });
  // analytics.js posts JSON as `text/plain` (its default header): read as JSON on these routes
  // alone, in a scope of their own; everywhere else text/plain stays a 415.
  api.register(async (scope) => {
    scope.addContentTypeParser('text/plain', { parseAs: 'buffer' }, jsonBodyParser(scope));
    segmentApi(scope as App, ctx, 'browser', {
      batch: '/b',
      track: '/t',
      identify: '/i',
      page: '/p',
      screen: '/s',
      group: '/g',
      alias: '/a',
    });
  });
}

/**
 * One set of Segment routes: for backends (`server` keys, Segment's HTTP Tracking API paths) or
 * for web pages (`browser` keys, the paths analytics.js posts to: `<apiHost>/<first letter of
 * the type>`, `/b` for its batching strategy). The same handlers: validation, limits, dedup,
 * stitching and storage are one code path; a browser key's identify leaves profiles' traits
 * alone (service.ts, convert's `trusted`).
 */
function segmentApi(
  api: App,
  ctx: AnalyticsContext,
  kind: KeyRoutes,
  paths: Record<MessageType | 'batch', string>,
) {
  const writeKey = requireWriteKey(ctx.db, kind);
  const { onRequest } = writeKey;
  const preValidation = [writeKey.preValidation, segmentLeniency];
  // The gateway and the authentication plugin pass Basic credentials through on these routes.
  const config = { basicAuth: true };
  const browser = kind === 'browser';
  const trusted = !browser;
  const id = (name: string) =>
    browser ? `browser${name[0]!.toUpperCase()}${name.slice(1)}` : name;
  const errors = browser
    ? (['invalid_write_key', 'origin_not_allowed'] as const)
    : (['invalid_write_key'] as const);
  const who = browser
    ? ' (analytics.js in a web page: a browser write key from one of its origins; the body may be sent as text/plain)'
    : '';
  const consumes = browser ? ['application/json', 'text/plain'] : undefined;

  api.post(
    paths.batch,
    {
      onRequest,
      preParsing: decodeContentCoding,
      config,
      bodyLimit: MAX_BATCH_BYTES,
      preValidation,
      // An invalid body reaches the handler, which sets its invalid messages aside (setAside)
      // or throws the validation error as it stands: a valid batch is validated once.
      attachValidation: true,
      schema: {
        operationId: id('segmentBatch'),
        errors: [...errors],
        tags,
        summary: `Segment batch${who}: messages of any type, up to 500 KB and 20 000 in all, 32 KB each`,
        description:
          'A message whose messageId was seen before (within DEDUP_DAYS) is accepted and ignored. ' +
          'The body may be sent with `Content-Encoding: gzip` or `deflate`; the limits count ' +
          'its decoded bytes. Each message is judged alone: when some are invalid and others ' +
          'not, the valid ones are stored as if sent alone and the answer is a 400 ' +
          '`validation_failed` whose `detail` counts the accepted and refused messages and whose ' +
          '`errors` name each refused one by its index (`batch.3.properties.name`); when none ' +
          'is valid (or the batch itself is: not JSON, over 500 KB, no `batch` array of ' +
          'objects), nothing is stored.',
        security,
        ...(consumes ? { consumes } : {}),
        body: BatchBody.ref,
        response: { 200: Success.ref },
      },
    },
    async (request) => {
      let aside: SetAside | undefined;
      if (request.validationError) {
        aside = setAside(request);
        if (!aside) throw request.validationError;
      }
      const total = aside?.total ?? request.body.batch.length;
      const { messages, tooOld, refused } = convert(ctx, request.body.batch, {
        sentAt: request.body.sentAt,
        batch: true,
        trusted,
        ...(aside ? { indices: aside.indices } : {}),
      });
      logTooOld(request.log, tooOld);
      const names = await admitNames(ctx, messages, { batch: true, trusted });
      const all = [...(aside?.refused ?? []), ...refused, ...names.refused];
      if (all.length === total) throw noneAccepted(all);
      const fresh = await ingest(ctx, names.admitted);
      request.log.debug(
        { write_key_id: request.writeKey?.id, fresh, refused: all.length },
        'segment batch',
      );
      if (all.length) throw partlyAccepted(total, all);
      return { success: true as const };
    },
  );

  for (const type of MESSAGE_TYPES) {
    api.post(
      paths[type],
      {
        onRequest,
        preParsing: decodeContentCoding,
        preValidation,
        config,
        bodyLimit: MAX_MESSAGE_BYTES,
        schema: {
          operationId: id(operationIds[type]),
          errors: [...errors],
          tags,
          summary: `Segment ${type} call${who} (up to 32 KB)`,
          security,
          ...(consumes ? { consumes } : {}),
          body: Message.ref,
          response: { 200: Success.ref },
        },
      },
      async (request) => {
        const { messages, tooOld } = convert(ctx, [request.body], {
          type,
          batch: false,
          trusted,
        });
        logTooOld(request.log, tooOld);
        await admitNames(ctx, messages, { batch: false, trusted });
        await ingest(ctx, messages);
        return { success: true as const };
      },
    );
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The ids a message names (Segment's `userId`, `anonymousId`, `groupId`, `previousId`). */
const IDS = ['userId', 'anonymousId', 'groupId', 'previousId'];

function asSegmentTakesIt(o: Record<string, unknown>) {
  for (const key of Object.keys(o)) if (o[key] === null) delete o[key];
  for (const key of IDS) {
    const id = o[key];
    if (typeof id === 'number' && Number.isSafeInteger(id)) o[key] = String(id);
  }
}

/**
 * Fields as Segment takes them, so its libraries' messages are not a 400 (which makes a library
 * drop the whole batch): a field that is null is absent — analytics-python sends every field it
 * knows (`"anonymousId": null` beside a userId, `"name": null` and `"category": null` on a page
 * without them) —, and an id sent as an integer is its decimal text — analytics-ruby and
 * analytics-php send `user_id: user.id` as the number it is. Only the fields of the body and of
 * each message: a null or a number inside `properties` or `traits` is a value like any other.
 */
async function segmentLeniency(request: FastifyRequest) {
  const body = request.body;
  if (!isObject(body)) return;
  asSegmentTakesIt(body);
  if (Array.isArray(body.batch)) for (const m of body.batch) if (isObject(m)) asSegmentTakesIt(m);
}

/** A batch's messages the schema refused, taken out of its body. */
interface SetAside {
  /** The batch's length as sent. */
  total: number;
  /** The batch index of each message left in the body. */
  indices: number[];
  refused: Refusal[];
}

type Check = ((data: unknown) => boolean) & { errors?: AjvError[] | null };

/**
 * For a batch whose body failed validation: judges its messages one at a time, each as the
 * body's validation does (its schema, and input strictness: NUL characters, lone surrogates,
 * non-finite numbers, depth), and takes the invalid ones out of the body, so one bad message (a
 * truncated emoji's lone surrogate in a property) does not fail the others. Only for a sound
 * envelope (its other fields valid, `batch` a list of objects) with some messages valid and some
 * not; otherwise undefined: the validation error answers as it always did, naming every error,
 * and nothing is stored.
 */
function setAside(request: FastifyRequest): SetAside | undefined {
  const body = request.body;
  if (!isObject(body) || !Array.isArray(body.batch)) return undefined;
  const batch = body.batch as unknown[];
  // Over MAX_BATCH_MESSAGES the batch itself is refused, whatever its messages (the body was cut
  // to one past it before validation: the rest would go unjudged).
  if (batch.length < 2 || batch.length > MAX_BATCH_MESSAGES || !batch.every(isObject)) {
    return undefined;
  }
  const { batch: _, ...envelope } = body;
  const envelopeCheck = request.compileValidationSchema(BatchEnvelope, 'body') as Check;
  if (!envelopeCheck(envelope)) return undefined;
  const check = request.compileValidationSchema(OneMessage, 'body') as Check;
  const kept: unknown[] = [];
  const indices: number[] = [];
  const refused: Refusal[] = [];
  batch.forEach((message, index) => {
    if (check({ batch: [message] })) {
      kept.push(message);
      indices.push(index);
      return;
    }
    // The message was checked as the batch's first: its errors name batch.0.
    const errors = (check.errors ?? []).map((e) => ({
      ...e,
      instancePath: e.instancePath.replace(/^\/batch\/0(?=\/|$)/, `/batch/${index}`),
    }));
    refused.push({ index, errors: fieldErrors(errors) });
  });
  if (refused.length === 0 || kept.length === 0) return undefined;
  body.batch = kept;
  return { total: batch.length, indices, refused };
}

/** Said once per request that had any, so a backfill beyond retention is not silently empty. */
function logTooOld(log: FastifyBaseLogger, tooOld: number) {
  if (tooOld > 0) log.info({ too_old: tooOld }, 'messages older than RETENTION_DAYS left out');
}
