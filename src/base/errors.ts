/**
 * The closed set of error kinds used everywhere in berth. Modules throw (or subclass) these;
 * only `api/http-errors.ts` knows HTTP statuses, only the CLI knows exit codes.
 */
export type ErrorKind =
  | 'invalid-argument'
  | 'failed-precondition'
  | 'not-found'
  | 'conflict'
  | 'already-exists'
  | 'not-modified'
  | 'unauthorized'
  | 'forbidden'
  | 'unavailable'
  | 'not-implemented'
  | 'cancelled';

export abstract class BerthError extends Error {
  abstract readonly kind: ErrorKind;
  /** A failure that may not happen again (a registry's 5xx or 429, a time-out): worth a retry. */
  readonly transient: boolean;
  constructor(message: string, options?: { cause?: unknown; transient?: boolean }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.transient = options?.transient ?? false;
  }
}

export class InvalidArgumentError extends BerthError { readonly kind = 'invalid-argument' as const; }
export class FailedPreconditionError extends BerthError { readonly kind = 'failed-precondition' as const; }
export class NotFoundError extends BerthError { readonly kind = 'not-found' as const; }
export class ConflictError extends BerthError { readonly kind = 'conflict' as const; }
export class AlreadyExistsError extends BerthError { readonly kind = 'already-exists' as const; }
export class NotModifiedError extends BerthError { readonly kind = 'not-modified' as const; }
export class UnauthorizedError extends BerthError { readonly kind = 'unauthorized' as const; }
export class ForbiddenError extends BerthError { readonly kind = 'forbidden' as const; }
export class UnavailableError extends BerthError { readonly kind = 'unavailable' as const; }
export class NotImplementedError extends BerthError { readonly kind = 'not-implemented' as const; }
export class CancelledError extends BerthError { readonly kind = 'cancelled' as const; }

/** Walks the cause chain and returns the first classified error, if any. */
export function classify(err: unknown): BerthError | undefined {
  let cur: unknown = err;
  for (let i = 0; i < 16 && cur; i++) {
    if (cur instanceof BerthError) return cur;
    cur = cur instanceof Error ? cur.cause : undefined;
  }
  return undefined;
}

/** The Node errno code of an error (ENOENT, EEXIST...), if it has one. */
export function errnoCode(err: unknown): string | undefined {
  if (err && typeof err === 'object' && 'code' in err && typeof (err as { code: unknown }).code === 'string') {
    return (err as { code: string }).code;
  }
  return undefined;
}

/** Errno codes of a connection that failed or broke: the network, not the data, is at fault. */
const NETWORK_CODES = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'EHOSTDOWN', 'ENETUNREACH',
  'ENETDOWN', 'ENETRESET', 'EAI_AGAIN',
]);

/**
 * True when `err` (or an error in its cause chain) is worth a retry: a network error (connection reset or refused,
 * `socket hang up`, a body cut short...) or an error marked `transient`. Never a cancellation.
 */
export function isTransient(err: unknown): boolean {
  let cur: unknown = err;
  for (let i = 0; i < 16 && cur; i++) {
    if (cur instanceof CancelledError || (cur instanceof Error && cur.name === 'AbortError')) return false;
    if (cur instanceof BerthError && cur.transient) return true;
    const code = errnoCode(cur);
    if (code !== undefined && NETWORK_CODES.has(code)) return true;
    cur = cur instanceof Error ? cur.cause : undefined;
  }
  return false;
}

export function isNotFound(err: unknown): boolean {
  return errnoCode(err) === 'ENOENT' || classify(err)?.kind === 'not-found';
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
