import type { App } from './app.ts';

export const NO_PEER = 'http://127.0.0.1:9';
/** A placeholder secret of the length services require. */
export const NO_SECRET = 'document-only-placeholder-0123456789abcdef';

/**
 * The OpenAPI document an app serves, read without listening: client generation and the lint
 * tests use it. `build` makes the app with inert dependencies; `close` releases them.
 */
export async function documentOf(
  build: () => Promise<App>,
  close: () => Promise<void> = async () => {},
): Promise<Record<string, unknown>> {
  const app = await build();
  try {
    await app.ready();
    return app.swagger() as unknown as Record<string, unknown>;
  } finally {
    await app.close();
    await close();
  }
}
