import { readFile, realpath } from 'node:fs/promises';
import { resolve } from 'node:path';
import { execFile, ExecError, InvalidArgumentError, FailedPreconditionError, errorMessage } from '../base/index.js';
import { tryLoadNative } from './native.js';

const MNT_DETACH = 2;

export interface OverlayOptions {
  /** Lower directories, top-most first (as overlayfs' lowerdir= wants them). */
  lowerDirs: string[];
  upperDir?: string;
  workDir?: string;
  target: string;
}

let pageSize: number | undefined;
async function getPageSize(): Promise<number> {
  if (pageSize === undefined) {
    try {
      const r = await execFile('getconf', ['PAGESIZE']);
      pageSize = Number(r.stdout.trim()) || 4096;
    } catch {
      pageSize = 4096;
    }
  }
  return pageSize;
}

function checkPath(kind: string, p: string): void {
  if (!p.startsWith('/')) throw new InvalidArgumentError(`overlay ${kind} must be an absolute path: ${p}`);
  if (/[,:\n]/.test(p)) throw new InvalidArgumentError(`overlay ${kind} must not contain ',', ':' or newlines: ${p}`);
}

/** Builds the overlay mount option string (exported for tests). */
export function overlayMountOptions(o: OverlayOptions): string {
  if (o.lowerDirs.length === 0) throw new InvalidArgumentError('overlay needs at least one lower directory');
  o.lowerDirs.forEach((d) => checkPath('lowerdir', d));
  const parts = [`lowerdir=${o.lowerDirs.join(':')}`];
  if (o.upperDir !== undefined || o.workDir !== undefined) {
    if (!o.upperDir || !o.workDir) throw new InvalidArgumentError('overlay upperDir and workDir go together');
    checkPath('upperdir', o.upperDir);
    checkPath('workdir', o.workDir);
    parts.push(`upperdir=${o.upperDir}`, `workdir=${o.workDir}`);
  } else if (o.lowerDirs.length < 2) {
    throw new InvalidArgumentError('a read-only overlay (no upperDir) needs at least two lower directories');
  }
  return parts.join(',');
}

/** Mounts an overlayfs at `target`: mount(2) through the native addon, else the `mount` program. */
export async function mountOverlay(o: OverlayOptions): Promise<void> {
  const options = overlayMountOptions(o);
  const limit = (await getPageSize()) - 1; // the kernel copies mount data into one page, NUL-terminated
  if (Buffer.byteLength(options) > limit) {
    throw new InvalidArgumentError(
      `overlay mount options are ${Buffer.byteLength(options)} bytes for ${o.lowerDirs.length} lower directories, ` +
        `over the kernel's ${limit}-byte limit (one page); use fewer layers or shorter paths`,
    );
  }
  const native = tryLoadNative();
  try {
    if (native) await native.mount('overlay', o.target, 'overlay', 0, options);
    else await execFile('mount', ['-t', 'overlay', 'overlay', '-o', options, o.target]);
  } catch (err) {
    const detail = err instanceof ExecError ? err.result.stderr.trim() : errorMessage(err);
    throw new FailedPreconditionError(`mounting overlay on ${o.target} failed: ${detail}`, { cause: err });
  }
}

/** Decodes the octal escapes (\040 etc.) the kernel uses in /proc/self/mountinfo. */
export function unescapeMountPath(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** Mount points from /proc/self/mountinfo, in mount order. */
export async function mountPoints(): Promise<{ mountPoint: string; fsType: string; source: string }[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  const out: { mountPoint: string; fsType: string; source: string }[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const [pre, post] = line.split(' - ');
    const f = pre!.split(' ');
    const g = (post ?? '').split(' ');
    out.push({ mountPoint: unescapeMountPath(f[4]!), fsType: g[0] ?? '', source: unescapeMountPath(g[1] ?? '') });
  }
  return out;
}

async function canonical(target: string): Promise<string> {
  try {
    return await realpath(target);
  } catch {
    return resolve(target);
  }
}

/** True when something is mounted exactly at `target`. */
export async function isMounted(target: string): Promise<boolean> {
  const t = await canonical(target);
  return (await mountPoints()).some((m) => m.mountPoint === t);
}

/** Unmounts `target` (every mount stacked there); a target that is not mounted (or does not exist) is fine. */
export async function unmount(target: string, opts: { lazy?: boolean } = {}): Promise<void> {
  const t = await canonical(target);
  const native = tryLoadNative();
  for (let i = 0; i < 16 && (await isMounted(t)); i++) {
    let failure: string | undefined;
    if (native) {
      await native.umount2(t, opts.lazy ? MNT_DETACH : 0).catch((err: unknown) => { failure = errorMessage(err); });
    } else {
      const r = await execFile('umount', opts.lazy ? ['-l', t] : [t], { allowFail: true });
      if (r.code !== 0) failure = r.stderr.trim();
    }
    if (failure !== undefined) {
      if (!(await isMounted(t))) return;
      throw new FailedPreconditionError(`unmounting ${t} failed: ${failure}`);
    }
  }
}
