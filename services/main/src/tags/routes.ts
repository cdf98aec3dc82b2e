import type { App } from '@platform/http';
import { Type } from 'typebox';
import type { MainContext } from '../context.ts';
import { listPublishedTags } from './repository.ts';

const TagList = Type.Object({
  items: Type.Array(
    Type.Object({
      slug: Type.String(),
      post_count: Type.Integer({ description: 'Published posts with this tag' }),
    }),
  ),
});

export function tagRoutes(app: App, ctx: MainContext) {
  app.get(
    '/tags',
    {
      schema: {
        tags: ['tags'],
        operationId: 'listTags',
        security: [],
        summary: 'Tags of published posts, most used first, with their counts of published posts',
        response: { 200: TagList },
      },
    },
    async () => ({ items: await listPublishedTags(ctx.db) }),
  );
}
