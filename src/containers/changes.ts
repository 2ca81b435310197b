import type { BigIntStats, Stats } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { errnoCode, execFile } from '../base/index.js';
import { OVERLAY_OPAQUE_XATTR } from '../archive/index.js';

/** Docker's change kinds (GET /containers/{id}/changes). */
export const ChangeKind = { Modify: 0, Add: 1, Delete: 2 } as const;
export type ChangeKind = (typeof ChangeKind)[keyof typeof ChangeKind];

export interface Change {
  /** Absolute path inside the container. */
  Path: string;
  Kind: ChangeKind;
}

/**
 * Paths the daemon itself puts in a container (Docker keeps them in the container's init layer, so they never
 * show in `docker diff` nor end up in a committed image): runc creates them as mount points in the upper dir.
 */
export const INIT_PATHS = new Set([
  '/.dockerenv', '/etc/hosts', '/etc/hostname', '/etc/resolv.conf', '/etc/mtab',
  '/dev', '/dev/pts', '/dev/shm', '/dev/mqueue', '/dev/console', '/proc', '/sys',
]);

type AnyStats = Stats | BigIntStats;

/** An overlayfs whiteout: a character device 0/0. */
export function isWhiteout(st: AnyStats): boolean {
  return st.isCharacterDevice() && Number(st.rdev) === 0;
}

export async function isOpaque(dir: string): Promise<boolean> {
  const r = await execFile('getfattr', ['--only-values', '--absolute-names', '-n', OVERLAY_OPAQUE_XATTR, dir], { allowFail: true });
  return r.code === 0 && r.stdout === 'y';
}

async function lstatOrUndef(p: string): Promise<Stats | undefined> {
  try {
    return await lstat(p);
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw err;
  }
}

/**
 * What the lower layers (overlayfs lowerdir order, top-most first) show at `rel` (relative, `a/b`): the
 * entry's stats, or undefined when absent, whited out, or hidden under an opaque directory.
 */
export async function lowerStat(lowers: readonly string[], rel: string): Promise<Stats | undefined> {
  const parts = rel.split('/');
  for (const layer of lowers) {
    let opaqueAbove = false;
    for (let i = 0; i < parts.length; i++) {
      const p = join(layer, ...parts.slice(0, i + 1));
      const st = await lstatOrUndef(p);
      if (!st) break;
      if (isWhiteout(st)) return undefined;
      if (i === parts.length - 1) return st;
      if (!st.isDirectory()) break;
      if (await isOpaque(p)) opaqueAbove = true;
    }
    if (opaqueAbove) return undefined;
  }
  return undefined;
}

function sameTime(a: AnyStats, b: AnyStats): boolean {
  return Math.floor(Number(a.mtimeMs)) === Math.floor(Number(b.mtimeMs));
}

/** Go's byte-wise string order (filepath.Walk sorts names so). */
function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/**
 * The changes of a container's upper dir against its image's lower dirs, in Docker's order (a depth-first walk
 * with names sorted byte-wise, parents before children):
 *  - whiteouts (char 0/0) → Delete; an opaque directory that hid a lower one → Delete, its contents → Add;
 *  - an entry absent below → Add; present below → Modify, except a directory whose mode, owner and
 *    modification time are unchanged (it was only copied up for a child) — it is walked but not reported;
 *  - INIT_PATHS (mount points the daemon creates) are left out, and a directory changed only by them is too.
 */
export async function computeChanges(upper: string, lowers: readonly string[]): Promise<Change[]> {
  const out: Change[] = [];
  const walk = async (rel: string, hiddenBelow: boolean): Promise<void> => {
    const names = (await readdir(join(upper, rel)).catch(() => [] as string[])).sort(byteOrder);
    for (const name of names) {
      const childRel = rel ? `${rel}/${name}` : name;
      const path = `/${childRel}`;
      const host = join(upper, childRel);
      const st = await lstat(host);
      if (isWhiteout(st)) {
        if (!hiddenBelow && (await lowerStat(lowers, childRel))) out.push({ Path: path, Kind: ChangeKind.Delete });
        continue;
      }
      if (INIT_PATHS.has(path) && (st.isDirectory() || (st.isFile() && st.size === 0))) {
        if (st.isDirectory()) await walk(childRel, hiddenBelow);
        continue;
      }
      const below = hiddenBelow ? undefined : await lowerStat(lowers, childRel);
      if (st.isDirectory()) {
        if (await isOpaque(host)) {
          // As moby's overlay differ: an opaque directory that hid a lower one is reported deleted.
          out.push({ Path: path, Kind: below ? ChangeKind.Delete : ChangeKind.Add });
          await walk(childRel, true);
          continue;
        }
        if (!below) {
          out.push({ Path: path, Kind: ChangeKind.Add });
        } else if (!below.isDirectory() || below.mode !== st.mode || below.uid !== st.uid || below.gid !== st.gid) {
          out.push({ Path: path, Kind: ChangeKind.Modify });
        } else if (!sameTime(below, st) && (await hasRealEntries(upper, childRel))) {
          out.push({ Path: path, Kind: ChangeKind.Modify });
        }
        await walk(childRel, hiddenBelow);
        continue;
      }
      out.push({ Path: path, Kind: below ? ChangeKind.Modify : ChangeKind.Add });
    }
  };
  await walk('', false);
  return out;
}

/** True when the upper directory holds something other than INIT_PATHS mount points. */
async function hasRealEntries(upper: string, rel: string): Promise<boolean> {
  for (const name of await readdir(join(upper, rel))) {
    const path = `/${rel}/${name}`;
    if (!INIT_PATHS.has(path)) return true;
    const st = await lstat(join(upper, rel, name));
    if (!(st.isDirectory() || (st.isFile() && st.size === 0))) return true;
  }
  return false;
}
