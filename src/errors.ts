// Errors that services raise for the caller to see. Each has a stable kind; the HTTP layer maps kinds to
// statuses and problem types, the CLI to messages. Anything else that escapes is a bug and answers 500.
export type AppErrorKind =
  | 'validation'
  | 'malformed-json'
  | 'unsupported-media-type'
  | 'payload-too-large'
  | 'unauthenticated'
  | 'forbidden'
  | 'not-found'
  | 'method-not-allowed'
  | 'conflict'
  | 'precondition-failed'
  | 'not-ready'
  | 'evidence-signing-not-configured';

export class AppError extends Error {
  constructor(
    readonly kind: AppErrorKind,
    readonly detail: string,
    readonly options: { field?: string; extensions?: Record<string, unknown> } = {},
  ) {
    super(detail);
    this.name = 'AppError';
  }
}

export const notFound = (what: string, id: string) => new AppError('not-found', `${what} ${id} does not exist`);
