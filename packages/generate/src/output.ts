import { edgeRoutesSetting, type Service } from '@platform/manifest';
import { parse } from 'yaml';

/** Text one service contributes to a generated file; the drift check looks for it verbatim. */
export interface Part {
  service: string;
  /** What it is, for messages: "its service block", "its ROUTES entry". */
  what: string;
  text: string;
  /** Found anywhere in the file (a piece of a line), rather than as whole lines. */
  inline?: boolean;
}

/** A file as `npm run generate` writes it, and the parts each service contributes to it. */
export interface Generated {
  /** Relative to the repository root, with forward slashes. */
  file: string;
  content: string;
  parts: Part[];
}

/** The hand-written parts of the deployment files lack what a manifest needs; one line each. */
export class GenerateError extends Error {
  override name = 'GenerateError';
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
}

/**
 * A YAML scalar for `value`: plain when it reads back as the same string, otherwise double-quoted,
 * or single-quoted when it holds double quotes (JSON reads better without escapes).
 */
export function scalar(value: string): string {
  if (value === '') return '""';
  try {
    if (parse(`k: ${value}`)?.k === value && !value.includes('#')) return value;
  } catch {}
  return value.includes('"') ? `'${value.replaceAll("'", "''")}'` : JSON.stringify(value);
}

/** `text` as `# ` comment lines of at most `width` characters, each starting with `indent`. */
export function comment(text: string, indent: string, width = 100): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && indent.length + 2 + line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines.map((l) => `${indent}# ${l}\n`).join('');
}

/** The `${VAR…}` references in a Compose value, with whether each must be set. */
export function composeVariables(
  value: string,
): { name: string; required: boolean; fallback?: string }[] {
  return [...value.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}/g)].map(
    ([, name, op, arg]) => ({
      name: name!,
      required: !op?.endsWith('-'),
      ...(op?.endsWith('-') ? { fallback: arg ?? '' } : {}),
    }),
  );
}

/** Each service's entries in EDGE_ROUTES, found inside the one JSON value. */
export const edgeParts = (services: readonly Service[]): Part[] =>
  services
    .filter((s) => s.edge.length)
    .map((s) => ({
      service: s.name,
      what: 'its EDGE_ROUTES entries',
      text: edgeRoutesSetting([s]).slice(1, -1),
      inline: true,
    }));
