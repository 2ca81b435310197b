import { readFile, writeFile } from 'node:fs/promises';
import { pathExists } from '../base/index.js';
import { join } from 'node:path';
import { cgroupHierarchies, cgroupRelPath } from './cgroup.js';

/**
 * Freezing a container's cgroup directly, as `runc pause`/`resume` do, without starting a runtime process (a
 * short file operation such as `docker cp` freezes and thaws the container around its work). The v1 freezer
 * (freezer.state) when the cgroup has one, as runc uses on v1 and hybrid hosts; else the v2 cgroup.freeze on a
 * pure v2 host. runc reads the same files for its `paused` status, so `runc state` agrees meanwhile.
 */

type Freezer = { v1: true; file: string } | { v1: false; dir: string };

const POLL_LIMIT = 5000; // polls (about 5 s) before giving up on a state change

/** The freezer of cgroup `path` (absolute within the hierarchies, e.g. "/berth/<id>"), if it has one. */
export async function cgroupFreezer(path: string): Promise<Freezer | undefined> {
  const rel = cgroupRelPath(path);
  if (!rel) return undefined;
  const common = join('/sys/fs/cgroup/freezer', rel, 'freezer.state');
  if (await pathExists(common)) return { v1: true, file: common };
  for (const h of await cgroupHierarchies()) {
    const file = join(h, rel, 'freezer.state');
    if (await pathExists(file)) return { v1: true, file };
  }
  // v2 only on a pure v2 host (runc freezes through v1 on a hybrid one).
  if (await pathExists('/sys/fs/cgroup/cgroup.controllers')) {
    const dir = join('/sys/fs/cgroup', rel);
    if (await pathExists(join(dir, 'cgroup.freeze'))) return { v1: false, dir };
  }
  return undefined;
}

const tick = (i: number): Promise<void> => new Promise((r) => (i < 20 ? setImmediate(r) : setTimeout(r, 1)));

async function v1State(file: string): Promise<string> {
  return (await readFile(file, 'utf8')).trim();
}

async function v2Frozen(dir: string): Promise<boolean> {
  const events = await readFile(join(dir, 'cgroup.events'), 'utf8');
  return /^frozen 1$/m.test(events);
}

/** Whether cgroup `path` is frozen now; undefined when it has no freezer (or no longer exists). */
export async function cgroupFrozen(path: string): Promise<boolean | undefined> {
  const f = await cgroupFreezer(path);
  if (!f) return undefined;
  return f.v1 ? (await v1State(f.file)) !== 'THAWED' : v2Frozen(f.dir);
}

/**
 * Freezes (`frozen`) or thaws the cgroup and waits until the kernel reports the new state. Returns false when
 * the cgroup has no freezer (the caller then asks the runtime). A freeze that does not complete is undone.
 */
export async function setCgroupFrozen(path: string, frozen: boolean): Promise<boolean> {
  const f = await cgroupFreezer(path);
  if (!f) return false;
  if (f.v1) {
    const want = frozen ? 'FROZEN' : 'THAWED';
    await writeFile(f.file, want);
    for (let i = 0; i < POLL_LIMIT; i++) {
      if ((await v1State(f.file)) === want) return true;
      // A task can keep a freeze in FREEZING (e.g. in a vfork): write again now and then, as runc does.
      if (frozen && i % 100 === 99) await writeFile(f.file, want);
      await tick(i);
    }
    if (frozen) await writeFile(f.file, 'THAWED').catch(() => undefined);
    throw new Error(`cgroup ${path} did not become ${want.toLowerCase()}`);
  }
  await writeFile(join(f.dir, 'cgroup.freeze'), frozen ? '1' : '0');
  for (let i = 0; i < POLL_LIMIT; i++) {
    if ((await v2Frozen(f.dir)) === frozen) return true;
    await tick(i);
  }
  if (frozen) await writeFile(join(f.dir, 'cgroup.freeze'), '0').catch(() => undefined);
  throw new Error(`cgroup ${path} did not become ${frozen ? 'frozen' : 'thawed'}`);
}
