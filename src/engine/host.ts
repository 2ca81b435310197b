import { access, constants, readFile } from 'node:fs/promises';
import { delimiter, isAbsolute, join } from 'node:path';

const CAP_NAMES = [
  'CHOWN', 'DAC_OVERRIDE', 'DAC_READ_SEARCH', 'FOWNER', 'FSETID', 'KILL', 'SETGID', 'SETUID', 'SETPCAP',
  'LINUX_IMMUTABLE', 'NET_BIND_SERVICE', 'NET_BROADCAST', 'NET_ADMIN', 'NET_RAW', 'IPC_LOCK', 'IPC_OWNER',
  'SYS_MODULE', 'SYS_RAWIO', 'SYS_CHROOT', 'SYS_PTRACE', 'SYS_PACCT', 'SYS_ADMIN', 'SYS_BOOT', 'SYS_NICE',
  'SYS_RESOURCE', 'SYS_TIME', 'SYS_TTY_CONFIG', 'MKNOD', 'LEASE', 'AUDIT_WRITE', 'AUDIT_CONTROL', 'SETFCAP',
  'MAC_OVERRIDE', 'MAC_ADMIN', 'SYSLOG', 'WAKE_ALARM', 'BLOCK_SUSPEND', 'AUDIT_READ', 'PERFMON', 'BPF',
  'CHECKPOINT_RESTORE',
];

/** The capabilities in this process's bounding set, as `CAP_*` names (what --privileged can grant). */
export async function hostCapabilities(): Promise<string[]> {
  const status = await readFile('/proc/self/status', 'utf8');
  const hex = /^CapBnd:\s*([0-9a-f]+)/m.exec(status)?.[1] ?? '0';
  const mask = BigInt(`0x${hex}`);
  return CAP_NAMES.filter((_n, i) => (mask >> BigInt(i)) & 1n).map((n) => `CAP_${n}`);
}

/** The daemon's own hard limits: a container can never be given more (no CAP_SYS_RESOURCE here). */
export async function hostRlimits(): Promise<{ nofile: { hard: number }; nproc: { hard: number } }> {
  const text = await readFile('/proc/self/limits', 'utf8');
  const hard = (label: string): number => {
    const line = text.split('\n').find((l) => l.startsWith(label));
    const v = line?.slice(26).trim().split(/\s+/)[1];
    return !v || v === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(v);
  };
  return { nofile: { hard: hard('Max open files') }, nproc: { hard: hard('Max processes') } };
}

/** Finds a program on PATH (or checks an absolute path); undefined when it is not there. */
export async function resolveBinary(name: string): Promise<string | undefined> {
  const candidates = isAbsolute(name)
    ? [name]
    : (process.env['PATH'] ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin').split(delimiter).map((d) => join(d, name));
  for (const c of candidates) {
    try {
      await access(c, constants.X_OK);
      return c;
    } catch {
      // next
    }
  }
  return undefined;
}
