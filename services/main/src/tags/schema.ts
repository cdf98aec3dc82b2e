import { Type } from 'typebox';

export const MAX_TAGS_PAGE = 500;

export const TagListQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: MAX_TAGS_PAGE, default: 100 }),
    cursor: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        description: 'next_cursor of the previous page',
      }),
    ),
  },
  { additionalProperties: false },
);

export const TagList = Type.Object({
  items: Type.Array(
    Type.Object({
      slug: Type.String(),
      post_count: Type.Integer({ description: 'Published posts with this tag' }),
    }),
  ),
  next_cursor: Type.Union([Type.Null(), Type.String()], { description: 'Null on the last page' }),
});
