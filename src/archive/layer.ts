import { spawn } from 'node:child_process';
import { lchown, lstat, mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { InvalidArgumentError, drained, execFile } from '../base/index.js';
import { Digester, type Digest } from '../oci/index.js';

export const WHITEOUT_PREFIX = '.wh.';
export const WHITEOUT_META_PREFIX = '.wh..wh.';
export const WHITEOUT_OPAQUE = '.wh..wh..opq';
export const OVERLAY_OPAQUE_XATTR = 'trusted.overlay.opaque';

export interface ExtractResult {
  /** sha256 of the uncompressed tar stream, as it streamed (all of it, trailing padding included). */
  diffId: Digest;
  /** Bytes of the uncompressed tar stream. */
  tarSize: number;
}

/** sha256 (and byte count) of a stream, consumed to its end. */
export async function diffIdOf(src: Readable): Promise<{ digest: Digest; size: number }> {
  const d = new Digester();
  for await (const chunk of src) d.update(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return { digest: d.digest(), size: d.size };
}

/**
 * Extracts an *uncompressed* tar stream into `dir` with GNU tar (numeric owners, permissions and all xattrs
 * preserved; as root ownership is restored explicitly with --same-owner), hashing the stream as it goes, then
 * converts OCI whiteouts into overlayfs form (see `convertWhiteouts`). GNU tar's own guards stay on: members
 * with `..` are refused and leading `/` stripped; symlinks pointing outside are created only after all files.
 */
export async function extractLayer(tar: Readable, dir: string): Promise<ExtractResult>;
/** The same without hashing, for a caller that verifies the stream's digest on another branch of it. */
export async function extractLayer(tar: Readable, dir: string, opts: { hash: false }): Promise<undefined>;
export async function extractLayer(tar: Readable, dir: string, opts: { hash?: boolean } = {}): Promise<ExtractResult | undefined> {
  const hash = opts.hash ?? true;
  await mkdir(dir, { recursive: true });
  const isRoot = process.getuid?.() === 0;
  const args = [
    '-x', '-f', '-', '-C', dir,
    '--numeric-owner', '-p', isRoot ? '--same-owner' : '--no-same-owner',
    '--xattrs', '--xattrs-include=*',
    '--warning=no-unknown-keyword', '--warning=no-timestamp',
  ];
  const child = spawn('tar', args, { stdio: ['pipe', 'ignore', 'pipe'] });
  const stderr: Buffer[] = [];
  child.stderr!.on('data', (b: Buffer) => stderr.push(b));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; spawnError?: Error }>((resolve) => {
    child.on('error', (err) => resolve({ code: null, signal: null, spawnError: err }));
    child.on('close', (code, signal) => resolve({ code, signal }));
  });
  const stdin = child.stdin!;
  let stdinOpen = true;
  stdin.on('error', () => { stdinOpen = false; });
  stdin.on('close', () => { stdinOpen = false; });
  const digester = new Digester();
  try {
    for await (const c of tar) {
      const chunk = typeof c === 'string' ? Buffer.from(c) : (c as Buffer);
      if (hash) digester.update(chunk);
      // tar may stop reading after the end-of-archive blocks: keep hashing the rest (the diffID covers it all).
      if (stdinOpen && !stdin.write(chunk)) await drained(stdin);
    }
  } catch (err) {
    child.kill('SIGKILL');
    await exited;
    throw err;
  }
  if (stdinOpen) stdin.end();
  const r = await exited;
  if (r.spawnError) throw new Error(`cannot run tar: ${r.spawnError.message}`, { cause: r.spawnError });
  if (r.code !== 0) {
    const msg = Buffer.concat(stderr).toString().trim().split('\n').slice(-5).join('; ');
    throw new InvalidArgumentError(`failed to extract layer: tar exited ${r.code ?? r.signal}${msg ? `: ${msg}` : ''}`);
  }
  await convertWhiteouts(dir);
  return hash ? { diffId: digester.digest(), tarSize: digester.size } : undefined;
}

/**
 * Converts OCI/AUFS whiteouts under `dir` into overlayfs form:
 *  - `.wh..wh..opq` → xattr trusted.overlay.opaque=y on its directory (marker removed);
 *  - `.wh.<name>`   → character device 0:0 named `<name>` (marker removed; owner copied from the marker);
 *  - other `.wh..wh.*` meta files are removed.
 * Never follows symlinks.
 */
export async function convertWhiteouts(dir: string): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  for (const e of entries) {
    if (e.isDirectory()) await convertWhiteouts(join(dir, e.name));
  }
  for (const e of entries) {
    if (!e.name.startsWith(WHITEOUT_PREFIX)) continue;
    const marker = join(dir, e.name);
    if (e.name === WHITEOUT_OPAQUE) {
      await execFile('setfattr', ['-n', OVERLAY_OPAQUE_XATTR, '-v', 'y', dir]);
      await rm(marker, { recursive: true, force: true });
    } else if (e.name.startsWith(WHITEOUT_META_PREFIX)) {
      await rm(marker, { recursive: true, force: true });
    } else {
      const name = e.name.slice(WHITEOUT_PREFIX.length);
      if (!name || name === '.' || name === '..' || name.includes('/')) {
        await rm(marker, { recursive: true, force: true });
        continue;
      }
      const st = await lstat(marker);
      const target = join(dir, name);
      await rm(target, { recursive: true, force: true });
      await rm(marker, { recursive: true, force: true });
      await execFile('mknod', ['-m', '0', target, 'c', '0', '0']);
      if (process.getuid?.() === 0 && (st.uid !== 0 || st.gid !== 0)) {
        await lchown(target, st.uid, st.gid);
      }
    }
  }
}

/**
 * Disk usage of an unpacked tree the way Docker counts a layer's size: the sum of the sizes of every
 * non-directory entry (symlinks by their own length), each hard-linked inode counted once.
 */
export async function treeSize(dir: string): Promise<number> {
  const seen = new Set<string>();
  let total = 0;
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) {
        await walk(p);
        continue;
      }
      const st = await lstat(p);
      if (st.nlink > 1) {
        const key = `${st.dev}:${st.ino}`;
        if (seen.has(key)) continue;
        seen.add(key);
      }
      total += st.size;
    }
  };
  await walk(dir);
  return total;
}
