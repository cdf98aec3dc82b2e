import { defineCodes, problemFactory } from '@platform/http';

/**
 * Every problem code main answers besides the generic ones (@platform/http GENERIC_CODES, which
 * include version_conflict and query_timeout). The OpenAPI document lists them per operation.
 */
export const codes = defineCodes({
  slug_taken: {
    status: 409,
    title: 'Slug taken',
    description: 'Another resource has this slug, or none was free for the title; choose another.',
  },
  category_in_use: {
    status: 409,
    title: 'Category in use',
    description: 'Posts use this category; pass move_to to move them first.',
  },
});

export type MainCode = keyof typeof codes;

/** `problem('slug_taken', detail)`: status from the table. */
export const problem = problemFactory(codes);
