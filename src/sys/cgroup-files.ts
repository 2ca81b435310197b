import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { unescapeMountPath } from './mount.js';

/**
 * Reading a process's cgroup files (for top and stats). On a cgroup v1 (or hybrid) host each controller has its
 * own hierarchy; on a pure v2 host everything lives under the unified one (controller key "").
 */
export interface ProcessCgroups {
  /** Controller name (`cpuacct`, `memory`, `pids`, `blkio`, ... or `""` for v2) → absolute directory. */
  dirs: Map<string, string>;
}

const NOT_CONTROLLERS = new Set(['rw', 'ro', 'xattr', 'noprefix', 'clone_children', 'cpuset_v2_mode', 'nsdelegate', 'favordynmods', 'memory_localevents', 'memory_recursiveprot']);

/** Parses /proc/self/mountinfo text into controller → mount point (v2 under key ""). Exported for tests. */
export function parseCgroupMounts(mountinfo: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of mountinfo.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const pre = line.slice(0, sep).split(' ');
    const post = line.slice(sep + 3).split(' ');
    const fsType = post[0];
    const mountPoint = unescapeMountPath(pre[4] ?? '');
    if (fsType === 'cgroup2') {
      if (!out.has('')) out.set('', mountPoint);
    } else if (fsType === 'cgroup') {
      for (const opt of (post[2] ?? '').split(',')) {
        if (NOT_CONTROLLERS.has(opt) || opt.includes('=') || out.has(opt)) continue;
        out.set(opt, mountPoint);
      }
    }
  }
  return out;
}

/** Parses /proc/PID/cgroup text into controller → cgroup path (v2 line under key ""). Exported for tests. */
export function parseProcCgroup(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    if (m[1] === '0' && m[2] === '') out.set('', m[3]!);
    else for (const c of m[2]!.split(',')) if (c && !c.startsWith('name=')) out.set(c, m[3]!);
  }
  return out;
}

let mountsCache: Promise<Map<string, string>> | undefined;

function cgroupMounts(): Promise<Map<string, string>> {
  mountsCache ??= readFile('/proc/self/mountinfo', 'utf8').then(parseCgroupMounts).catch((err: unknown) => {
    mountsCache = undefined;
    throw err;
  });
  return mountsCache;
}

/** The cgroup directories of a process per controller; undefined when the process is gone. */
export async function processCgroups(pid: number): Promise<ProcessCgroups | undefined> {
  let text: string;
  try {
    text = await readFile(`/proc/${pid}/cgroup`, 'utf8');
  } catch {
    return undefined;
  }
  const mounts = await cgroupMounts();
  const dirs = new Map<string, string>();
  for (const [ctrl, path] of parseProcCgroup(text)) {
    const mp = mounts.get(ctrl);
    if (mp && !path.split('/').includes('..')) dirs.set(ctrl, join(mp, path));
  }
  return { dirs };
}

/** Reads a file of a controller's cgroup directory; undefined when absent or unreadable. */
export async function readCgroupFile(cg: ProcessCgroups, controller: string, file: string): Promise<string | undefined> {
  const dir = cg.dirs.get(controller);
  if (!dir) return undefined;
  try {
    return await readFile(join(dir, file), 'utf8');
  } catch {
    return undefined;
  }
}

/** The PIDs in the cgroup of a process (its container): cgroup.procs of its pids (else memory, else v2) cgroup. */
export async function cgroupPids(pid: number): Promise<number[]> {
  const cg = await processCgroups(pid);
  if (!cg) return [];
  for (const ctrl of ['pids', 'memory', 'cpuacct', '']) {
    const text = await readCgroupFile(cg, ctrl, 'cgroup.procs');
    if (text !== undefined) return text.split('\n').filter((l) => /^\d+$/.test(l)).map(Number);
  }
  return [pid];
}
