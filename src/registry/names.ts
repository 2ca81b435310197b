// Repository names, tags, digests and the /v2/ routes of the distribution spec (pure functions).
import { RegistryError } from './errors.js';

const COMPONENT = '[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*';
const NAME_RE = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`);
export const TAG_RE = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
export const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;
const ANY_DIGEST_RE = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

export function isValidName(name: string): boolean {
  return name.length <= 255 && NAME_RE.test(name);
}

/** Validates a digest from a URL or query: sha256 only; anything else is DIGEST_INVALID (or UNSUPPORTED). */
export function checkDigest(d: string | null | undefined): `sha256:${string}` {
  if (d && DIGEST_RE.test(d)) return d as `sha256:${string}`;
  if (d && ANY_DIGEST_RE.test(d) && !d.startsWith('sha256:')) throw new RegistryError('UNSUPPORTED', `unsupported digest algorithm: ${d}`, undefined, 400);
  throw new RegistryError('DIGEST_INVALID', 'invalid digest', { digest: d ?? '' });
}

export type Route =
  | { kind: 'base' }
  | { kind: 'catalog' }
  | { kind: 'token' }
  | { kind: 'tags'; name: string }
  | { kind: 'manifest'; name: string; reference: string }
  | { kind: 'blob'; name: string; digest: string }
  | { kind: 'uploads'; name: string }
  | { kind: 'upload'; name: string; uuid: string }
  | { kind: 'referrers'; name: string; digest: string };

const ROUTES: [RegExp, (m: RegExpExecArray) => Route][] = [
  [/^\/v2\/?$/, () => ({ kind: 'base' })],
  [/^\/v2\/_catalog$/, () => ({ kind: 'catalog' })],
  [/^\/token$/, () => ({ kind: 'token' })],
  [/^\/v2\/(.+)\/tags\/list$/, (m) => ({ kind: 'tags', name: m[1]! })],
  [/^\/v2\/(.+)\/manifests\/([^/]+)$/, (m) => ({ kind: 'manifest', name: m[1]!, reference: m[2]! })],
  [/^\/v2\/(.+)\/blobs\/uploads\/?$/, (m) => ({ kind: 'uploads', name: m[1]! })],
  [/^\/v2\/(.+)\/blobs\/uploads\/([^/]+)$/, (m) => ({ kind: 'upload', name: m[1]!, uuid: m[2]! })],
  [/^\/v2\/(.+)\/blobs\/([^/]+)$/, (m) => ({ kind: 'blob', name: m[1]!, digest: m[2]! })],
  [/^\/v2\/(.+)\/referrers\/([^/]+)$/, (m) => ({ kind: 'referrers', name: m[1]!, digest: m[2]! })],
];

/** Maps a URL path to a route; undefined when no route matches. Names are validated (NAME_INVALID). */
export function matchRoute(pathname: string): Route | undefined {
  let path: string;
  try {
    path = decodeURIComponent(pathname);
  } catch {
    return undefined;
  }
  for (const [re, make] of ROUTES) {
    const m = re.exec(path);
    if (!m) continue;
    const r = make(m);
    if ('name' in r && !isValidName(r.name)) throw new RegistryError('NAME_INVALID', 'invalid repository name', { name: r.name });
    return r;
  }
  return undefined;
}

/** `n` and `last` pagination over a sorted list; `more` is true when entries remain after the page. */
export function paginate(all: string[], nParam: string | null, last: string | null): { page: string[]; more: boolean } {
  let items = last ? all.filter((x) => x > last) : all;
  if (nParam === null || nParam === '') return { page: items, more: false };
  const n = Number(nParam);
  if (!Number.isInteger(n) || n < 0) throw new RegistryError('UNSUPPORTED', `invalid n: ${nParam}`, undefined, 400);
  const more = items.length > n;
  items = items.slice(0, n);
  return { page: items, more: more && n > 0 };
}

/** Parses a `Content-Range`/`Range` value `start-end` (PATCH) into inclusive bounds. */
export function parseContentRange(v: string): { start: number; end: number } | undefined {
  const m = /^(?:bytes[ =])?(\d+)-(\d+)$/.exec(v.trim());
  if (!m) return undefined;
  const start = Number(m[1]); const end = Number(m[2]);
  return end >= start ? { start, end } : undefined;
}

/** Parses a GET `Range: bytes=a-b` header against `size`; undefined = whole blob; null = unsatisfiable. */
export function parseRange(v: string | undefined, size: number): { start: number; end: number } | null | undefined {
  if (!v) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(v.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  let start: number; let end: number;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return null;
    start = Math.max(0, size - suffix); end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || end < start) return null;
  return { start, end };
}
