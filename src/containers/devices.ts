import { lstat, readdir } from 'node:fs/promises';
import { constants } from 'node:fs';
import { join } from 'node:path';
import type { OciDevice } from './spec.js';

/** Directories of /dev a privileged container does not get (containerd's HostDevices list). */
const SKIPPED_DIRS = new Set(['pts', 'shm', 'fd', 'mqueue', '.lxc', '.lxd-mounts', '.udev']);

/** major(3) of a Linux dev_t. */
export function devMajor(rdev: bigint): number {
  return Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn));
}

/** minor(3) of a Linux dev_t. */
export function devMinor(rdev: bigint): number {
  return Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn));
}

/**
 * The host's character and block devices under `root` (/dev), for `--privileged`, like containerd's
 * HostDevices: pts, shm, fd, mqueue and /dev/console are left out, symlinks, fifos and sockets skipped.
 * The paths are the ones the container sees (the same as on the host when root is /dev).
 */
export async function hostDevices(root = '/dev', containerRoot = '/dev'): Promise<OciDevice[]> {
  const out: OciDevice[] = [];
  let entries: string[];
  try {
    entries = (await readdir(root)).sort();
  } catch {
    return out;
  }
  for (const name of entries) {
    const hostPath = join(root, name);
    const path = join(containerRoot, name);
    const st = await lstat(hostPath, { bigint: true }).catch(() => undefined);
    if (!st) continue;
    if (st.isDirectory()) {
      if (!SKIPPED_DIRS.has(name)) out.push(...(await hostDevices(hostPath, path)));
      continue;
    }
    if (name === 'console' && containerRoot === '/dev') continue;
    const fmt = Number(st.mode) & constants.S_IFMT;
    if (fmt !== constants.S_IFCHR && fmt !== constants.S_IFBLK) continue;
    out.push({
      path,
      type: fmt === constants.S_IFCHR ? 'c' : 'b',
      major: devMajor(st.rdev),
      minor: devMinor(st.rdev),
      fileMode: Number(st.mode) & 0o7777,
      uid: Number(st.uid),
      gid: Number(st.gid),
    });
  }
  return out;
}
