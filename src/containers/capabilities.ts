import { readFile } from 'node:fs/promises';
import { InvalidArgumentError } from '../base/index.js';

/** Every Linux capability berth knows, indexed by its number (CAP_CHOWN = 0 ... CAP_CHECKPOINT_RESTORE = 40). */
export const ALL_CAPABILITIES: readonly string[] = Object.freeze([
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN',
  'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ',
  'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
]);

/** Docker's default set (oci/caps/defaults.go), in Docker's order. */
export const DEFAULT_CAPABILITIES: readonly string[] = Object.freeze([
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID', 'CAP_SETUID',
  'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
]);

const KNOWN = new Set(ALL_CAPABILITIES);

/**
 * Upper-cases and prefixes `CAP_` (Docker's NormalizeLegacyCapabilities); keeps the magic `ALL`.
 * Unknown names: InvalidArgumentError(`unknown capability: "CAP_X"`). When `available` is given, a known
 * capability outside it is refused with Docker's "not available in the current environment" message.
 */
export function normalizeCapabilities(caps: readonly string[] | null | undefined, available?: readonly string[]): string[] {
  const out: string[] = [];
  const avail = available ? new Set(available) : undefined;
  for (const raw of caps ?? []) {
    let c = String(raw).trim().toUpperCase();
    if (c === 'ALL') {
      out.push(c);
      continue;
    }
    if (!c.startsWith('CAP_')) c = `CAP_${c}`;
    if (!KNOWN.has(c)) throw new InvalidArgumentError(`unknown capability: ${JSON.stringify(c)}`);
    if (avail && !avail.has(c)) {
      throw new InvalidArgumentError(`capability not supported by your kernel or not available in the current environment: ${JSON.stringify(c)}`);
    }
    out.push(c);
  }
  return out;
}

export interface CapabilityOptions {
  capAdd?: readonly string[] | null;
  capDrop?: readonly string[] | null;
  privileged?: boolean | null;
  /** The host's bounding set (`CAP_*`); what `ALL` and --privileged expand to. Defaults to every known capability. */
  hostCapabilities?: readonly string[];
}

/** The container's capability list, following Docker's TweakCapabilities (deduplicated, `CAP_*` names). */
export function computeCapabilities(opts: CapabilityOptions): string[] {
  const host = opts.hostCapabilities ? new Set(opts.hostCapabilities) : undefined;
  const all = ALL_CAPABILITIES.filter((c) => !host || host.has(c));
  if (opts.privileged) return [...all];
  const drop = normalizeCapabilities(opts.capDrop);
  const add = normalizeCapabilities(opts.capAdd, host ? all : undefined);
  let caps: string[];
  if (add.includes('ALL')) {
    caps = all.filter((c) => !drop.includes(c));
  } else if (drop.includes('ALL')) {
    caps = add;
  } else {
    caps = [...DEFAULT_CAPABILITIES.filter((c) => !drop.includes(c)), ...add];
  }
  return [...new Set(caps)];
}

/** The capabilities in a CapBnd (or CapEff...) line of /proc/<pid>/status, as `CAP_*` names in number order. */
export function parseCapabilityMask(statusText: string, field: 'CapBnd' | 'CapEff' | 'CapPrm' = 'CapBnd'): string[] {
  const m = new RegExp(`^${field}:\\s*([0-9a-fA-F]+)`, 'm').exec(statusText);
  if (!m) return [];
  const mask = BigInt(`0x${m[1]}`);
  return ALL_CAPABILITIES.filter((_c, i) => ((mask >> BigInt(i)) & 1n) === 1n);
}

/** Not pure: the daemon's bounding set, read from /proc/self/status. */
export async function readHostCapabilities(statusPath = '/proc/self/status'): Promise<string[]> {
  return parseCapabilityMask(await readFile(statusPath, 'utf8'), 'CapBnd');
}
