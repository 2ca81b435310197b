import { lstat, readlink } from 'node:fs/promises';
import { posix } from 'node:path';

/** Symlinks followed before giving up (Linux's own limit is 40). */
const MAX_LINKS = 255;

export class SymlinkLoopError extends Error {
  constructor(readonly path: string) {
    super(`too many levels of symbolic links: ${path}`);
  }
}

/**
 * Resolves `unsafePath` (a path as seen inside a container) against `root` the way the kernel would if `root`
 * were `/`: every symlink met on the way is read and followed *inside* `root`, and `..` never climbs above it.
 * The result is a host path that is `root` or lies beneath it. Components that do not exist are appended
 * as they are (so a path can be resolved before it is created). The last component is followed too, unless
 * `followLast` is false (then a final symlink is returned as the link itself, as lstat would see it).
 *
 * This is a lexical-plus-lstat walk, so it is only as good as the tree is still: callers that act on a
 * running container pause it first (the CVE-2018-15664 race).
 */
export async function secureJoin(root: string, unsafePath: string, opts: { followLast?: boolean } = {}): Promise<string> {
  const followLast = opts.followLast ?? true;
  const base = posix.resolve(root);
  // Components still to walk, in order; `done` is the resolved part, relative to root (no leading slash).
  let pending = splitPath(unsafePath);
  const done: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === '.' || part === '') continue;
    if (part === '..') {
      done.pop();
      continue;
    }
    const candidate = posix.join(base, ...done, part);
    const isLast = pending.length === 0;
    let st;
    try {
      st = await lstat(candidate);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') {
        done.push(part);
        continue;
      }
      throw err;
    }
    if (!st.isSymbolicLink() || (isLast && !followLast)) {
      done.push(part);
      continue;
    }
    if (++links > MAX_LINKS) throw new SymlinkLoopError(unsafePath);
    const target = await readlink(candidate);
    if (target.startsWith('/')) done.length = 0;
    pending = [...splitPath(target), ...pending];
  }
  return done.length ? posix.join(base, ...done) : base;
}

function splitPath(p: string): string[] {
  return p.split('/').filter((s) => s !== '');
}

/** True when `p` is `root` or beneath it (both absolute, normalised). */
export function isBeneath(root: string, p: string): boolean {
  const r = posix.resolve(root);
  const q = posix.resolve(p);
  return q === r || q.startsWith(r.endsWith('/') ? r : `${r}/`);
}
