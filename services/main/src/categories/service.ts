import { createHash } from 'node:crypto';
import { problems } from '@platform/http';
import type { MainContext } from '../context.ts';
import { problem } from '../errors.ts';
import { slugify, withSuffix } from '../slug.ts';
import type { CategoryCounts } from './counts.ts';
import {
  type CategoryRow,
  countPosts,
  deleteCategory as deleteRow,
  findCategory,
  insertCategory,
  lockCategories,
  movePosts,
  namesAtSlug,
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

/** Counted once per list stamp (counts.ts): both reads are public. */
export async function getCategories(counts: CategoryCounts) {
  return { items: (await counts.all()).map(toCategoryView) };
}

export async function getCategory(counts: CategoryCounts, idOrSlug: string) {
  const row = await counts.one(idOrSlug);
  if (!row) throw problems.notFound('The category does not exist.');
  return toCategoryView(row);
}

/**
 * What makes two names one name, as a slug does for names in a-z and digits ("News", "news!" and
 * "Ｎｅｗｓ" are all `news`), also where the slug leaves letters out: Unicode compatibility forms
 * (NFKC: full-width, half-width, composed or not), letter case and the separators between words
 * do not count. A name of symbols alone is itself.
 */
const nameKey = (name: string) =>
  name
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}]+/gu, ' ')
    .trim() || name.normalize('NFKC').trim();

/** Letters or digits its slug leaves out (日本, Ελλάδα, ß): the slug is not all of the name. */
const outsideSlug = (name: string) =>
  /[\p{L}\p{N}]/u.test(
    name
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .replace(/[a-z0-9]/gi, ''),
  );

/** Six hex digits of a name's key: the same name always gets the same suffix. */
const keyDigits = (key: string) => createHash('sha256').update(key).digest('hex').slice(0, 6);

/**
 * The slugs a name is tried at, without one of its own: its slug ("Unique" → `unique`), then that
 * (or, for a name with no letter a-z or digit, `category`) with six hex digits of its key. A taken
 * slug is a 409 when the same name holds it, or the one before it with a suffix, and when both
 * names are all in their slugs ("Unique" and "unique!"); otherwise the next slug is tried, and
 * then random suffixes (another name on the same six digits). So the same name sent twice (a
 * create retried after a timeout) is a 409 however it is written and however the two race, and
 * neither "中文 2" after "日本語 2" (both `2`) nor "Category" after "日本語" is one, though no
 * category has that name.
 */
export async function createCategory(ctx: MainContext, body: { name: string; slug?: string }) {
  if (body.slug !== undefined) {
    const row = await insertCategory(ctx.db, { slug: body.slug, name: body.name });
    if (!row) throw slugTaken();
    return toCategoryView(row);
  }
  const key = nameKey(body.name);
  const own = slugify(body.name, '') === '' ? undefined : slugify(body.name, 'category');
  const keyed = `${own ?? 'category'}-${keyDigits(key)}`;
  const tries = [...(own ? [own] : []), keyed, withSuffix(keyed), withSuffix(keyed)];
  for (const slug of tries) {
    const row = await insertCategory(ctx.db, { slug, name: body.name });
    if (row) return toCategoryView(row);
    if (slug !== own && slug !== keyed) continue;
    const names = await namesAtSlug(ctx.db, slug);
    if (names.some((other) => nameKey(other.name) === key)) break;
    const holder = names.find((other) => other.slug === slug);
    if (slug === own && holder && !outsideSlug(holder.name) && !outsideSlug(body.name)) break;
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
  const row = await updateCategory(ctx.db, current.id, { name: body.name, slug: body.slug });
  if (!row) {
    // Deleted since it was read (the UPDATE found no row), or the slug is taken.
    if (!(await findCategory(ctx.db, current.id))) {
      throw problems.notFound('The category does not exist.');
    }
    throw slugTaken();
  }
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
  const noTarget = () =>
    problems.badRequest('move_to must name another existing category.', [
      { field: 'move_to', message: 'is not another category' },
    ]);
  await ctx.db.transaction(async (tx) => {
    const current = await findCategory(tx, idOrSlug);
    if (!current) throw problems.notFound('The category does not exist.');
    if (moveTo !== undefined) {
      const target = await findCategory(tx, moveTo);
      if (!target || target.id === current.id) throw noTarget();
      // Both locked in one order, then checked again: another delete may have taken either.
      const locked = await lockCategories(tx, [
        { id: current.id, mode: 'update' },
        // Key share: a post being moved into the target meanwhile holds that too, and then
        // holds its own row, which movePosts below waits for: with update here, a deadlock.
        { id: target.id, mode: 'key share' },
      ]);
      if (!locked.includes(current.id)) throw problems.notFound('The category does not exist.');
      if (!locked.includes(target.id)) throw noTarget();
      await movePosts(tx, current.id, target.id, actorId);
    } else {
      if ((await lockCategories(tx, [{ id: current.id, mode: 'update' }])).length === 0) {
        throw problems.notFound('The category does not exist.');
      }
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
