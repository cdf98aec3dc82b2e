import multipart from '@fastify/multipart';
import rateLimit from '@fastify/rate-limit';
import { type App, HttpProblem, isNotModified, problems } from '@platform/http';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { AuthContext } from '../context.ts';
import { UserEnvelope, UserIdParams } from '../users/schema.ts';
import { createDecodeQueue } from './decoding.ts';
import { toAvatar } from './image.ts';
import { avatarMetrics, uploadRateLimit } from './limits.ts';
import { AVATAR_MAX_BYTES, AvatarImage, AvatarQuery, AvatarUpload } from './schema.ts';
import { getAvatar, removeAvatar, setAvatar } from './service.ts';

const bearer = [{ bearer: [] }];
const FOREVER = 'public, max-age=31536000, immutable';
/** A URL without the current version may change content at any time: caches must ask first. */
const REVALIDATE = 'public, no-cache';

export function avatarRoutes(app: App, ctx: AuthContext) {
  app.get(
    '/users/:id/avatar',
    {
      schema: {
        tags: ['users'],
        operationId: 'getUserAvatar',
        security: [],
        errors: ['not_found'],
        summary: "A user's avatar (public); answers 304 to a matching If-None-Match",
        params: UserIdParams,
        querystring: AvatarQuery,
        response: { 200: AvatarImage, 304: Type.Null({ description: 'Not modified' }) },
      },
    },
    async (request, reply) => {
      const avatar = await getAvatar(ctx, request.params.id);
      const etag = `"${avatar.etag}"`;
      const versioned = request.query.v === avatar.etag;
      reply
        .header('etag', etag)
        .header('cache-control', versioned ? FOREVER : REVALIDATE)
        .header('x-content-type-options', 'nosniff');
      // NGINX keeps it only this long (it honours X-Accel-Expires over Cache-Control and passes
      // it to no client), then revalidates: a 304 while it stands, a 404 once it is removed.
      if (versioned) reply.header('x-accel-expires', String(ctx.config.AVATAR_EDGE_CACHE_SECONDS));
      if (isNotModified(request.headers['if-none-match'], etag)) return reply.code(304).send(null);
      return reply.type(avatar.contentType).send(avatar.image);
    },
  );

  app.delete(
    '/user/avatar',
    {
      onRequest: app.authenticate,
      schema: {
        tags: ['users'],
        operationId: 'deleteCurrentUserAvatar',
        errors: ['not_found'],
        summary: "Remove the signed-in user's avatar",
        security: bearer,
        response: { 204: Type.Null() },
      },
    },
    async (request, reply) => {
      await removeAvatar(ctx, request.principal!.userId);
      return reply.code(204).send(null);
    },
  );

  const { config } = ctx;
  const decodes = createDecodeQueue({
    concurrency: config.AVATAR_DECODE_CONCURRENCY,
    maxQueued: config.AVATAR_DECODE_QUEUE,
    onBusy: () => metrics.refused.inc({ reason: 'busy' }),
  });
  const metrics = avatarMetrics(app.metrics, decodes);

  // Uploads are parsed in this scope only: no other route accepts multipart bodies.
  app.register(async (uploads) => {
    await uploads.register(multipart, {
      limits: { fileSize: AVATAR_MAX_BYTES, files: 1, fields: 4, fieldSize: 1024, parts: 5 },
    });
    const limit = uploadRateLimit(config, uploads.log, () =>
      metrics.refused.inc({ reason: 'rate' }),
    );
    uploads.addHook('onClose', async () => limit.close());
    await uploads.register(rateLimit, limit.options);
    uploads.put(
      '/user/avatar',
      {
        // Before the body is read: an anonymous upload is refused without reading 5 MB.
        onRequest: uploads.authenticate,
        config: { rateLimit: {} },
        schema: {
          tags: ['users'],
          operationId: 'uploadCurrentUserAvatar',
          errors: [
            'bad_request',
            'not_found',
            'payload_too_large',
            'unsupported_media_type',
            'image_unreadable',
            'service_unavailable',
          ],
          summary: 'Upload an avatar (multipart field `file`: PNG, JPEG or WebP up to 5 MB)',
          description: `413 over 5 MB; 415 not PNG, JPEG or WebP; 422 damaged, or more than ${config.AVATAR_MAX_PIXELS} pixels (refused from the header, before decoding); 429 over ${config.AVATAR_UPLOADS_PER_WINDOW} uploads per user per ${config.AVATAR_UPLOAD_WINDOW} s; 503 while too many images are being processed (both with Retry-After).`,
          security: bearer,
          consumes: ['multipart/form-data'],
          body: AvatarUpload,
          response: { 200: UserEnvelope },
        },
      },
      async (request) => {
        const upload = await readUpload(request);
        const image = await decodes.run(() =>
          toAvatar(upload, {
            maxPixels: config.AVATAR_MAX_PIXELS,
            onDecode: () => metrics.decoded.inc(),
            onTooManyPixels: () => metrics.refused.inc({ reason: 'pixels' }),
          }),
        );
        return { user: await setAvatar(ctx, request.principal!.userId, image) };
      },
    );
  });
}

async function readUpload(request: FastifyRequest): Promise<Buffer> {
  if (!request.isMultipart()) {
    throw problems.unsupportedMediaType(
      'Send the image as multipart/form-data in the field "file".',
    );
  }
  try {
    const part = await request.file();
    if (part?.fieldname !== 'file') {
      throw problems.badRequest('The image must be sent in the multipart field "file".', [
        { field: 'file', message: 'is required' },
      ]);
    }
    return await part.toBuffer();
  } catch (error) {
    if (error instanceof HttpProblem) throw error;
    const code = (error as { code?: string }).code;
    if (code === 'FST_REQ_FILE_TOO_LARGE') {
      throw new HttpProblem(413, 'The image is larger than 5 MB.');
    }
    if ((error as { statusCode?: number }).statusCode) throw error;
    // Busboy's own errors (no boundary, truncated body) are the client's malformed request.
    throw problems.badRequest('The multipart body is malformed.');
  }
}
