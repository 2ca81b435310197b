import { readdir, rmdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errnoCode } from '../base/index.js';
import { mountPoints } from './mount.js';
import { parseProcCgroup } from './cgroup-files.js';

/** Mount points of every cgroup hierarchy (v1 controllers, named v1 hierarchies and the v2 unified one). */
export async function cgroupHierarchies(): Promise<string[]> {
  return (await mountPoints()).filter((m) => m.fsType === 'cgroup' || m.fsType === 'cgroup2').map((m) => m.mountPoint);
}

/** A cgroup path ("/berth/<id>") relative to a hierarchy's root; undefined for an empty or escaping path. */
export function cgroupRelPath(path: string): string | undefined {
  const p = path.replace(/^\/+/, '');
  if (!p || p.split('/').some((s) => s === '..' || s === '.')) return undefined;
  return p;
}

function rel(path: string): string {
  const p = cgroupRelPath(path);
  if (p === undefined) throw new Error(`invalid cgroup path: ${path}`);
  return p;
}

/** The directories that exist for cgroup `path` (absolute within each hierarchy, e.g. "/berth/<id>"). */
export async function cgroupDirs(path: string): Promise<string[]> {
  const out: string[] = [];
  for (const h of await cgroupHierarchies()) {
    const d = join(h, rel(path));
    try {
      await readdir(d);
      out.push(d);
    } catch {
      /* absent */
    }
  }
  return out;
}

async function rmdirTree(dir: string): Promise<void> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return;
    throw err;
  }
  for (const e of entries) if (e.isDirectory()) await rmdirTree(join(dir, e.name));
  try {
    await rmdir(dir);
  } catch (err) {
    if (errnoCode(err) !== 'ENOENT') throw err;
  }
}

/** Removes cgroup `path` and its empty descendants in every hierarchy; fails (EBUSY) if processes remain. */
export async function removeCgroup(path: string): Promise<void> {
  for (const h of await cgroupHierarchies()) await rmdirTree(join(h, rel(path)));
}

/** The v1 memory cgroup of a process, as /proc/PID/cgroup shows it (undefined on pure v2 or when gone). */
export async function memoryCgroupOf(pid: number): Promise<string | undefined> {
  try {
    return parseProcCgroup(await readFile(`/proc/${pid}/cgroup`, 'utf8')).get('memory');
  } catch {
    return undefined; // gone
  }
}

/** The kernel's OOM-kill counter for a v1 memory cgroup (`oom_kill` of memory.oom_control), undefined if unknown. */
export async function memoryOomKillCount(cgroupPath: string): Promise<number | undefined> {
  for (const h of await cgroupHierarchies()) {
    try {
      const text = await readFile(join(h, rel(cgroupPath), 'memory.oom_control'), 'utf8');
      const m = /^oom_kill (\d+)$/m.exec(text);
      if (m) return Number(m[1]);
    } catch {
      /* not this hierarchy */
    }
  }
  return undefined;
}
