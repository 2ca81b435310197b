import { classify, type ErrorKind } from '../base/index.js';

/** The one place that maps error kinds to HTTP statuses. */
const statusOf: Record<ErrorKind, number> = {
  'invalid-argument': 400,
  'failed-precondition': 400,
  unauthorized: 401,
  forbidden: 403,
  'not-found': 404,
  conflict: 409,
  'already-exists': 409,
  'not-modified': 304,
  'not-implemented': 501,
  unavailable: 503,
  cancelled: 500,
};

export interface HttpError { status: number; message: string; classified: boolean }

export function toHttpError(err: unknown): HttpError {
  const c = classify(err);
  if (c) return { status: statusOf[c.kind], message: c.message, classified: true };
  return { status: 500, message: err instanceof Error ? err.message : String(err), classified: false };
}
