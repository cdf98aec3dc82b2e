import type { App } from '@platform/http';
import type { MainContext } from '../context.ts';
import { decodeTagCursor, encodeTagCursor } from './cursor.ts';
import { listPublishedTags } from './repository.ts';
import { TagList, TagListQuery } from './schema.ts';

export function tagRoutes(app: App, ctx: MainContext) {
  app.get(
    '/tags',
    {
      schema: {
        tags: ['tags'],
        operationId: 'listTags',
        security: [],
        summary: 'Tags of published posts, most used first, with their counts of published posts',
        description:
          'A page of `limit` tags (default 100); `next_cursor` continues the list. Counts change ' +
          'as posts are published: a walk over a changing list may see a tag twice or miss one ' +
          'whose count moved across the page boundary.',
        querystring: TagListQuery,
        response: { 200: TagList },
      },
    },
    async (request) => {
      const { limit, cursor } = request.query;
      const after = cursor ? decodeTagCursor(cursor) : undefined;
      // One more than asked tells whether another page follows.
      const rows = await listPublishedTags(ctx.db, limit + 1, after);
      const items = rows.slice(0, limit);
      const last = items.at(-1);
      return {
        items,
        next_cursor:
          rows.length > limit && last
            ? encodeTagCursor({ postCount: last.post_count, slug: last.slug })
            : null,
      };
    },
  );
}
