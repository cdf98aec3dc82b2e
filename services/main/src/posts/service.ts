import type { Principal } from '@platform/auth';
import { problems } from '@platform/http';
import { findCategory } from '../categories/repository.ts';
import type { MainContext } from '../context.ts';
import type { Executor } from '../db/index.ts';
import { problem } from '../errors.ts';
import { type PostEvent, recordEvents } from '../events/outbox.ts';
import { slugify, tagSlug, withSuffix } from '../slug.ts';
import { assertCanChange, canSee } from './access.ts';
import { deriveExcerpt } from './excerpt.ts';
import {
  deletePost as deleteRow,
  findPost,
  holdAuthor,
  insertPost,
  lockPostsByAuthor,
  type PostValues,
  recordDeletedAuthor,
  syncTags,
  updatePost,
} from './repository.ts';
import { etagOf, type PostRow } from './rows.ts';
import { MAX_BODY_BYTES } from './schema.ts';

export interface PostInput {
  title: string;
  body: string;
  excerpt?: string | null;
  status?: 'draft' | 'published';
  category_id?: string | null;
  /** Id or slug; category_id wins when both are sent. */
  category?: string | null;
  tags?: string[];
}

export async function getPost(ctx: MainContext, principal: Principal | null, idOrSlug: string) {
  const post = await findPost(ctx.db, idOrSlug);
  if (!post || !canSee(principal, post)) throw problems.notFound('The post does not exist.');
  return post;
}

/** What @platform/auth answers a revoked token with: nothing more is said of a deleted account. */
const TOKEN_REFUSED = 'The access token is invalid, expired or revoked.';

export async function createPost(ctx: MainContext, principal: Principal, input: PostInput) {
  return ctx.db.transaction(async (tx) => {
    // Its token verifies for up to a second after the account is deleted (revocation reaches
    // main by polling), and a request may be in flight when the deletion is processed.
    if (await holdAuthor(tx, principal.userId)) throw problems.unauthorized(TOKEN_REFUSED);
    const values = await prepare(tx, input);
    const base = slugify(input.title, 'post');
    let id: string | undefined;
    for (let attempt = 0; !id && attempt < 5; attempt++) {
      const slug = attempt === 0 ? base : withSuffix(base);
      id = await insertPost(tx, { ...values, slug, authorId: principal.userId });
    }
    if (!id) throw problem('slug_taken', 'Could not find a free slug for this title; try again.');
    await syncTags(tx, id, { tags: [], published: false }, published(values));
    const post = (await findPost(tx, id))!;
    const events: PostEvent[] = ['post.created'];
    if (post.status === 'published') events.push('post.published');
    await emit(tx, events, post, principal);
    return post;
  });
}

/**
 * PUT passes the whole input, PATCH only what changes. The slug follows the title until the
 * post is first published, and never changes afterwards: published links stay valid.
 */
export async function changePost(
  ctx: MainContext,
  principal: Principal,
  idOrSlug: string,
  change: Partial<PostInput>,
  options: { replace: boolean; ifMatch?: string | undefined },
) {
  // Unknown properties are stripped by validation, so a body of only those arrives empty here.
  if (Object.keys(change).length === 0) {
    throw problems.badRequest('Give at least one field of the post to change.', [
      { field: '(root)', message: 'must have one of title, body, excerpt, status, category, tags' },
    ]);
  }
  const changed = ctx.db.transaction(async (tx) => {
    // The category it names is locked (key share) before the post's row, as deletes take them
    // (categories, then their posts): a post of y held while waiting for z, whose delete held z
    // waiting for y, whose delete moving y's posts waited for the post, was a deadlock (a 500).
    // prepare() finds it again, already held.
    const named = change.category_id !== undefined ? change.category_id : change.category;
    if (named) await findCategory(tx, named, { lock: 'key share' });
    const current = assertCanChange(principal, await findPost(tx, idOrSlug, { forUpdate: true }));
    assertMatches(options.ifMatch, current);
    const merged: PostInput = options.replace
      ? (change as PostInput)
      : {
          title: change.title ?? current.title,
          body: change.body ?? current.body,
          // A sent excerpt wins; null derives it again from the body. Unsent, a written one stays
          // and a derived one (the stored excerpt is what the body gives) follows a new body.
          excerpt:
            change.excerpt !== undefined
              ? change.excerpt
              : change.body !== undefined && current.excerpt === deriveExcerpt(current.body)
                ? null
                : current.excerpt,
          status: change.status ?? current.status,
          ...(change.category_id === undefined && change.category === undefined
            ? { category_id: current.category_id }
            : { category_id: change.category_id, category: change.category }),
          tags: change.tags ?? current.tags,
        };
    const values = await prepare(tx, merged, current.category_id);
    let slug = current.slug;
    if (!current.published_at && values.title !== current.title) {
      slug = slugify(values.title, 'post');
    }
    // Each try in a savepoint: the free-slug check cannot see a slug another transaction has
    // not committed yet, the unique index can (23505), and then the next slug is tried as for
    // one already taken.
    const tryUpdate = (candidate: string) =>
      tx
        .transaction((savepoint) =>
          updatePost(savepoint, current.id, { ...values, slug: candidate }),
        )
        .catch((error: unknown) => {
          if (!isUniqueViolation(error)) throw error;
          return false;
        });
    let updated = await tryUpdate(slug);
    for (let attempt = 0; !updated && attempt < 5; attempt++) {
      updated = await tryUpdate(withSuffix(slug));
    }
    if (!updated)
      throw problem('slug_taken', 'Could not find a free slug for this title; try again.');
    await syncTags(tx, current.id, published(current), published(values));
    const post = (await findPost(tx, current.id))!;
    const events: PostEvent[] = ['post.updated'];
    if (!current.published_at && post.published_at) events.push('post.published');
    await emit(tx, events, post, principal);
    return post;
  });
  // Any other unique violation of a concurrent write: a retryable 409, not a 500.
  return changed.catch((error: unknown) => {
    if (!isUniqueViolation(error)) throw error;
    throw problem('slug_taken', 'Another post took this slug at the same moment; try again.');
  });
}

const isUniqueViolation = (error: unknown) =>
  (error as { cause?: { code?: string } })?.cause?.code === '23505';

export async function deletePost(
  ctx: MainContext,
  principal: Principal,
  idOrSlug: string,
  ifMatch: string | undefined,
) {
  await ctx.db.transaction(async (tx) => {
    const current = assertCanChange(principal, await findPost(tx, idOrSlug, { forUpdate: true }));
    assertMatches(ifMatch, current);
    await syncTags(tx, current.id, published(current), undefined);
    await deleteRow(tx, current.id);
    await emit(tx, ['post.deleted'], current, principal);
  });
}

/**
 * Deletes every post of a deleted account (the `user.deleted` event), in batches, each with its
 * tag counts and a `post.deleted` event that names no author: the account is gone, and analytics
 * must not link the user again. The tombstone comes first, in a transaction of its own: the
 * batches then see every post the account will ever have (holdAuthor), and creates wait only for
 * that short transaction. Idempotent, as the at-least-once delivery needs. Returns how many.
 */
export async function deletePostsOfUser(ctx: MainContext, userId: string): Promise<number> {
  await ctx.db.transaction((tx) => recordDeletedAuthor(tx, userId));
  let total = 0;
  for (;;) {
    const deleted = await ctx.db.transaction(async (tx) => {
      const rows = await lockPostsByAuthor(tx, userId, 100);
      for (const post of rows) {
        await syncTags(tx, post.id, published(post), undefined);
        await deleteRow(tx, post.id);
      }
      await recordEvents(
        tx,
        rows.map((post) => ({
          type: 'post.deleted' as const,
          payload: {
            post_id: post.id,
            slug: post.slug,
            status: post.status,
            author_id: null,
            actor_id: null,
            category_id: post.category_id,
            tags: post.tags,
            reason: 'author_deleted',
          },
        })),
      );
      return rows.length;
    });
    total += deleted;
    if (deleted < 100) return total;
  }
}

/**
 * `If-Match` is optional; when sent, it must name the current version (or be `*`). A weak tag
 * (`W/"…"`) names it too: NGINX's gzip weakens the ETag of every answer it compresses (a post
 * over 1 KB), so a client behind it only ever holds the weak form, and strong comparison would
 * refuse its every change. The tag is the post's id and version number, the same for any
 * encoding of that version, so the weak form is as exact as the strong one here.
 */
function assertMatches(ifMatch: string | undefined, post: PostRow) {
  if (ifMatch === undefined) return;
  const tags = ifMatch.split(',').map((t) => t.trim().replace(/^W\//, ''));
  if (tags.includes('*') || tags.includes(etagOf(post))) return;
  throw problem(
    'version_conflict',
    'The post has changed since you read it; fetch it again and reapply your change.',
  );
}

/** `keeps`: the category the post names now, if it has one (a change). */
async function prepare(db: Executor, input: PostInput, keeps?: string | null): Promise<PostValues> {
  if (Buffer.byteLength(input.body) > MAX_BODY_BYTES) {
    throw problems.badRequest('The body is too large.', [
      { field: 'body', message: `must be at most ${MAX_BODY_BYTES} bytes of UTF-8` },
    ]);
  }
  const field = input.category_id !== undefined ? 'category_id' : 'category';
  const given = input.category_id !== undefined ? input.category_id : input.category;
  let categoryId = given ? (await findCategory(db, given))?.id : null;
  // A category the post does not name yet is locked (key share): a delete of it then waits for
  // this transaction (and finds the post), or this one waits for the delete and finds nothing;
  // never a broken reference (a 500). Not the one it keeps: a delete moving its posts would
  // wait for the post's row, which this transaction holds, while this waits for the category.
  if (categoryId && categoryId !== keeps) {
    categoryId = (await findCategory(db, categoryId, { lock: 'key share' }))?.id;
  }
  if (categoryId === undefined) {
    throw problems.badRequest('The category does not exist.', [
      { field, message: 'is not a category' },
    ]);
  }
  return {
    title: input.title,
    body: input.body,
    excerpt: input.excerpt ?? deriveExcerpt(input.body),
    status: input.status ?? 'draft',
    categoryId,
    tags: tagsOf(input.tags ?? []),
  };
}

/** Each tag's slug, repeats once, in the order sent; a tag with no letter or digit is a 400. */
function tagsOf(tags: string[]): string[] {
  const slugs = tags.map(tagSlug);
  const bad = slugs.flatMap((slug, i) => (slug ? [] : [i]));
  if (bad.length) {
    throw problems.badRequest(
      'A tag needs a letter or digit (a-z, 0-9).',
      bad.map((i) => ({ field: `tags.${i}`, message: 'has no letter or digit (a-z, 0-9)' })),
    );
  }
  return [...new Set(slugs)];
}

const published = (p: { tags: string[]; status: string }) => ({
  tags: p.tags,
  published: p.status === 'published',
});

function emit(db: Executor, types: PostEvent[], post: PostRow, principal: Principal) {
  const payload = {
    post_id: post.id,
    slug: post.slug,
    status: post.status,
    author_id: post.author_id,
    actor_id: principal.userId,
    category_id: post.category_id,
    tags: post.tags,
  };
  return recordEvents(
    db,
    types.map((type) => ({ type, payload })),
  );
}
