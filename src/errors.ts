/**
 * errors: the one error type capabilities throw for caller mistakes.
 * A DomainError carries a stable, public code (listed in README) and a message that never contains user
 * content. It has no HTTP status: `http/errors.ts` holds the one table from code to status.
 * May import: nothing.
 */
export class DomainError extends Error {
  readonly code: string;
  readonly details?: Record<string, string | number | boolean>;

  constructor(code: string, message: string, details?: Record<string, string | number | boolean>) {
    super(message);
    this.name = 'DomainError';
    this.code = code;
    this.details = details;
  }
}

export function isDomainError(err: unknown): err is DomainError {
  return err instanceof DomainError;
}
