/** Helpers for the runtime tests: a busybox rootfs, minimal OCI specs, and leftover checks. Not shipped API. */
import { copyFile, mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { cgroupDirs, isAlive, mountPoints, removeCgroup } from '../sys/index.js';

export const BUSYBOX = '/bin/busybox';
export const APPLETS = ['sh', 'echo', 'sleep', 'cat', 'true', 'false', 'yes', 'head', 'tail', 'ls', 'wc'];

/** Builds a rootfs with a static busybox and applet symlinks, plus a non-executable file bin/noexec. */
export async function makeRootfs(dir: string): Promise<string> {
  const rootfs = join(dir, 'rootfs');
  for (const d of ['bin', 'proc', 'dev', 'sys', 'tmp', 'etc']) await mkdir(join(rootfs, d), { recursive: true });
  await copyFile(BUSYBOX, join(rootfs, 'bin/busybox'));
  for (const a of APPLETS) await symlink('busybox', join(rootfs, 'bin', a));
  await writeFile(join(rootfs, 'bin/noexec'), '#!/bin/sh\necho hi\n', { mode: 0o644 });
  return rootfs;
}

const CAPS = ['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID', 'CAP_SETUID',
  'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_NET_RAW', 'CAP_SYS_CHROOT', 'CAP_MKNOD', 'CAP_AUDIT_WRITE', 'CAP_SETFCAP'];

export interface SpecOptions {
  rootfs: string;
  args: string[];
  cgroupsPath: string;
  hostname?: string;
  memoryBytes?: number;
}

/** A minimal OCI runtime spec: pid/mount/ipc/uts/network namespaces, read-only busybox root, tmpfs /tmp. */
export function makeSpec(o: SpecOptions): object {
  const resources: Record<string, unknown> = { devices: [{ allow: false, access: 'rwm' }] };
  if (o.memoryBytes) resources.memory = { limit: o.memoryBytes, swap: o.memoryBytes };
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args: o.args,
      env: ['PATH=/bin', 'HOME=/'],
      cwd: '/',
      capabilities: { bounding: CAPS, effective: CAPS, permitted: CAPS },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: o.rootfs, readonly: true },
    hostname: o.hostname ?? 'berth-test',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620'] },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      { destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=1777', 'size=1m'] },
    ],
    linux: {
      namespaces: [{ type: 'pid' }, { type: 'mount' }, { type: 'ipc' }, { type: 'uts' }, { type: 'network' }],
      cgroupsPath: o.cgroupsPath,
      resources,
      maskedPaths: ['/proc/kcore', '/proc/keys', '/proc/timer_list', '/sys/firmware'],
      readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
  };
}

export interface Harness {
  dir: string;
  rootfs: string;
  stateDir: string;
  runcRoot: string;
  cgroupParent: string;
  /** Writes a bundle for `id` and returns its directory. */
  bundle(id: string, args: string[], extra?: Partial<SpecOptions>): Promise<string>;
  newId(): string;
  /** Leftovers of one container: runc state, cgroups, mounts under the harness dir. */
  leftovers(id: string): Promise<string[]>;
  dispose(): Promise<void>;
}

export async function makeHarness(): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-rt-'));
  const rootfs = await makeRootfs(dir);
  const stateDir = join(dir, 'exec/runtime');
  const runcRoot = join(dir, 'exec/runc');
  const cgroupParent = `/berth-test-${process.pid}-${randomBytes(3).toString('hex')}`;
  const h: Harness = {
    dir, rootfs, stateDir, runcRoot, cgroupParent,
    newId: () => `t${randomBytes(6).toString('hex')}`,
    async bundle(id, args, extra = {}) {
      const b = join(dir, 'bundles', id);
      await mkdir(b, { recursive: true });
      const spec = makeSpec({ rootfs, args, cgroupsPath: `${cgroupParent}/${id}`, ...extra });
      await writeFile(join(b, 'config.json'), JSON.stringify(spec, null, 1));
      return b;
    },
    async leftovers(id) {
      const out: string[] = [];
      for (const root of [runcRoot, join(dirname(runcRoot), 'crun')]) {
        try {
          if ((await readdir(root)).includes(id)) out.push(`runtime state ${root}/${id}`);
        } catch { /* no root */ }
      }
      out.push(...(await cgroupDirs(`${cgroupParent}/${id}`)).map((d) => `cgroup ${d}`));
      out.push(...(await mountPoints()).filter((m) => m.mountPoint.startsWith(dir)).map((m) => `mount ${m.mountPoint}`));
      try {
        if ((await readdir(stateDir)).includes(id)) out.push(`state dir ${stateDir}/${id}`);
      } catch { /* none */ }
      return out;
    },
    async dispose() {
      await removeCgroup(cgroupParent);
      const left = await cgroupDirs(cgroupParent);
      await rm(dir, { recursive: true, force: true });
      if (left.length) throw new Error(`cgroups left: ${left.join(', ')}`);
    },
  };
  return h;
}

function dirname(p: string): string {
  return p.slice(0, p.lastIndexOf('/')) || '/';
}

/** Polls until `fn` is true (or throws after `ms`). */
export async function until(fn: () => boolean | Promise<boolean>, ms = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export { isAlive };
