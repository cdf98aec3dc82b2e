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
    // A system call's (ENOENT, EACCES) names the file; Node's own ERR_* codes are bugs: thrown.
    const { syscall, message } = error as NodeJS.ErrnoException;
    if (typeof syscall === 'string') return [`cannot generate: ${message}`];
    throw error;
  }
}
