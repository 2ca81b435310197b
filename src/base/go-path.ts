import { posix } from 'node:path';

// Go's path semantics, as moby's archive code and docker's CLI apply them to `cp` paths.

/** Go's filepath.Clean for absolute or relative slash paths. */
export function goClean(p: string): string {
  if (p === '') return '.';
  const n = posix.normalize(p);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}

/** Go's filepath.Base: trailing slashes dropped; `/` for all-slash paths, `.` for the empty path. */
export function goBase(p: string): string {
  if (p === '') return '.';
  const t = p.replace(/\/+$/, '');
  if (t === '') return '/';
  return t.slice(t.lastIndexOf('/') + 1);
}

/** A path naming the directory itself: `dir/.` (moby's specifiesCurrentDir). */
export function specifiesCurrentDir(p: string): boolean {
  return goBase(p) === '.';
}

/** A path that can only name a directory (`dir/` or `dir/.`). */
export function assertsDirectory(p: string): boolean {
  return p.endsWith('/') || specifiesCurrentDir(p);
}

/** moby's PreserveTrailingDotOrSeparator: keeps the `/` or `/.` the user wrote after cleaning. */
export function preserveTrailingDotOrSeparator(cleaned: string, original: string): string {
  let out = cleaned;
  if (!specifiesCurrentDir(out) && specifiesCurrentDir(original)) {
    if (!out.endsWith('/')) out += '/';
    out += '.';
  }
  if (!out.endsWith('/') && original.endsWith('/')) out += '/';
  return out;
}
