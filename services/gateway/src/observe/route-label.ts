const MAX_ROUTES = 1000;
const ID_LIKE = /\d|^[^.]{25,}$/;
const seen = new Set<string>();

/**
 * A bounded label for a proxied path: ids and slugs become `:id` (a segment holding a digit, a
 * long one, or one that follows a plural collection such as `posts`), so `/main/v1/posts/hello`
 * and `/main/v1/posts/42` share `/main/v1/posts/:id`. Past a thousand shapes, `other`.
 */
export function routeLabel(url: string): string {
  const path = url.split('?', 1)[0]!;
  const segments = path.split('/').slice(1, 8);
  for (let i = 2; i < segments.length; i++) {
    const previous = segments[i - 1]!;
    const segment = segments[i]!;
    if (ID_LIKE.test(segment) || (i >= 3 && previous.endsWith('s') && previous !== ':id')) {
      segments[i] = ':id';
    }
  }
  const label = `/${segments.join('/')}`;
  if (seen.has(label)) return label;
  if (seen.size >= MAX_ROUTES) return 'other';
  seen.add(label);
  return label;
}
