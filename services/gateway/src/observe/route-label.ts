const MAX_ROUTES = 1000;
/** Longer segments are ids (or junk), whatever they hold. */
const MAX_SEGMENT = 40;
/** Longer labels (seven short segments) are `other`. */
const MAX_LABEL = 200;
const ID_LIKE = /\d|^[^.]{25,}$/;
const seen = new Set<string>();
/** Paths seen lately and their labels: a client repeats its URLs, and this runs on every request. */
const recent = new Map<string, string>();
const MAX_RECENT = 10_000;

/**
 * A bounded label for a proxied path: ids and slugs become `:id` (a segment holding a digit, a
 * long one, or one that follows a plural collection such as `posts`), so `/main/v1/posts/hello`
 * and `/main/v1/posts/42` share `/main/v1/posts/:id`. Past a thousand shapes, `other`.
 */
export function routeLabel(url: string): string {
  const query = url.indexOf('?');
  const path = query === -1 ? url : url.slice(0, query);
  const known = recent.get(path);
  if (known !== undefined) return known;
  const label = labelOf(path);
  // Long paths are not kept: a scanner's would fill the memory, not the hit rate.
  if (path.length > 200) return label;
  if (recent.size >= MAX_RECENT) recent.clear();
  recent.set(path, label);
  return label;
}

function labelOf(path: string): string {
  const segments = path.split('/').slice(1, 8);
  for (let i = 1; i < segments.length; i++) {
    const previous = segments[i - 1]!;
    const segment = segments[i]!;
    // Any long segment, the version's place included: a label is a metric label and a stored
    // sample's route (analytics refuses one over 512 characters, and with it the whole batch).
    if (
      segment.length > MAX_SEGMENT ||
      (i >= 2 && ID_LIKE.test(segment)) ||
      (i >= 3 && previous.endsWith('s') && previous !== ':id')
    ) {
      segments[i] = ':id';
    }
  }
  const label = `/${segments.join('/')}`;
  if (label.length > MAX_LABEL) return 'other';
  if (seen.has(label)) return label;
  if (seen.size >= MAX_ROUTES) return 'other';
  seen.add(label);
  return label;
}
