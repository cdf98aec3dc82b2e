import type { Principal } from '@platform/auth';
import { problems } from '@platform/http';
import type { PostRow } from './rows.ts';

export const EDIT_ANY = 'posts:edit-any';
/** Creating posts, and changing or deleting one's own (the manifest's words for it). */
export const WRITE = 'posts:write';

export const canEditAny = (principal: Principal | null) =>
  principal?.permissions.includes(EDIT_ANY) ?? false;

/** Drafts exist only for their author and editors; everyone else is told "not found". */
export const canSee = (principal: Principal | null, post: PostRow) =>
  post.status === 'published' || principal?.userId === post.author_id || canEditAny(principal);

/**
 * Authorizes a change: 404 for a post the caller may not even see, 403 for one they may only read.
 * Its author needs posts:write as a create does: a role without it (taken away, or one an operator
 * made without it) could not write a post but still rewrote, published and deleted its own.
 */
export function assertCanChange(principal: Principal, post: PostRow | undefined): PostRow {
  if (!post || !canSee(principal, post)) throw problems.notFound('The post does not exist.');
  if (canEditAny(principal)) return post;
  if (post.author_id !== principal.userId) {
    throw problems.forbidden('Only the author or an editor may change this post.');
  }
  if (!principal.permissions.includes(WRITE)) {
    throw problems.forbidden(
      `Changing your posts needs the permission ${WRITE}, which your access token does not carry.`,
    );
  }
  return post;
}
