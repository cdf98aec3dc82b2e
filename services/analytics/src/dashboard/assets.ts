import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';

export interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

const require = createRequire(import.meta.url);
const here = (file: string) => path.join(import.meta.dirname, 'public', file);

/**
 * Everything the page loads, by the name it is served under. uPlot comes from its npm package
 * (no CDN), the page's own modules and style from `public/`; all are read once at start.
 */
const SOURCES: Record<string, { file: string; type: string }> = {
  'uplot.js': {
    file: require.resolve('uplot/dist/uPlot.iife.min.js'),
    type: 'text/javascript; charset=utf-8',
  },
  'uplot.css': {
    file: require.resolve('uplot/dist/uPlot.min.css'),
    type: 'text/css; charset=utf-8',
  },
  // The page's own modules: dashboard.js imports the others.
  ...Object.fromEntries(
    ['dashboard.js', 'session.js', 'reports.js', 'panels.js', 'charts.js', 'dom.js'].map((name) => [
      name,
      { file: here(name), type: 'text/javascript; charset=utf-8' },
    ]),
  ),
  'dashboard.css': { file: here('dashboard.css'), type: 'text/css; charset=utf-8' },
};

export async function loadAssets(): Promise<Map<string, Asset>> {
  const assets = new Map<string, Asset>();
  for (const [name, { file, type }] of Object.entries(SOURCES)) {
    const body = await readFile(file);
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
    assets.set(name, { body, type, etag });
  }
  return assets;
}
