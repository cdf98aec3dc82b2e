import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Service } from '@platform/manifest';
import type { Generated, Part } from './output.ts';
import { fillRegion } from './regions.ts';

const FILE = 'deploy/nginx/nginx.conf';

/**
 * The path of an edge route as an NGINX regex on `$uri`: its `:name` segments any one segment,
 * a trailing slash allowed (the gateway takes one), everything else literal.
 */
export function uriPattern(url: string): string {
  const literal = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const segments = url.split('/').map((s) => (s.startsWith(':') ? '[^/]+' : literal(s)));
  return `~^${segments.join('/')}/?$`;
}

/**
 * deploy/nginx/nginx.conf: the `$any_origin` map's entries, one per edge route a manifest marks
 * `any_origin`, so NGINX's own refusals on them (503, 413, 429) are readable from any page, as
 * the gateway's answers are. Hand-written, a new such route was missed (review of 3573f80).
 */
export function generateNginx(root: string, services: readonly Service[]): Generated {
  const parts: Part[] = [];
  const text = readFileSync(path.join(root, FILE), 'utf8');
  const content = fillRegion(text, FILE, 'any-origin', ({ indent }) =>
    services
      .flatMap((s) =>
        s.edge
          .filter((route) => route.any_origin)
          .map((route) => {
            const line = `${indent}${uriPattern(`${s.prefix}${route.path}`)} "*";\n`;
            parts.push({ service: s.name, what: `its any_origin route ${route.path}`, text: line });
            return line;
          }),
      )
      .join(''),
  );
  return { file: FILE, content, parts };
}
