import type { Principal } from '@platform/auth';
import { problems } from '@platform/http';
import type { PostRow } from './rows.ts';

export const EDIT_ANY = 'posts:edit-any';

export const canEditAny = (principal: Principal | null) =>
  principal?.permissions.includes(EDIT_ANY) ?? false;

/** Drafts exist only for their author and editors; everyone else is told "not found". */
export const canSee = (principal: Principal | null, post: PostRow) =>
  post.status === 'published' || principal?.userId === post.author_id || canEditAny(principal);

/** Authorizes a change: 404 for a post the caller may not even see, 403 for one they may only read. */
export function assertCanChange(principal: Principal, post: PostRow | undefined): PostRow {
  if (!post || !canSee(principal, post)) throw problems.notFound('The post does not exist.');
  if (post.author_id !== principal.userId && !canEditAny(principal)) {
    throw problems.forbidden('Only the author or an editor may change this post.');
  }
  return post;
}
