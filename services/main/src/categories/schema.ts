import { Type } from 'typebox';
import { SLUG_PATTERN } from '../slug.ts';

/**
 * A slug, but never shaped like a uuid: `/categories/{id or slug}` and `?category=` read a uuid as
 * an id, so such a slug would name nothing, or another category whose id it is.
 */
const CATEGORY_SLUG = `^(?![0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$)${SLUG_PATTERN.slice(1)}`;

export const Category = Type.Object({
  id: Type.String({ format: 'uuid' }),
  slug: Type.String(),
  name: Type.String(),
  post_count: Type.Integer({ description: 'Published posts in this category' }),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
});

export const CategoryEnvelope = Type.Object({ category: Category });
export const CategoryList = Type.Object({ items: Type.Array(Category) });

export const CategoryBody = Type.Object(
  {
    // Not blank: it would name nothing, and every blank name would be one name (service.ts).
    name: Type.String({
      minLength: 1,
      maxLength: 100,
      pattern: '\\S',
      'x-pattern-message': 'must not be blank',
    }),
    slug: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 80,
        pattern: CATEGORY_SLUG,
        'x-pattern-message':
          'must be lower-case letters and digits, in words joined by single dashes, and not shaped like a uuid',
        description: 'Derived from the name when absent; not shaped like a uuid',
      }),
    ),
  },
  { additionalProperties: false },
);

export const CategoryParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 100, description: 'A category id or slug' }),
});

export const DeleteCategoryQuery = Type.Object(
  {
    move_to: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 100,
        description: 'Id or slug of the category that takes over its posts',
      }),
    ),
  },
  { additionalProperties: false },
);
