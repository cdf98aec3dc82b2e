import { problems } from '@platform/http';
import type { MainContext } from '../context.ts';
import { problem } from '../errors.ts';
import { slugify, withSuffix } from '../slug.ts';
import {
  type CategoryRow,
  countPosts,
  deleteCategory as deleteRow,
  findCategory,
  insertCategory,
  listCategories,
  movePosts,
  updateCategory,
} from './repository.ts';

export const toCategoryView = (row: CategoryRow & { post_count?: number }) => ({
  id: row.id,
  slug: row.slug,
  name: row.name,
  post_count: row.post_count ?? 0,
  created_at: row.created_at,
  updated_at: row.updated_at,
});

const slugTaken = () =>
  problem('slug_taken', 'Another category has this slug.', {
    errors: [{ field: 'slug', message: 'is taken; choose another name or slug' }],
  });

export async function getCategories(ctx: MainContext) {
  return { items: (await listCategories(ctx.db)).map(toCategoryView) };
}

/** Tries for a free slug for a name with no letter a-z or digit: its slug is only the fallback. */
const FALLBACK_ATTEMPTS = 5;

export async function createCategory(ctx: MainContext, body: { name: string; slug?: string }) {
  const slug = body.slug ?? slugify(body.name, 'category');
  // A name of its own slug ("News" twice) is a 409; a name with none ("日本語", "Ελληνικά") has
  // only the fallback, which another such name would hold: it gets a suffix, as post slugs do.
  const fallback = body.slug === undefined && slugify(body.name, '') === '';
  const attempts = fallback ? FALLBACK_ATTEMPTS : 1;
  for (let attempt = 0; attempt < attempts; attempt++) {
    const candidate = attempt === 0 ? slug : withSuffix(slug);
    const row = await insertCategory(ctx.db, { slug: candidate, name: body.name });
    if (row) return toCategoryView(row);
  }
  throw slugTaken();
}

export async function renameCategory(
  ctx: MainContext,
  idOrSlug: string,
  body: { name: string; slug?: string },
) {
  const current = await findCategory(ctx.db, idOrSlug);
  if (!current) throw problems.notFound('The category does not exist.');
  const row = await updateCategory(ctx.db, current.id, {
    name: body.name,
    slug: body.slug ?? current.slug,
  });
  if (!row) throw slugTaken();
  const published = await countPosts(ctx.db, row.id, { publishedOnly: true });
  return toCategoryView({ ...row, post_count: published });
}

/**
 * A category that posts still use is kept (409) unless `moveTo` names the category that takes
 * them over, in the same transaction as the delete.
 */
export async function deleteCategory(
  ctx: MainContext,
  actorId: string,
  idOrSlug: string,
  moveTo?: string,
) {
  await ctx.db.transaction(async (tx) => {
    const current = await findCategory(tx, idOrSlug, { forUpdate: true });
    if (!current) throw problems.notFound('The category does not exist.');
    if (moveTo !== undefined) {
      const target = await findCategory(tx, moveTo, { forUpdate: true });
      if (!target || target.id === current.id) {
        throw problems.badRequest('move_to must name another existing category.', [
          { field: 'move_to', message: 'is not another category' },
        ]);
      }
      await movePosts(tx, current.id, target.id, actorId);
    } else {
      const used = await countPosts(tx, current.id);
      if (used > 0) {
        throw problem(
          'category_in_use',
          `${used} post(s) use this category; pass ?move_to=<id or slug> to move them first.`,
        );
      }
    }
    await deleteRow(tx, current.id);
  });
}
