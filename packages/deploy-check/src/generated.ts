import { checkGenerated, GenerateError } from '@platform/generate';
import { ManifestError } from '@platform/manifest';
import { YAMLError } from 'yaml';

/**
 * Where the committed generated files differ from what services/*\/service.json generate, and
 * what stops generating them at all (a manifest refused, a hand-written part of compose.yaml or
 * deploy/k8s missing, or not parsing, a file missing), one line each: thrown, those were a stack
 * trace at the top of cli.ts, as `npm run generate` words them, and no other check reported.
 */
export function generatedErrors(root: string): string[] {
  try {
    return checkGenerated(root);
  } catch (error) {
    if (error instanceof GenerateError || error instanceof ManifestError) return error.problems;
    // A YAML error quotes the lines around it after its first; the compose check shows it whole.
    if (error instanceof YAMLError) {
      return [`cannot generate: YAML: ${error.message.split('\n')[0]}`];
    }
    // ENOENT and the like name the file in their message.
    const { code, message } = error as NodeJS.ErrnoException;
    if (typeof code === 'string' && code.startsWith('E')) return [`cannot generate: ${message}`];
    throw error;
  }
}
