import { namedSchema } from '@platform/http';
import { Type } from 'typebox';

export const MAX_BODY_BYTES = 100 * 1024;
/**
 * A write's request limit: JSON may spell each byte of the body as `\u00XX` (six bytes; Python's
 * json.dumps escapes everything beyond ASCII), plus the other fields escaped alike. The service's
 * default of 256 KB refused a valid body of 100 KB of "é" sent so (307 KB) with a 413.
 */
export const MAX_WRITE_REQUEST_BYTES = 6 * MAX_BODY_BYTES + 32 * 1024;
export const MAX_TAGS = 10;

const Timestamp = Type.String({ format: 'date-time' });
// Null first: where ajv coerces (query, path, headers), a string branch tried first turns null into "".
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) =>
  Type.Union([Type.Null(), schema]);

export const Status = Type.Union([Type.Literal('draft'), Type.Literal('published')]);
/** A tag as sent: its name or slug; posts store and answer its slug (slug.ts tagSlug). */
export const TagName = Type.String({
  minLength: 1,
  maxLength: 100,
  pattern: '\\S',
  'x-pattern-message': 'must not be blank',
  description: 'A tag name or slug, stored as its slug: "Web Dev" and "web-dev" are one tag',
});

export const CategoryRef = Type.Object({
  id: Type.String(),
  slug: Type.String(),
  name: Type.String(),
});

/**
 * A post as every posts route answers it, named (`components.schemas.Post`, the typed client's
 * `components['schemas']['Post']`): five operations answer it; routes.ts registers it.
 */
export const Post = namedSchema(
  'Post',
  Type.Object({
    id: Type.String({ format: 'uuid' }),
    slug: Type.String(),
    title: Type.String(),
    body: Type.String(),
    excerpt: Type.String(),
    status: Status,
    author_id: Type.String({ format: 'uuid' }),
    category: Nullable(CategoryRef),
    tags: Type.Array(Type.String()),
    created_at: Timestamp,
    updated_at: Timestamp,
    published_at: Nullable(Timestamp),
  }),
);

export const PostEnvelope = Type.Object({ post: Post.ref });
export const PostPage = Type.Object({
  items: Type.Array(Post.ref),
  next_cursor: Nullable(Type.String({ description: 'Null on the last page' })),
});

const fields = {
  // Not blank: a title of spaces lists as nothing and slugs to the fallback "post".
  title: Type.String({
    minLength: 1,
    maxLength: 200,
    pattern: '\\S',
    'x-pattern-message': 'must not be blank',
  }),
  body: Type.String({ maxLength: MAX_BODY_BYTES, description: 'Up to 100 KB of UTF-8' }),
  excerpt: Type.String({ maxLength: 500, description: 'Derived from the body when absent' }),
  status: Status,
  category_id: Nullable(Type.String({ format: 'uuid', description: 'A category id, or null' })),
  category: Nullable(
    Type.String({
      minLength: 1,
      maxLength: 100,
      description: 'Instead of category_id: id or slug',
    }),
  ),
  tags: Type.Array(TagName, {
    maxItems: MAX_TAGS,
    description:
      'Tag names or slugs, stored as slugs (lowercase ASCII letters and digits joined by ' +
      'hyphens); repeats count once; a tag exists once a post uses it',
  }),
};

export const CreatePostBody = Type.Object(
  {
    title: fields.title,
    body: fields.body,
    excerpt: Type.Optional(fields.excerpt),
    status: Type.Optional(fields.status),
    category_id: Type.Optional(fields.category_id),
    category: Type.Optional(fields.category),
    tags: Type.Optional(fields.tags),
  },
  { additionalProperties: false },
);

/** PUT replaces the post: what is left out takes its default (draft, no category, no tags). */
export const ReplacePostBody = CreatePostBody;

export const PatchPostBody = Type.Object(
  {
    title: Type.Optional(fields.title),
    body: Type.Optional(fields.body),
    excerpt: Type.Optional(Nullable(fields.excerpt)),
    status: Type.Optional(fields.status),
    category_id: Type.Optional(fields.category_id),
    category: Type.Optional(fields.category),
    tags: Type.Optional(fields.tags),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const PostParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 200, description: 'A post id or slug' }),
});

export const Sort = Type.Union(
  [
    Type.Literal('-published_at'),
    Type.Literal('published_at'),
    Type.Literal('-created_at'),
    Type.Literal('title'),
  ],
  {
    description:
      'Default -published_at. With q and no sort: relevance, as described under q. ' +
      'A sort given with q is that order, nothing ranked.',
  },
);

/** A date-time, or a date alone (ISO 8601, as a date picker gives it): that day's start in UTC. */
const Instant = Type.Union(
  [
    Type.String({ format: 'date-time' }),
    Type.String({
      pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$',
      'x-pattern-message': 'must be a date written YYYY-MM-DD',
    }),
  ],
  { description: 'Exclusive. A date-time, or a date (YYYY-MM-DD): its start in UTC' },
);

export const ListPostsQuery = Type.Object(
  {
    category: Type.Optional(
      Type.String({ minLength: 1, maxLength: 100, description: 'Id or slug' }),
    ),
    tag: Type.Optional(
      Type.Array(TagName, {
        maxItems: 10,
        description: 'Repeatable; every tag must match (a name matches its slug)',
      }),
    ),
    author: Type.Optional(Type.String({ format: 'uuid' })),
    status: Type.Optional(Status),
    q: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        description:
          'Full text over title and body (websearch syntax: words, "phrases", or, -not; ' +
          'English stems; accents and case folded: creme finds Crème, CRÈME finds creme). ' +
          'Without sort, the newest 500 matches (SEARCH_RANK_WINDOW) come first, best match ' +
          'first (title above body); older matches follow, newest first. A walk keeps the ' +
          'window it began with: posts added meanwhile neither repeat nor displace one.',
      }),
    ),
    published_after: Type.Optional(Instant),
    published_before: Type.Optional(Instant),
    sort: Type.Optional(Sort),
    limit: Type.Integer({
      minimum: 1,
      maximum: 100,
      default: 20,
      description:
        'The most posts a page holds. A page also ends before the post that would take its ' +
        'bodies past 512 KB (one larger post comes alone), so it may hold fewer than limit ' +
        'with a next_cursor: follow next_cursor until it is null, never stop at a short page.',
    }),
    cursor: Type.Optional(
      Type.String({
        minLength: 1,
        // A title cursor carries the title: 200 characters of up to six bytes each in its JSON
        // (\u0001), in base64 (cursor.ts); 600 cut walks by title short at a post titled in emoji.
        maxLength: 2048,
        description: 'next_cursor of the previous page',
      }),
    ),
  },
  { additionalProperties: false },
);

export const IfMatchHeaders = Type.Object({
  'if-match': Type.Optional(Type.String({ maxLength: 200 })),
});
