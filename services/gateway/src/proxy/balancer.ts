/** Hands out instance URLs in turn, so load spreads evenly without any shared state. */
export function roundRobin(urls: readonly string[]): () => string {
  let next = 0;
  return () => {
    const url = urls[next % urls.length]!;
    next = (next + 1) % urls.length;
    return url;
  };
}
