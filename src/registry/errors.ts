// The OCI distribution spec's error codes, their HTTP statuses (as distribution 2.8 sends them) and the JSON body
// `{"errors":[{"code","message","detail"}]}`.

export type ErrorCode =
  | 'BLOB_UNKNOWN' | 'BLOB_UPLOAD_INVALID' | 'BLOB_UPLOAD_UNKNOWN' | 'DIGEST_INVALID' | 'MANIFEST_BLOB_UNKNOWN'
  | 'MANIFEST_INVALID' | 'MANIFEST_UNKNOWN' | 'NAME_INVALID' | 'NAME_UNKNOWN' | 'SIZE_INVALID' | 'UNAUTHORIZED'
  | 'DENIED' | 'UNSUPPORTED' | 'TOOMANYREQUESTS';

const INFO: Record<ErrorCode, [number, string]> = {
  BLOB_UNKNOWN: [404, 'blob unknown to registry'],
  BLOB_UPLOAD_INVALID: [400, 'blob upload invalid'],
  BLOB_UPLOAD_UNKNOWN: [404, 'blob upload unknown to registry'],
  DIGEST_INVALID: [400, 'provided digest did not match uploaded content'],
  MANIFEST_BLOB_UNKNOWN: [400, 'manifest references a manifest or blob unknown to registry'],
  MANIFEST_INVALID: [400, 'manifest invalid'],
  MANIFEST_UNKNOWN: [404, 'manifest unknown'],
  NAME_INVALID: [400, 'invalid repository name'],
  NAME_UNKNOWN: [404, 'repository name not known to registry'],
  SIZE_INVALID: [400, 'provided length did not match content length'],
  UNAUTHORIZED: [401, 'authentication required'],
  DENIED: [403, 'requested access to the resource is denied'],
  UNSUPPORTED: [405, 'The operation is unsupported.'],
  TOOMANYREQUESTS: [429, 'too many requests'],
};

export class RegistryError extends Error {
  readonly status: number;
  constructor(readonly code: ErrorCode, message?: string, readonly detail?: unknown, status?: number) {
    super(message ?? INFO[code][1]);
    this.status = status ?? INFO[code][0];
  }
}

export function statusOf(code: ErrorCode): number {
  return INFO[code][0];
}

export function errorBody(errs: RegistryError[]): string {
  return JSON.stringify({
    errors: errs.map((e) => ({ code: e.code, message: e.message, ...(e.detail !== undefined ? { detail: e.detail } : {}) })),
  });
}
