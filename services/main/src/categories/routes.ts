import type { App } from '@platform/http';
import type { MainContext } from '../context.ts';
import { categoryCounts } from './counts.ts';
import {
  CategoryBody,
  CategoryEnvelope,
  CategoryList,
  CategoryParams,
  DeleteCategoryQuery,
} from './schema.ts';
import {
  createCategory,
  deleteCategory,
  getCategories,
  getCategory,
  renameCategory,
} from './service.ts';

const bearer = [{ bearer: [] }];
const tags = ['categories'];

export function categoryRoutes(app: App, ctx: MainContext) {
  // Authorised before validation, so a caller without the permission learns nothing more.
  const manage = app.authorize('categories:manage');
  const counts = categoryCounts(ctx);

  app.get(
    '/categories',
    {
      schema: {
        tags,
        operationId: 'listCategories',
        security: [],
        summary: 'Every category, by name, with its number of published posts',
        response: { 200: CategoryList },
      },
    },
    async () => getCategories(counts),
  );

  app.get(
    '/categories/:id',
    {
      schema: {
        tags,
        operationId: 'getCategory',
        security: [],
        errors: ['not_found'],
        summary: 'One category by id or slug, with its number of published posts',
        params: CategoryParams,
        response: { 200: CategoryEnvelope },
      },
    },
    async (request) => ({ category: await getCategory(counts, request.params.id) }),
  );

  app.post(
    '/categories',
    {
      onRequest: manage,
      schema: {
        tags,
        operationId: 'createCategory',
        errors: ['forbidden', 'slug_taken'],
        summary: 'Create a category (permission categories:manage)',
        security: bearer,
        body: CategoryBody,
        response: { 201: CategoryEnvelope },
      },
    },
    async (request, reply) => {
      const category = await createCategory(ctx, request.body);
      // Where it can be read, as for posts: the route's own path (prefix included) and the id.
      reply.code(201).header('location', `${request.routeOptions.url}/${category.id}`);
      return { category };
    },
  );

  app.put(
    '/categories/:id',
    {
      onRequest: manage,
      schema: {
        tags,
        operationId: 'renameCategory',
        errors: ['forbidden', 'not_found', 'slug_taken'],
        summary: 'Rename a category (permission categories:manage)',
        security: bearer,
        params: CategoryParams,
        body: CategoryBody,
        response: { 200: CategoryEnvelope },
      },
    },
    async (request) => ({
      category: await renameCategory(ctx, request.params.id, request.body),
    }),
  );

  app.delete(
    '/categories/:id',
    {
      onRequest: manage,
      schema: {
        tags,
        operationId: 'deleteCategory',
        errors: ['forbidden', 'not_found', 'category_in_use'],
        summary: 'Delete a category; 409 while posts use it unless ?move_to= takes them over',
        security: bearer,
        params: CategoryParams,
        querystring: DeleteCategoryQuery,
        response: { 204: { type: 'null' } },
      },
    },
    async (request, reply) => {
      await deleteCategory(
        ctx,
        request.principal!.userId,
        request.params.id,
        request.query.move_to,
      );
      return reply.code(204).send(null);
    },
  );
}
