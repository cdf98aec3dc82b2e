import { type App, isNotModified } from '@platform/http';
import { Type } from 'typebox';
import type { Db } from '../db/index.ts';
import {
  IfMatchHeaders,
  NewWriteKey,
  WriteKey,
  WriteKeyBody,
  WriteKeyList,
  WriteKeyParams,
  WriteKeyPatch,
} from './schema.ts';
import { changeWriteKey, createWriteKey, revoke, writeKeyOf, writeKeysOf } from './service.ts';

const bearer = [{ bearer: [] }];
const tags = ['write-keys'];

/** Admins issue, list, read, change and revoke the keys of the Segment-style endpoints (analytics:manage). */
export function writeKeyRoutes(api: App, db: Db) {
  const manage = api.authorize('analytics:manage');

  api.post(
    '/write-keys',
    {
      onRequest: manage,
      schema: {
        operationId: 'createWriteKey',
        errors: ['forbidden'],
        tags,
        summary: 'Issue a write key for the Segment-style endpoints (shown once)',
        security: bearer,
        body: WriteKeyBody,
        response: { 201: NewWriteKey },
      },
    },
    async (request, reply) => {
      const key = await createWriteKey(db, request.body, request.principal!.userId);
      request.log.info(
        { write_key_id: key.id, kind: key.kind, by: request.principal!.userId },
        'write key issued',
      );
      // Where it can be read again (without the key): the route's own path and the id.
      return reply.code(201).header('location', `${request.routeOptions.url}/${key.id}`).send(key);
    },
  );

  api.get(
    '/write-keys',
    {
      onRequest: manage,
      schema: {
        operationId: 'listWriteKeys',
        errors: ['forbidden'],
        tags,
        summary: 'Write keys not revoked, newest first (without the keys themselves)',
        security: bearer,
        response: { 200: WriteKeyList },
      },
    },
    async () => ({ items: await writeKeysOf(db) }),
  );

  // Before the change and revocation at this URL: a DELETE with If-Match is held to this read.
  api.get(
    '/write-keys/:id',
    {
      onRequest: manage,
      schema: {
        operationId: 'getWriteKey',
        errors: ['forbidden', 'not_found'],
        tags,
        summary:
          'One write key (without the key itself), its ETag the version a change names in If-Match',
        security: bearer,
        params: WriteKeyParams,
        response: { 200: WriteKey, 304: Type.Null({ description: 'Not modified' }) },
      },
    },
    async (request, reply) => {
      const { key, etag } = await writeKeyOf(db, request.params.id);
      // The key's version, not a hash of these bytes: the one If-Match is held to.
      reply.header('etag', etag).header('cache-control', 'private, no-cache');
      if (isNotModified(request.headers['if-none-match'], etag)) return reply.code(304).send(null);
      return key;
    },
  );

  api.patch(
    '/write-keys/:id',
    {
      onRequest: manage,
      schema: {
        operationId: 'changeWriteKey',
        errors: ['forbidden', 'not_found', 'version_conflict'],
        tags,
        summary:
          "Rename a write key, or replace a browser key's origins (checked as at creation); in effect from the next request; honours If-Match",
        security: bearer,
        params: WriteKeyParams,
        headers: IfMatchHeaders,
        body: WriteKeyPatch,
        response: { 200: WriteKey },
      },
    },
    async (request, reply) => {
      const { key, etag } = await changeWriteKey(
        db,
        request.params.id,
        request.body,
        request.headers['if-match'],
      );
      request.log.info(
        {
          write_key_id: key.id,
          changed: Object.keys(request.body),
          by: request.principal!.userId,
        },
        'write key changed',
      );
      reply.header('etag', etag);
      return key;
    },
  );

  api.delete(
    '/write-keys/:id',
    {
      onRequest: manage,
      schema: {
        operationId: 'revokeWriteKey',
        errors: ['forbidden', 'not_found'],
        tags,
        summary: 'Revoke a write key: requests with it are refused with 401 from now on',
        security: bearer,
        params: WriteKeyParams,
        response: { 204: Type.Null({ description: 'Revoked' }) },
      },
    },
    async (request, reply) => {
      await revoke(db, request.params.id);
      request.log.info(
        { write_key_id: request.params.id, by: request.principal!.userId },
        'write key revoked',
      );
      return reply.code(204).send(null);
    },
  );
}
