import { randomBytes } from 'node:crypto';
import type { BigIntStats } from 'node:fs';
import { chmod, lchown, lstat, mkdir, readdir, rename, rm, unlink, utimes } from 'node:fs/promises';
import { join, posix } from 'node:path';
import type { Readable } from 'node:stream';
import { InvalidArgumentError, NotFoundError, errnoCode } from '../base/index.js';
import { decompressStream, rebaseTransforms, tarCreate, tarExtract } from '../archive/index.js';
import { isBeneath, secureJoin } from '../sys/index.js';
import { assertsDirectory, goBase, goClean, preserveTrailingDotOrSeparator } from '../base/index.js';

/** Docker's container path stat (X-Docker-Container-Path-Stat, base64 JSON). `mode` is a Go os.FileMode. */
export interface PathStat {
  name: string;
  size: number;
  mode: number;
  mtime: string;
  linkTarget: string;
}

// ---------------------------------------------------------------- Go path semantics (moby's archive helpers; goClean/goBase in base)

/** The absolute container path a request's `path` names (moby: Join("/", path) with the trailing `/` or `/.`). */
export function containerAbsPath(path: string): string {
  return preserveTrailingDotOrSeparator(goClean(`/${path}`), path);
}

const S_IFMT = 0o170000;
const GO_MODE = {
  dir: 2 ** 31, symlink: 2 ** 27, device: 2 ** 26, namedPipe: 2 ** 25, socket: 2 ** 24, setuid: 2 ** 23,
  setgid: 2 ** 22, charDevice: 2 ** 21, sticky: 2 ** 20,
};

/** A Unix st_mode as Go's os.FileMode bits. */
export function goFileMode(mode: number): number {
  let m = mode & 0o777;
  if (mode & 0o4000) m += GO_MODE.setuid;
  if (mode & 0o2000) m += GO_MODE.setgid;
  if (mode & 0o1000) m += GO_MODE.sticky;
  switch (mode & S_IFMT) {
    case 0o040000: m += GO_MODE.dir; break;
    case 0o120000: m += GO_MODE.symlink; break;
    case 0o010000: m += GO_MODE.namedPipe; break;
    case 0o140000: m += GO_MODE.socket; break;
    case 0o060000: m += GO_MODE.device; break;
    case 0o020000: m += GO_MODE.device + GO_MODE.charDevice; break;
  }
  return m;
}

/** Go's time.Time JSON form (RFC 3339 with nanoseconds, trailing zeros dropped), in UTC. */
export function goTime(st: BigIntStats): string {
  const sec = st.mtimeNs / 1_000_000_000n;
  const ns = st.mtimeNs % 1_000_000_000n;
  const base = new Date(Number(sec) * 1000).toISOString().replace(/\.\d+Z$/, '');
  const frac = ns === 0n ? '' : `.${ns.toString().padStart(9, '0').replace(/0+$/, '')}`;
  return `${base}${frac}Z`;
}

// ---------------------------------------------------------------- operations on a mounted root

export class PathNotFoundError extends NotFoundError {}

async function lstatBig(p: string): Promise<BigIntStats | undefined> {
  try {
    return await lstat(p, { bigint: true });
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw err;
  }
}

/**
 * Stats `path` inside `root` (moby's containerFSView.Stat): the last component is not followed unless the path
 * asserts a directory; a symlink's linkTarget is its full resolution inside the root.
 */
export async function statPath(root: string, path: string): Promise<{ stat: PathStat; host: string; absPath: string }> {
  const absPath = containerAbsPath(path);
  const host = await secureJoin(root, absPath, { followLast: assertsDirectory(absPath) });
  if (!isBeneath(root, host)) throw new Error(`resolved path escapes the container root: ${path}`);
  const st = await lstatBig(host);
  if (!st) throw new PathNotFoundError(path);
  let linkTarget = '';
  if (st.isSymbolicLink()) {
    const resolved = await secureJoin(root, absPath, { followLast: true });
    linkTarget = `/${posix.relative(posix.resolve(root), resolved)}`;
  }
  return {
    stat: { name: goBase(absPath), size: Number(st.size), mode: goFileMode(Number(st.mode)), mtime: goTime(st), linkTarget },
    host,
    absPath,
  };
}

/** 128 KiB records for `docker cp` tars: a tenth of the write calls of tar's 10 KiB default (and of Node's reads). */
const CP_RECORDS = ['--blocking-factor=256'];

/**
 * A tar of `path` inside `root` named as moby names it: a directory's entries start with the path's base name
 * (`etc/`, `etc/passwd`; `./...` for `/` and `x/.`), a non-directory is the single entry `<base>`.
 */
export async function archivePath(root: string, path: string): Promise<{ stat: PathStat; tar: Readable }> {
  const { stat, host, absPath } = await statPath(root, path);
  if (stat.mode >= GO_MODE.dir) {
    let base = goBase(absPath);
    if (base === '/') base = '.';
    return { stat, tar: tarCreate({ cwd: host, names: ['.'], extra: [...CP_RECORDS, ...rebaseTransforms('.', base)] }) };
  }
  return { stat, tar: tarCreate({ cwd: posix.dirname(host), names: [posix.basename(host)], extra: CP_RECORDS }) };
}

/** The whole filesystem under `root` as a tar (entries without a `./` prefix, as `docker export`). */
export async function exportRoot(root: string): Promise<Readable> {
  const names = (await readdir(root)).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return tarCreate({ cwd: root, names });
}

export interface ExtractOptions {
  /** Refuse to replace a directory by a non-directory or the reverse (the CLI always asks for this). */
  noOverwriteDirNonDir: boolean;
  /** Owner given to every extracted entry (copyUIDGID with a container User), else the archive's owners. */
  chown?: { uid: number; gid: number };
}

/**
 * Extracts a (possibly compressed) tar into the directory `path` inside `root`. The archive is unpacked by GNU
 * tar into a fresh staging directory inside the root (same filesystem, invisible to the paused container),
 * then each entry is moved into place, every destination resolved with secureJoin so that no symlink in the
 * container can redirect a write outside the root.
 */
export async function extractToDir(root: string, path: string, body: Readable, o: ExtractOptions): Promise<void> {
  const absPath = containerAbsPath(path);
  const dest = await secureJoin(root, absPath, { followLast: true });
  const st = await lstatBig(dest);
  if (!st) {
    body.resume();
    throw new PathNotFoundError(path);
  }
  if (!st.isDirectory()) {
    body.resume();
    throw new InvalidArgumentError('extraction point is not a directory');
  }
  const destRel = `/${posix.relative(posix.resolve(root), dest)}`;
  const stage = join(root, `.berth-cp-${randomBytes(8).toString('hex')}`);
  await mkdir(stage, { mode: 0o700 });
  try {
    const { stream } = await decompressStream(body);
    await tarExtract(stream, stage, o.chown ? { sameOwner: false } : {});
    if (o.chown) await chownTree(stage, o.chown.uid, o.chown.gid);
    await mergeInto(root, stage, stage, dest, destRel, '', o);
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
}

async function chownTree(dir: string, uid: number, gid: number): Promise<void> {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    await lchown(p, uid, gid);
    if (e.isDirectory()) await chownTree(p, uid, gid);
  }
}

/** Runs `fn` over `items` with at most `limit` calls in flight (file system calls go to libuv's thread pool). */
async function forEachLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      try {
        await fn(items[next++]!);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  // Every worker has stopped before this returns or throws (the first error wins).
  const results = await Promise.allSettled(Array.from({ length: Math.min(limit, items.length) }, worker));
  const bad = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (bad) throw bad.reason;
}

/**
 * Moves the staged tree `stageDir` into `targetDir` (a real directory inside the root). The container is frozen
 * and its lock held, so nothing else changes the tree meanwhile: a directory found with lstat (never through a
 * symlink) is still that directory when we write into it, so its host path is passed down as is. Entries that
 * do not exist at the destination move with one rename (a new directory with everything under it).
 */
async function mergeInto(root: string, stage: string, stageDir: string, targetDir: string, shownDir: string, rel: string, o: ExtractOptions): Promise<void> {
  const entries = await readdir(stageDir, { withFileTypes: true });
  await forEachLimit(entries, 8, async (e) => {
    const name = e.name;
    const childRel = rel ? `${rel}/${name}` : name;
    const staged = join(stageDir, name);
    const target = join(targetDir, name);
    const shown = posix.join(shownDir, name);
    if (!isBeneath(root, target) || target === stage) throw new InvalidArgumentError(`refusing to extract ${childRel} outside the container`);
    if (e.isDirectory()) {
      const tst = await lstatBig(target);
      if (tst?.isDirectory()) {
        await mergeInto(root, stage, staged, target, shown, childRel, o);
        const sst = await lstat(staged);
        await chmod(target, sst.mode & 0o7777);
        if (process.getuid?.() === 0) await lchown(target, sst.uid, sst.gid);
        await utimes(target, sst.atime, sst.mtime);
        return;
      }
      if (tst) {
        if (o.noOverwriteDirNonDir) throw new InvalidArgumentError(`cannot overwrite non-directory "${shown}" with directory "${childRel}"`);
        await rm(target, { force: true });
      }
      await rename(staged, target);
      return;
    }
    // A non-directory replaces whatever non-directory is there: unlinked first (never followed), then the rename
    // makes a new name. (Renaming over an existing file would make ext4 write the new file's data back at once,
    // its replace-by-rename heuristic; the frozen container cannot see the moment without the name.) unlink
    // fails with EISDIR only when a directory is in the way.
    try {
      await unlink(target);
    } catch (err) {
      const code = errnoCode(err);
      if (code === 'ENOENT') {
        await rename(staged, target);
        return;
      }
      if (code !== 'EISDIR') throw err;
    }
    if (!(await lstatBig(target))?.isDirectory()) {
      await rename(staged, target);
      return;
    }
    if (o.noOverwriteDirNonDir) throw new InvalidArgumentError(`cannot overwrite directory "${shown}" with non-directory "${childRel}"`);
    await rm(target, { recursive: true, force: true });
    await rename(staged, target);
  });
}
