/**
 * The part of an error that is safe to log when the failed operation carried a secret: its kind
 * and code. Messages are left out because drivers quote what they were given (a query's
 * parameters, an SMTP server's echo of the message).
 */
export function describeError(error: unknown): { type: string; code?: string } {
  if (!(error instanceof Error)) return { type: typeof error };
  const code = (error as { code?: unknown }).code ?? (error.cause as { code?: unknown })?.code;
  return { type: error.name, ...(typeof code === 'string' ? { code } : {}) };
}
