import { randomBytes } from 'node:crypto';
import { chmod, lchown, link, lstat, mkdir, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import type { Readable } from 'node:stream';
import { WHITEOUT_OPAQUE, WHITEOUT_PREFIX, tarCreate } from '../archive/index.js';
import { ChangeKind, isOpaque, type Change } from './changes.js';

/**
 * The container's changes as an OCI layer tar (what `docker commit` stores): added and modified entries as they
 * are in the upper dir, deletions as AUFS-style `.wh.<name>` files, a directory that hides the lower one as
 * `<dir>/.wh..wh..opq`. Built as a hard-link mirror of the upper dir next to it (`scratch`, same filesystem,
 * nothing copied), archived with GNU tar sorted by name, and removed when the returned stream closes.
 */
export async function diffTar(upper: string, changes: readonly Change[], scratchParent: string): Promise<Readable> {
  const mirror = join(scratchParent, `.diff-${randomBytes(8).toString('hex')}`);
  await mkdir(mirror, { recursive: true, mode: 0o700 });
  try {
    const dirs = new Map<string, true>(); // rel → created (metadata applied at the end)
    const ensureDir = async (rel: string): Promise<void> => {
      if (rel === '' || dirs.has(rel)) return;
      await ensureDir(posix.dirname(rel) === '.' ? '' : posix.dirname(rel));
      await mkdir(join(mirror, rel));
      dirs.set(rel, true);
    };
    const parentOf = (rel: string): string => (posix.dirname(rel) === '.' ? '' : posix.dirname(rel));
    for (const ch of changes) {
      const rel = ch.Path.replace(/^\/+/, '');
      if (!rel) continue;
      const host = join(upper, rel);
      if (ch.Kind === ChangeKind.Delete) {
        const st = await lstat(host).catch(() => undefined);
        if (st?.isDirectory() && (await isOpaque(host))) {
          await ensureDir(rel);
          await writeFile(join(mirror, rel, WHITEOUT_OPAQUE), '', { mode: 0o600 });
        } else {
          await ensureDir(parentOf(rel));
          await writeFile(join(mirror, parentOf(rel), `${WHITEOUT_PREFIX}${posix.basename(rel)}`), '', { mode: 0o600 });
        }
        continue;
      }
      const st = await lstat(host);
      if (st.isDirectory()) {
        await ensureDir(rel);
      } else {
        await ensureDir(parentOf(rel));
        await link(host, join(mirror, rel));
      }
    }
    // Directory metadata from the upper dir, deepest first so setting a child's times does not disturb a parent.
    for (const rel of [...dirs.keys()].sort((a, b) => b.length - a.length)) {
      const st = await lstat(join(upper, rel));
      const d = join(mirror, rel);
      await chmod(d, st.mode & 0o7777);
      if (process.getuid?.() === 0) await lchown(d, st.uid, st.gid);
      await utimes(d, st.atime, st.mtime);
    }
    const names = (await readdir(mirror)).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    const out = tarCreate({ cwd: mirror, names, extra: ['--sort=name'] });
    out.once('close', () => { void rm(mirror, { recursive: true, force: true }); });
    return out;
  } catch (err) {
    await rm(mirror, { recursive: true, force: true });
    throw err;
  }
}
