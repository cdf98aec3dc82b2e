import type { AjvError } from './validation-errors.ts';

/** An ajv validator as Fastify calls it: the checks of input-strictness.ts wrap one another. */
export type Validator = ((data: unknown, context?: DataContext) => boolean) & {
  errors?: AjvError[] | null;
  schemaEnv?: unknown;
};
interface DataContext {
  parentData?: Record<string, unknown>;
  parentDataProperty?: string;
}

/** An error entry of our own checks, in ajv's shape (validation-errors.ts turns both into fields). */
export const fault = (instancePath: string, message: string): AjvError => ({
  instancePath,
  keyword: 'input',
  params: {},
  message,
});

/** A JSON pointer segment that names any key in plain ASCII, as JSON would escape it. */
export const segment = (key: string) =>
  JSON.stringify(key).slice(1, -1).replaceAll('~', '~0').replaceAll('/', '~1');
