import { spawn } from 'node:child_process';
import { lstat, readlink, realpath, stat } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ApiError } from '../../client/index.js';
import { feedChildStdin, rebaseTransforms } from '../../base/index.js';
import type { CommandImpl, Ctx } from '../command.js';
import { write } from '../command.js';
import { StatusError } from '../errors.js';
import { humanSizeWithPrecision } from '../units.js';
import { assertsDirectory, goBase, goClean, preserveTrailingDotOrSeparator, specifiesCurrentDir } from '../../base/index.js';

const enc = encodeURIComponent;
const GO_MODE_DIR = 2 ** 31;
const GO_MODE_SYMLINK = 2 ** 27;
/** Go os.ModeType bits other than dir/symlink: named pipe, socket, device, char device, irregular. */
const GO_MODE_OTHER_TYPES = [2 ** 25, 2 ** 24, 2 ** 26, 2 ** 21, 2 ** 19];

export interface PathStat { name: string; size: number; mode: number; mtime: string; linkTarget: string }

function isDirMode(mode: number): boolean {
  return mode >= GO_MODE_DIR;
}
function hasBit(mode: number, bit: number): boolean {
  return Math.floor(mode / bit) % 2 === 1;
}

// ---------------------------------------------------------------- docker's path rules (moby go-archive copy.go)

/** SplitPathDirEntry: `/a/b/` → [`/a`, `b`]; `/a/b/.` → [`/a/b`, `.`]. */
export function splitPathDirEntry(p: string): [string, string] {
  let cleaned = goClean(p);
  if (specifiesCurrentDir(p)) cleaned += '/.';
  return [posix.dirname(cleaned), goBase(cleaned)];
}

/** GetRebaseName: keeps the `/` or `/.` of `path` on `resolved`, and the name the user gave when they differ. */
export function getRebaseName(path: string, resolved: string): [string, string] {
  let r = resolved;
  if (specifiesCurrentDir(path) && !specifiesCurrentDir(r)) r += '/.';
  if (path.endsWith('/') && !r.endsWith('/')) r += '/';
  return [r, goBase(path) !== goBase(r) ? goBase(path) : ''];
}

/** docker cp's splitCpArg: `CONTAINER:PATH` unless the argument is an explicit local path. */
export function splitCpArg(arg: string): { container: string; path: string } {
  if (arg.startsWith('/')) return { container: '', path: arg };
  const i = arg.indexOf(':');
  if (i < 0 || arg.startsWith('.')) return { container: '', path: arg };
  return { container: arg.slice(0, i), path: arg.slice(i + 1) };
}

export interface CopyInfo { path: string; exists: boolean; isDir: boolean; rebaseName: string }

/**
 * PrepareArchiveCopy: the directory to extract into and the name the archive's top entry must get there
 * (undefined: keep the names), or the error docker gives.
 */
export function prepareArchiveCopy(src: CopyInfo, dst: CopyInfo): { dstDir: string; rebase?: { from: string; to: string } } {
  const [dstDir, dstBase] = splitPathDirEntry(dst.path);
  const srcBase = src.rebaseName || splitPathDirEntry(src.path)[1];
  if (dst.exists && dst.isDir) return { dstDir: dst.path };
  if (dst.exists && src.isDir) throw new StatusError(1, 'cannot copy directory');
  if (!dst.exists && !src.isDir && assertsDirectory(dst.path)) throw new StatusError(1, 'no such directory');
  return { dstDir, rebase: { from: srcBase, to: dstBase } };
}

// ---------------------------------------------------------------- local side

function resolveLocalPath(p: string): string {
  return preserveTrailingDotOrSeparator(posix.resolve(p), p);
}

async function lstatOrUndef(p: string): Promise<Awaited<ReturnType<typeof lstat>> | undefined> {
  try {
    return await lstat(p);
  } catch {
    return undefined;
  }
}

/** CopyInfoDestinationPath: follows local symlinks at the destination (at most 10). */
async function copyInfoDestinationPath(path: string): Promise<CopyInfo> {
  let p = path;
  let st = await lstatOrUndef(p);
  for (let n = 0; st?.isSymbolicLink(); n++) {
    if (n > 10) throw new StatusError(1, `too many symlinks in ${path}`);
    let target = await readlink(p);
    if (!target.startsWith('/')) target = posix.join(splitPathDirEntry(p)[0], target);
    p = target;
    st = await lstatOrUndef(p);
  }
  if (!st) {
    const parent = splitPathDirEntry(p)[0];
    const pst = await stat(parent).catch((err: NodeJS.ErrnoException) => {
      throw new StatusError(1, err.code === 'ENOENT' ? `stat ${parent}: no such file or directory` : err.message);
    });
    if (!pst.isDirectory()) throw new StatusError(1, 'not a directory');
    return { path: p, exists: false, isDir: false, rebaseName: '' };
  }
  return { path: p, exists: true, isDir: st.isDirectory(), rebaseName: '' };
}

/** CopyInfoSourcePath / ResolveHostSourcePath. */
async function copyInfoSourcePath(path: string, followLink: boolean): Promise<CopyInfo> {
  let resolved: string;
  let rebaseName = '';
  try {
    if (followLink) {
      [resolved, rebaseName] = getRebaseName(path, await realpath(path));
    } else {
      const slash = path.lastIndexOf('/');
      const dir = path.slice(0, slash + 1);
      const base = path.slice(slash + 1);
      const rdir = await realpath(dir || '.');
      resolved = `${rdir === '/' ? '' : rdir}/${base}`;
      if (path.endsWith('/') && goBase(path) !== goBase(resolved)) rebaseName = goBase(path);
    }
  } catch (err) {
    throw new StatusError(1, `lstat ${path}: no such file or directory${(err as NodeJS.ErrnoException).code === 'ENOENT' ? '' : ` (${(err as Error).message})`}`);
  }
  const st = await lstatOrUndef(resolved);
  if (!st) throw new StatusError(1, `lstat ${resolved}: no such file or directory`);
  return { path: resolved, exists: true, isDir: st.isDirectory(), rebaseName };
}

function runTar(args: string[], stdin: Readable | string | undefined): { proc: ReturnType<typeof spawn>; done: Promise<void> } {
  const proc = spawn('tar', args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const err: Buffer[] = [];
  proc.stderr!.on('data', (b: Buffer) => err.push(b));
  proc.stdin!.on('error', () => undefined);
  if (typeof stdin === 'string') proc.stdin!.end(stdin);
  const done = new Promise<void>((resolve, reject) => {
    proc.on('error', reject);
    proc.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new StatusError(1, Buffer.concat(err).toString().trim() || `tar exited with status ${code}`));
    });
  });
  return { proc, done };
}

/** Extracts a tar stream into a local directory as docker's CopyTo does (owners not restored). */
async function extractLocal(src: Readable, dir: string, transforms: string[]): Promise<void> {
  const { proc, done } = runTar(['-x', '-f', '-', '--blocking-factor=256', '--read-full-records', '-C', dir, '-p', '--no-same-owner', '--warning=no-unknown-keyword', '--warning=no-timestamp', ...transforms], undefined);
  // tar exits after the end-of-archive blocks, possibly before reading the record padding: not an error.
  let fed: { drain: () => void };
  try {
    fed = await feedChildStdin(src, proc.stdin!);
  } catch (err) {
    proc.kill('SIGKILL');
    await done.catch(() => undefined);
    throw err;
  }
  try {
    await done;
  } finally {
    fed.drain();
  }
}

// ---------------------------------------------------------------- the two directions

interface CpConfig { container: string; follow: boolean; copyUIDGID: boolean; quiet: boolean }

function decodeStat(res: IncomingMessage): PathStat | undefined {
  const h = res.headers['x-docker-container-path-stat'];
  if (typeof h !== 'string' || !h) return undefined;
  return JSON.parse(Buffer.from(h, 'base64').toString('utf8')) as PathStat;
}

async function statPath(ctx: Ctx, container: string, path: string): Promise<PathStat | undefined> {
  try {
    const res = await ctx.client().request('HEAD', `/containers/${enc(container)}/archive`, { query: { path } });
    res.resume();
    return decodeStat(res);
  } catch (err) {
    if (err instanceof ApiError) return undefined;
    throw err;
  }
}

async function copyFromContainer(ctx: Ctx, cfg: CpConfig, srcPathIn: string, dstPathIn: string): Promise<void> {
  let srcPath = srcPathIn;
  const dstPath = dstPathIn === '-' ? '-' : resolveLocalPath(dstPathIn);
  if (dstPath !== '-') {
    const parent = posix.dirname(goClean(dstPath));
    if (!(await lstatOrUndef(parent))) throw new StatusError(1, `invalid output path: directory "${parent}" does not exist`);
  }
  let rebaseName = '';
  if (cfg.follow) {
    const st = await statPath(ctx, cfg.container, srcPath);
    if (st && hasBit(st.mode, GO_MODE_SYMLINK)) {
      let target = st.linkTarget;
      if (!target.startsWith('/')) target = posix.join(splitPathDirEntry(srcPath)[0], target);
      [srcPath, rebaseName] = getRebaseName(srcPath, target);
    }
  }
  const res = await ctx.client().request('GET', `/containers/${enc(cfg.container)}/archive`, { query: { path: srcPath } });
  if (dstPath === '-') {
    await pipeline(res, ctx.stdout, { end: false });
    return;
  }
  const st = decodeStat(res);
  const srcInfo: CopyInfo = { path: srcPath, exists: true, isDir: st ? isDirMode(st.mode) : false, rebaseName };
  const dstInfo = await copyInfoDestinationPath(dstPath).catch((err: unknown) => { res.resume(); throw err; });
  let plan;
  try {
    plan = prepareArchiveCopy(srcInfo, dstInfo);
  } catch (err) {
    res.resume();
    throw err;
  }
  // The archive's top entry is named after the source's base name; one rename covers -L's and the destination's.
  const from = splitPathDirEntry(srcPath)[1];
  const to = plan.rebase ? plan.rebase.to : rebaseName || from;
  let transforms = rebaseTransforms(from === '/' ? '' : from, to);
  if (from === '/' && !plan.rebase) transforms = [];
  let copied = 0;
  res.on('data', (b: Buffer) => { copied += b.length; });
  await extractLocal(res, plan.dstDir, transforms);
  if (!cfg.quiet) await write(ctx.stderr, `Successfully copied ${humanSizeWithPrecision(st && !isDirMode(st.mode) ? st.size : copied, 3)} to ${dstPath}\n`);
}

async function copyToContainer(ctx: Ctx, cfg: CpConfig, srcPathIn: string, dstPath: string): Promise<void> {
  const srcPath = srcPathIn === '-' ? '-' : resolveLocalPath(srcPathIn);
  const dstInfo: CopyInfo = { path: dstPath, exists: false, isDir: false, rebaseName: '' };
  let st = await statPath(ctx, cfg.container, dstPath);
  if (st) {
    if (hasBit(st.mode, GO_MODE_SYMLINK)) {
      let target = st.linkTarget;
      if (!target.startsWith('/')) target = posix.join(splitPathDirEntry(dstPath)[0], target);
      dstInfo.path = target;
      st = await statPath(ctx, cfg.container, target);
    }
    if (st) {
      if (GO_MODE_OTHER_TYPES.some((b) => hasBit(st!.mode, b))) {
        throw new StatusError(1, `destination "${cfg.container}:${dstPath}" must be a directory or a regular file`);
      }
      dstInfo.exists = true;
      dstInfo.isDir = isDirMode(st.mode);
    }
  }
  const query = (path: string) => ({ path, noOverwriteDirNonDir: 'true', copyUIDGID: cfg.copyUIDGID ? 'true' : undefined });
  if (srcPath === '-') {
    if (!dstInfo.isDir) throw new StatusError(1, `destination "${cfg.container}:${dstPath}" must be a directory`);
    const res = await ctx.client().request('PUT', `/containers/${enc(cfg.container)}/archive`, { query: query(dstInfo.path), body: ctx.stdin, headers: { 'content-type': 'application/x-tar' } });
    res.resume();
    return;
  }
  const srcInfo = await copyInfoSourcePath(srcPath, cfg.follow);
  const plan = prepareArchiveCopy(srcInfo, dstInfo);
  const [srcDir, srcBase] = splitPathDirEntry(srcInfo.path);
  const to = plan.rebase ? plan.rebase.to : srcInfo.rebaseName || srcBase;
  const { proc, done } = runTar(['-c', '-f', '-', '--blocking-factor=256', '-C', srcDir, '--numeric-owner', '--format=posix', '--pax-option=delete=atime,delete=ctime',
    ...rebaseTransforms(srcBase, to), '--null', '--verbatim-files-from', '-T', '-'], `${srcBase}\0`);
  const tar = proc.stdout!;
  let copied = 0;
  tar.on('data', (b: Buffer) => { copied += b.length; });
  const res = await ctx.client().request('PUT', `/containers/${enc(cfg.container)}/archive`, { query: query(plan.dstDir), body: tar, headers: { 'content-type': 'application/x-tar' } });
  res.resume();
  await done;
  if (!cfg.quiet) await write(ctx.stderr, `Successfully copied ${humanSizeWithPrecision(copied, 3)} to ${cfg.container}:${dstInfo.path}\n`);
}

export const commands: Record<string, CommandImpl> = {
  cp: {
    flags: [
      { name: 'archive', short: 'a', kind: 'bool', usage: 'Archive mode (copy all uid/gid information)' },
      { name: 'follow-link', short: 'L', kind: 'bool', usage: 'Always follow symbol link in SRC_PATH' },
      { name: 'quiet', short: 'q', kind: 'bool', usage: 'Suppress progress output during copy. Progress output is automatically suppressed if no terminal is attached' },
    ],
    args: { min: 2, max: 2 },
    async run(ctx, flags, args) {
      const [source, destination] = args as [string, string];
      if (source === '') throw new StatusError(1, 'source can not be empty');
      if (destination === '') throw new StatusError(1, 'destination can not be empty');
      const src = splitCpArg(source);
      const dst = splitCpArg(destination);
      const quiet = flags.has('quiet') ? flags.bool('quiet') : !ctx.stdout.isTTY;
      const base = { follow: flags.bool('follow-link'), copyUIDGID: flags.bool('archive'), quiet };
      if (src.container && dst.container) throw new StatusError(1, 'copying between containers is not supported');
      if (src.container) await copyFromContainer(ctx, { ...base, container: src.container }, src.path, dst.path);
      else if (dst.container) await copyToContainer(ctx, { ...base, container: dst.container }, src.path, dst.path);
      else throw new StatusError(1, 'must specify at least one container source');
      return 0;
    },
  },
};
