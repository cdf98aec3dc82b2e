import type { App } from '@platform/http';
import { sql } from 'drizzle-orm';
import { Type } from 'typebox';
import type { MainContext } from '../context.ts';

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
        summary: 'Every tag ever used, most used first; counts are of published posts for everyone',
        response: { 200: TagList },
      },
    },
    // Counts are kept by the writes (posts/repository.ts syncTags), so this reads one small
    // table; drafts are not counted for anyone, which keeps the answer the same for every caller.
    async () => {
      const { rows } = await ctx.db.execute<{ slug: string; post_count: number }>(
        sql`select slug, post_count from tags order by post_count desc, slug`,
      );
      return { items: rows };
    },
  );
}
