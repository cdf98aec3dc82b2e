import { checkGenerated, GenerateError } from '@platform/generate';
import { ManifestError } from '@platform/manifest';

/**
 * Where the committed generated files differ from what services/*\/service.json generate, and
 * what stops generating them at all (a manifest refused, a hand-written part of compose.yaml or
 * deploy/k8s missing), one line each: thrown, those were a stack trace at the top of cli.ts, as
 * `npm run generate` words them.
 */
export function generatedErrors(root: string): string[] {
  try {
    return checkGenerated(root);
  } catch (error) {
    if (error instanceof GenerateError || error instanceof ManifestError) return error.problems;
    throw error;
  }
}
