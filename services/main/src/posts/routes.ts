import { type App, isNotModified, namedSchemas } from '@platform/http';
import type { MainContext } from '../context.ts';
import { WRITE } from './access.ts';
import { createListCache } from './list-cache.ts';
import { listPage } from './list-service.ts';
import { etagOf, toPostView } from './rows.ts';
import {
  CreatePostBody,
  IfMatchHeaders,
  ListPostsQuery,
  MAX_WRITE_REQUEST_BYTES,
  PatchPostBody,
  Post,
  PostEnvelope,
  PostPage,
  PostParams,
  ReplacePostBody,
} from './schema.ts';
import { createSearchLimiter } from './search-limiter.ts';
import { changePost, createPost, deletePost, getPost } from './service.ts';

const bearer = [{ bearer: [] }];
// Public, but a token (which shows the caller's drafts) must be valid: a bad one is a 401.
const optionalBearer: Record<string, string[]>[] = [{}, { bearer: [] }];
const tags = ['posts'];

/** Anonymous list pages kept per replica; one page over this size is never kept. */
const LIST_CACHE_BYTES = 16 * 1024 * 1024;
const LIST_CACHE_PAGE_BYTES = 1024 * 1024;

export function postRoutes(app: App, ctx: MainContext) {
  namedSchemas(app, [Post]);
  const write = app.authorize(WRITE);
  const lists = {
    cache: createListCache({ maxBytes: LIST_CACHE_BYTES, maxPageBytes: LIST_CACHE_PAGE_BYTES }),
    searches: createSearchLimiter({
      concurrency: ctx.config.SEARCH_CONCURRENCY,
      waitMs: ctx.config.SEARCH_WAIT_MS,
    }),
  };

  app.get(
    '/posts',
    {
      schema: {
        tags,
        operationId: 'listPosts',
        security: optionalBearer,
        errors: ['query_timeout', 'service_unavailable'],
        summary: 'Posts, newest first; drafts only for their author and editors',
        querystring: ListPostsQuery,
        response: { 200: PostPage, 304: { type: 'null' } },
      },
    },
    async (request, reply) => {
      const page = await listPage(ctx, lists, request, (body) => String(reply.serialize(body)));
      // Shared caches may keep an anonymous page but must ask again (ETag) before reusing it.
      reply
        .header('etag', page.etag)
        .header('cache-control', request.principal ? 'private, no-cache' : 'public, no-cache')
        .header('vary', 'authorization');
      if (isNotModified(request.headers['if-none-match'], page.etag))
        return reply.code(304).send(null);
      // Already JSON of the 200 schema: Fastify sends a Buffer as it is.
      return reply.type('application/json; charset=utf-8').send(page.body as never);
    },
  );

  app.post(
    '/posts',
    {
      onRequest: write,
      bodyLimit: MAX_WRITE_REQUEST_BYTES,
      schema: {
        tags,
        operationId: 'createPost',
        errors: ['forbidden', 'slug_taken'],
        summary: 'Create a post (permission posts:write)',
        security: bearer,
        body: CreatePostBody,
        response: { 201: PostEnvelope },
      },
    },
    async (request, reply) => {
      const post = await createPost(ctx, request.principal!, request.body);
      // An absolute path (the route's own, prefix included): a relative `posts/{id}` resolves
      // to the right place only against the request's URL, not against the gateway's base URL.
      reply
        .code(201)
        .header('etag', etagOf(post))
        .header('location', `${request.routeOptions.url}/${post.id}`);
      return { post: toPostView(post) };
    },
  );

  app.get(
    '/posts/:id',
    {
      schema: {
        tags,
        operationId: 'getPost',
        security: optionalBearer,
        errors: ['not_found'],
        summary: 'One post by id or slug',
        params: PostParams,
        response: { 200: PostEnvelope, 304: { type: 'null' } },
      },
    },
    async (request, reply) => {
      const post = await getPost(ctx, request.principal, request.params.id);
      const etag = etagOf(post);
      reply.header('etag', etag).header('cache-control', 'private, no-cache');
      if (isNotModified(request.headers['if-none-match'], etag)) return reply.code(304).send(null);
      return { post: toPostView(post) };
    },
  );

  for (const method of ['put', 'patch'] as const) {
    const replace = method === 'put';
    app[method](
      '/posts/:id',
      {
        onRequest: app.authenticate,
        bodyLimit: MAX_WRITE_REQUEST_BYTES,
        schema: {
          tags,
          operationId: replace ? 'replacePost' : 'updatePost',
          errors: ['forbidden', 'not_found', 'slug_taken', 'version_conflict'],
          summary: replace
            ? 'Replace a post (its author with posts:write, or posts:edit-any); honours If-Match'
            : 'Change some fields of a post (its author with posts:write, or posts:edit-any); honours If-Match',
          security: bearer,
          params: PostParams,
          headers: IfMatchHeaders,
          body: replace ? ReplacePostBody : PatchPostBody,
          response: { 200: PostEnvelope },
        },
      },
      async (request, reply) => {
        const post = await changePost(ctx, request.principal!, request.params.id, request.body, {
          replace,
          ifMatch: request.headers['if-match'],
        });
        reply.header('etag', etagOf(post));
        return { post: toPostView(post) };
      },
    );
  }

  app.delete(
    '/posts/:id',
    {
      onRequest: app.authenticate,
      schema: {
        tags,
        operationId: 'deletePost',
        errors: ['forbidden', 'not_found', 'version_conflict'],
        summary: 'Delete a post (its author with posts:write, or posts:edit-any); honours If-Match',
        security: bearer,
        params: PostParams,
        headers: IfMatchHeaders,
        response: { 204: { type: 'null' } },
      },
    },
    async (request, reply) => {
      await deletePost(ctx, request.principal!, request.params.id, request.headers['if-match']);
      return reply.code(204).send(null);
    },
  );
}
