export interface FieldError {
  field: string;
  message: string;
}

/** What a problem may carry besides its status and detail. */
export interface ProblemExtras {
  type?: string;
  title?: string;
  /** Stable snake_case kind of failure that clients branch on; a default per status if absent. */
  code?: string;
  errors?: FieldError[];
}

/**
 * An error a client caused or may see, rendered as RFC 9457 problem+json. Services throw these;
 * anything else that escapes a handler is a bug and becomes a generic 500.
 */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    detail: string,
    readonly options: ProblemExtras & { headers?: Record<string, string> } = {},
  ) {
    super(detail);
    this.name = 'HttpProblem';
  }
}
