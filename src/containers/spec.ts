import { isAbsolute, posix } from 'node:path';
import { InvalidArgumentError, NotImplementedError, FailedPreconditionError } from '../base/index.js';
import type { ContainerConfig, HostConfig, MountSpec } from './docker-types.js';
import { computeCapabilities, normalizeCapabilities } from './capabilities.js';
import { convertSeccompProfile, parseSeccompProfile, type OciSeccomp } from './seccomp.js';
import { parseExtraHost, validateDnsSearch, validateDnsServers } from './etc-files.js';
import type { ResolvedUser } from './user.js';

// ---------------------------------------------------------------- OCI runtime-spec 1.0.2 (the parts berth writes)

export interface OciMount { destination: string; type?: string; source?: string; options?: string[] }
export interface OciRlimit { type: string; hard: number; soft: number }
export interface OciProcess {
  terminal?: boolean;
  consoleSize?: { height: number; width: number };
  user: { uid: number; gid: number; additionalGids?: number[] };
  args: string[];
  env: string[];
  cwd: string;
  capabilities?: { bounding?: string[]; effective?: string[]; inheritable?: string[]; permitted?: string[]; ambient?: string[] };
  rlimits?: OciRlimit[];
  noNewPrivileges?: boolean;
  apparmorProfile?: string;
  oomScoreAdj?: number;
}
export interface OciDeviceRule { allow: boolean; type?: string; major?: number; minor?: number; access?: string }
/** A device node the runtime creates in the container's /dev (linux.devices). */
export interface OciDevice { path: string; type: 'c' | 'b'; major: number; minor: number; fileMode?: number; uid?: number; gid?: number }
export interface OciResources {
  devices?: OciDeviceRule[];
  memory?: { limit?: number; reservation?: number; swap?: number; kernel?: number; swappiness?: number; disableOOMKiller?: boolean };
  cpu?: { shares?: number; quota?: number; period?: number; realtimeRuntime?: number; realtimePeriod?: number; cpus?: string; mems?: string };
  pids?: { limit: number };
  blockIO?: { weight?: number };
}
export interface OciNamespace { type: 'pid' | 'network' | 'mount' | 'ipc' | 'uts' | 'user' | 'cgroup'; path?: string }
export interface OciLinux {
  namespaces: OciNamespace[];
  devices?: OciDevice[];
  resources?: OciResources;
  cgroupsPath?: string;
  sysctl?: Record<string, string>;
  seccomp?: OciSeccomp;
  maskedPaths?: string[];
  readonlyPaths?: string[];
}
export interface OciSpec {
  ociVersion: string;
  process: OciProcess;
  root: { path: string; readonly?: boolean };
  hostname?: string;
  domainname?: string;
  mounts: OciMount[];
  linux: OciLinux;
  annotations?: Record<string, string>;
}

// ---------------------------------------------------------------- input

export interface SpecInput {
  id: string;
  /** Already merged with the image config. */
  config: ContainerConfig;
  hostConfig: HostConfig;
  rootfs: string;
  user: ResolvedUser;
  /** Bind-mounted to /etc/hostname, /etc/hosts, /etc/resolv.conf. */
  hostnamePath: string;
  hostsPath: string;
  resolvConfPath: string;
  /** Passed through (unless HostConfig.CgroupParent is set: then `<parent>/<id>`). */
  cgroupsPath: string;
  /** undefined: a new network namespace (loopback only, `--network none`). */
  netnsPath?: string;
  /**
   * The default seccomp profile, already converted, or a converter taking the container's final capability
   * set (see seccomp.ts makeSeccompProvider). Ignored when privileged or `seccomp=unconfined`.
   */
  seccomp?: OciSeccomp | ((capabilities: readonly string[]) => OciSeccomp | undefined);
  /** The host's device nodes (see devices.ts hostDevices): created in the container's /dev when privileged. */
  hostDevices?: readonly OciDevice[];
  /** The host's bounding set (`CAP_*`): what --privileged and `--cap-add ALL` expand to. */
  hostCapabilities: string[];
  /** The daemon's own hard limits; no container rlimit may exceed them. */
  hostRlimits: { nofile: { hard: number }; nproc: { hard: number } };
  /** For --init: the init binary on the host, bind-mounted at /sbin/docker-init. */
  initPath?: string;
  /** Host kernel release, for minKernel conditions of a custom seccomp profile. */
  kernelVersion?: string;
  /** Architecture for custom seccomp profiles (default amd64). */
  arch?: string;
  /** Whether the memory cgroup has swap accounting (memory.memsw.*). Default true. */
  swapLimitSupported?: boolean;
}

// ---------------------------------------------------------------- Docker's defaults

export const DEFAULT_PATH_ENV = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
export const DEFAULT_SHM_SIZE = 64 * 1024 * 1024;
export const MIN_MEMORY = 6 * 1024 * 1024;
export const DEFAULT_NOFILE_SOFT = 1024;
export const DEFAULT_NOFILE_HARD = 524288;
export const INIT_PATH_IN_CONTAINER = '/sbin/docker-init';

export const DEFAULT_MASKED_PATHS: readonly string[] = [
  '/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap',
];
export const DEFAULT_READONLY_PATHS: readonly string[] = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

/** Docker's DefaultLinuxSpec device list, plus what runc allows implicitly (full, ptmx, pts, mknod of anything). */
export const DEFAULT_DEVICE_RULES: readonly OciDeviceRule[] = [
  { allow: false, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' }, // zero
  { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }, // null
  { allow: true, type: 'c', major: 1, minor: 9, access: 'rwm' }, // urandom
  { allow: true, type: 'c', major: 1, minor: 8, access: 'rwm' }, // random
  { allow: true, type: 'c', major: 5, minor: 0, access: 'rwm' }, // tty
  { allow: true, type: 'c', major: 5, minor: 1, access: 'rwm' }, // console
  { allow: false, type: 'c', major: 10, minor: 229, access: 'rwm' }, // fuse
  { allow: true, type: 'c', major: 1, minor: 7, access: 'rwm' }, // full
  { allow: true, type: 'c', major: 5, minor: 2, access: 'rwm' }, // ptmx
  { allow: true, type: 'c', major: 136, access: 'rwm' }, // pts/*
  { allow: true, type: 'c', access: 'm' }, // mknod of char devices
  { allow: true, type: 'b', access: 'm' }, // mknod of block devices
];

const ULIMIT_NAMES = new Set([
  'as', 'core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice', 'nofile', 'nproc', 'rss', 'rtprio',
  'rttime', 'sigpending', 'stack',
]);

const NAMESPACED_SYSCTLS = new Set([
  'kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni',
  'kernel.shm_rmid_forced',
]);

// ---------------------------------------------------------------- security options

export interface SecurityOptions {
  noNewPrivileges: boolean;
  /** undefined: the default profile; 'unconfined'; or a custom profile's JSON text. */
  seccomp?: string;
  apparmor?: string;
  labels: string[];
}

/** Parses HostConfig.SecurityOpt like Docker's parseSecurityOpt; unknown options are refused. */
export function parseSecurityOpts(opts: readonly string[] | null | undefined): SecurityOptions {
  const out: SecurityOptions = { noNewPrivileges: false, labels: [] };
  for (const opt of opts ?? []) {
    if (opt === 'no-new-privileges') {
      out.noNewPrivileges = true;
      continue;
    }
    if (opt === 'disable') {
      out.labels.push('disable');
      continue;
    }
    let key: string;
    let value: string;
    const eq = opt.indexOf('=');
    const colon = opt.indexOf(':');
    if (eq >= 0) [key, value] = [opt.slice(0, eq), opt.slice(eq + 1)];
    else if (colon >= 0) [key, value] = [opt.slice(0, colon), opt.slice(colon + 1)];
    else throw new InvalidArgumentError(`invalid --security-opt 1: ${JSON.stringify(opt)}`);
    switch (key) {
      case 'label':
        out.labels.push(value);
        break;
      case 'apparmor':
        out.apparmor = value;
        break;
      case 'seccomp':
        if (value === '') throw new InvalidArgumentError(`invalid --security-opt 2: ${JSON.stringify(opt)}`);
        out.seccomp = value === 'builtin' ? undefined : value;
        break;
      case 'no-new-privileges': {
        const b = parseBool(value);
        if (b === undefined) throw new InvalidArgumentError(`invalid --security-opt 2: ${JSON.stringify(opt)}`);
        out.noNewPrivileges = b;
        break;
      }
      default:
        throw new InvalidArgumentError(`invalid --security-opt 2: ${JSON.stringify(opt)}`);
    }
  }
  return out;
}

function parseBool(s: string): boolean | undefined {
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(s)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(s)) return false;
  return undefined;
}

// ---------------------------------------------------------------- mounts from Binds / Mounts / Tmpfs

const PROPAGATIONS = new Set(['shared', 'rshared', 'slave', 'rslave', 'private', 'rprivate']);

/** Parses one `Binds` entry (`/host:/ctr[:ro,rslave,...]`). Named volumes are not supported yet. */
export function parseBind(spec: string): OciMount {
  const parts = spec.split(':');
  if (parts.length < 2 || parts.length > 3 || parts.some((p, i) => p === '' && i < 2)) {
    throw new InvalidArgumentError(`invalid volume specification: '${spec}'`);
  }
  const [src, dst, mode = ''] = parts as [string, string, string?];
  if (!isAbsolute(dst)) throw new InvalidArgumentError(`invalid volume specification: '${spec}': invalid mount config for type "bind": invalid mount path: '${dst}' mount path must be absolute`);
  if (!isAbsolute(src)) throw new NotImplementedError(`named volumes are not supported yet: '${spec}'`);
  let ro = false;
  let propagation = 'rprivate';
  for (const m of mode ? mode.split(',') : []) {
    if (m === 'ro') ro = true;
    else if (m === 'rw') ro = false;
    else if (PROPAGATIONS.has(m)) propagation = m;
    else if (m === 'z' || m === 'Z' || m === 'nocopy' || m === 'consistent' || m === 'cached' || m === 'delegated') continue;
    else throw new InvalidArgumentError(`invalid mode: ${m}`);
  }
  return { destination: posix.normalize(dst), type: 'bind', source: posix.normalize(src), options: ['rbind', ...(ro ? ['ro'] : []), propagation] };
}

const TMPFS_OPPOSITES: Record<string, string> = {
  exec: 'noexec', noexec: 'exec', suid: 'nosuid', nosuid: 'suid', dev: 'nodev', nodev: 'dev', ro: 'rw', rw: 'ro',
  atime: 'noatime', noatime: 'atime',
};

/** Docker's default tmpfs flags (noexec,nosuid,nodev) overridden by the given ones; size=/mode= last wins. */
export function mergeTmpfsOptions(opts: readonly string[]): string[] {
  const out: string[] = [];
  for (const o of ['noexec', 'nosuid', 'nodev', ...opts.map((x) => x.trim()).filter(Boolean)]) {
    const key = o.includes('=') ? o.slice(0, o.indexOf('=') + 1) : o;
    for (let i = out.length - 1; i >= 0; i--) {
      const cur = out[i]!;
      if ((key.endsWith('=') && cur.startsWith(key)) || cur === o || cur === TMPFS_OPPOSITES[o]) out.splice(i, 1);
    }
    out.push(o);
  }
  return out;
}

function mountFromSpec(m: MountSpec): OciMount {
  const target = m.Target ?? '';
  if (!target || !isAbsolute(target)) throw new InvalidArgumentError(`invalid mount config for type "${m.Type}": invalid mount path: '${target}' mount path must be absolute`);
  switch (m.Type) {
    case 'bind': {
      if (!m.Source || !isAbsolute(m.Source)) throw new InvalidArgumentError(`invalid mount config for type "bind": invalid mount path: '${m.Source ?? ''}' mount path must be absolute`);
      const prop = m.BindOptions?.Propagation || 'rprivate';
      if (!PROPAGATIONS.has(prop)) throw new InvalidArgumentError(`invalid mount config for type "bind": invalid propagation mode: ${prop}`);
      const opts = [m.BindOptions?.NonRecursive ? 'bind' : 'rbind', ...(m.ReadOnly ? ['ro'] : []), prop];
      return { destination: posix.normalize(target), type: 'bind', source: posix.normalize(m.Source), options: opts };
    }
    case 'tmpfs': {
      if (m.Source) throw new InvalidArgumentError('invalid mount config for type "tmpfs": field Source must not be specified');
      const extra: string[] = [];
      if (m.TmpfsOptions?.SizeBytes) extra.push(`size=${m.TmpfsOptions.SizeBytes}`);
      if (m.TmpfsOptions?.Mode) extra.push(`mode=${m.TmpfsOptions.Mode.toString(8)}`);
      if (m.ReadOnly) extra.push('ro');
      return { destination: posix.normalize(target), type: 'tmpfs', source: 'tmpfs', options: mergeTmpfsOptions(extra) };
    }
    case 'volume':
      throw new NotImplementedError('volume mounts are not supported yet');
    default:
      throw new InvalidArgumentError(`mount type unknown: ${JSON.stringify(m.Type ?? '')}`);
  }
}

/** The user's mounts (Binds, Mounts, Tmpfs) as OCI mounts; duplicates refused like Docker. */
export function userMounts(hc: HostConfig): OciMount[] {
  const out: OciMount[] = [];
  for (const b of hc.Binds ?? []) out.push(parseBind(b));
  for (const m of hc.Mounts ?? []) out.push(mountFromSpec(m));
  for (const [dst, data] of Object.entries(hc.Tmpfs ?? {})) {
    if (!isAbsolute(dst)) throw new InvalidArgumentError(`invalid mount config for type "tmpfs": invalid mount path: '${dst}' mount path must be absolute`);
    out.push({ destination: posix.normalize(dst), type: 'tmpfs', source: 'tmpfs', options: mergeTmpfsOptions((data ?? '').split(',')) });
  }
  const seen = new Set<string>();
  for (const m of out) {
    if (seen.has(m.destination)) throw new InvalidArgumentError(`Duplicate mount point: ${m.destination}`);
    seen.add(m.destination);
  }
  return out;
}

// ---------------------------------------------------------------- validation

const CPUSET_RE = /^\d+(-\d+)?(,\d+(-\d+)?)*$/;
const DEVICE_RULE_RE = /^([acb]) ([0-9]+|\*):([0-9]+|\*) ([rwm]{1,3})$/;

function parseDeviceRule(rule: string): OciDeviceRule {
  const m = DEVICE_RULE_RE.exec(rule.trim());
  if (!m) throw new InvalidArgumentError(`invalid device cgroup rule format: '${rule}'`);
  const r: OciDeviceRule = { allow: true, type: m[1]!, access: m[4]! };
  if (m[2] !== '*') r.major = Number(m[2]);
  if (m[3] !== '*') r.minor = Number(m[3]);
  return r;
}

function num(v: number | null | undefined): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

/**
 * Checks a HostConfig the way dockerd does at create time (Docker's messages where clients match on
 * them). Returns warnings; throws InvalidArgumentError / NotImplementedError.
 */
export function validateHostConfig(hc: HostConfig): string[] {
  const warnings: string[] = [];
  const memory = num(hc.Memory);
  const swap = num(hc.MemorySwap);
  const reservation = num(hc.MemoryReservation);
  if (memory !== 0 && memory < MIN_MEMORY) throw new InvalidArgumentError('Minimum memory limit allowed is 6MB');
  if (swap < -1) throw new InvalidArgumentError(`invalid memory swap value: ${swap}`);
  if (memory > 0 && swap > 0 && swap < memory) throw new InvalidArgumentError('Minimum memoryswap limit should be larger than memory limit, see usage.');
  if (memory === 0 && swap > 0) throw new InvalidArgumentError('You should always set the Memory limit when using Memoryswap limit, see usage.');
  if (hc.MemorySwappiness != null && hc.MemorySwappiness !== -1 && (hc.MemorySwappiness < 0 || hc.MemorySwappiness > 100)) {
    throw new InvalidArgumentError(`Invalid value: ${hc.MemorySwappiness}, valid memory swappiness range is 0-100`);
  }
  if (reservation !== 0 && reservation < MIN_MEMORY) throw new InvalidArgumentError('Minimum memory reservation allowed is 6MB');
  if (memory > 0 && reservation > 0 && memory < reservation) {
    throw new InvalidArgumentError('Minimum memory limit can not be less than memory reservation limit, see usage.');
  }
  if (num(hc.KernelMemory) !== 0) warnings.push('Specifying a kernel memory limit is deprecated and will be removed in a future release.');
  if (hc.OomKillDisable && memory === 0) warnings.push('OOM killer is disabled for the container, but no memory limit is set, this can result in the system running out of resources.');

  const nano = num(hc.NanoCpus);
  if (nano < 0) throw new InvalidArgumentError('Range of CPUs is from 0.01 to the number of CPUs available');
  if (nano > 0 && num(hc.CpuPeriod) > 0) throw new InvalidArgumentError('Conflicting options: Nano CPUs and CPU Period cannot both be set');
  if (nano > 0 && num(hc.CpuQuota) > 0) throw new InvalidArgumentError('Conflicting options: Nano CPUs and CPU Quota cannot both be set');
  const period = num(hc.CpuPeriod);
  if (period !== 0 && (period < 1000 || period > 1000000)) {
    throw new InvalidArgumentError('CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)');
  }
  const quota = num(hc.CpuQuota);
  if (quota > 0 && quota < 1000) throw new InvalidArgumentError('CPU cfs quota can not be less than 1ms (i.e. 1000)');
  if (num(hc.CpuShares) < 0) throw new InvalidArgumentError(`invalid CPU shares: ${hc.CpuShares}`);
  if (hc.CpusetCpus && !CPUSET_RE.test(hc.CpusetCpus)) throw new InvalidArgumentError(`Invalid value ${hc.CpusetCpus} for cpuset cpus`);
  if (hc.CpusetMems && !CPUSET_RE.test(hc.CpusetMems)) throw new InvalidArgumentError(`Invalid value ${hc.CpusetMems} for cpuset mems`);
  const blkio = num(hc.BlkioWeight);
  if (blkio > 0 && (blkio < 10 || blkio > 1000)) throw new InvalidArgumentError('Range of blkio weight is from 10 to 1000');
  const oom = num(hc.OomScoreAdj);
  if (oom < -1000 || oom > 1000) throw new InvalidArgumentError(`Invalid value ${oom}, range for oom score adj is [-1000, 1000]`);
  if (num(hc.ShmSize) < 0) throw new InvalidArgumentError('SHM size can not be less than 0');

  for (const u of hc.Ulimits ?? []) {
    const name = u?.Name ?? '';
    if (!ULIMIT_NAMES.has(name)) throw new InvalidArgumentError(`invalid ulimit type: ${name}`);
    if (typeof u.Soft !== 'number' || typeof u.Hard !== 'number' || !Number.isInteger(u.Soft) || !Number.isInteger(u.Hard)) {
      throw new InvalidArgumentError(`invalid ulimit argument: ${name}`);
    }
    if (u.Soft < -1 || u.Hard < -1) throw new InvalidArgumentError(`invalid ulimit argument: ${name}=${u.Soft}:${u.Hard}`);
    if (u.Hard !== -1 && (u.Soft === -1 || u.Soft > u.Hard)) {
      throw new InvalidArgumentError(`ulimit soft limit must be less than or equal to hard limit: ${u.Soft} > ${u.Hard}`);
    }
  }

  parseSecurityOpts(hc.SecurityOpt);
  normalizeCapabilities(hc.CapAdd);
  normalizeCapabilities(hc.CapDrop);
  for (const k of Object.keys(hc.Sysctls ?? {})) {
    if (!NAMESPACED_SYSCTLS.has(k) && !k.startsWith('net.') && !k.startsWith('fs.mqueue.')) {
      throw new InvalidArgumentError(`sysctl '${k}' is not whitelisted`);
    }
    if (k.startsWith('net.') && hc.NetworkMode === 'host') throw new InvalidArgumentError(`sysctl '${k}' not allowed in host network namespace`);
  }
  for (const e of hc.ExtraHosts ?? []) parseExtraHost(e);
  validateDnsServers(hc.Dns);
  validateDnsSearch(hc.DnsSearch);
  for (const r of hc.DeviceCgroupRules ?? []) parseDeviceRule(r);
  if (hc.Devices && hc.Devices.length > 0) throw new NotImplementedError('--device is not supported yet');
  if (hc.DeviceRequests && hc.DeviceRequests.length > 0) throw new NotImplementedError('device requests (--gpus) are not supported');

  const cgns = hc.CgroupnsMode ?? '';
  if (!['', 'private', 'host'].includes(cgns)) throw new InvalidArgumentError(`invalid cgroup namespace mode: ${cgns}`);
  const ipc = hc.IpcMode ?? '';
  if (ipc.startsWith('container:')) throw new NotImplementedError('--ipc container:<id> is not supported yet');
  if (!['', 'private', 'shareable', 'host', 'none'].includes(ipc)) throw new InvalidArgumentError(`invalid IPC mode: ${ipc}`);
  const pid = hc.PidMode ?? '';
  if (pid.startsWith('container:')) throw new NotImplementedError('--pid container:<id> is not supported yet');
  if (!['', 'host', 'private'].includes(pid)) throw new InvalidArgumentError(`invalid PID mode: ${pid}`);
  const uts = hc.UTSMode ?? '';
  if (!['', 'host', 'private'].includes(uts)) throw new InvalidArgumentError(`invalid UTS mode: ${uts}`);
  const userns = hc.UsernsMode ?? '';
  if (userns !== '' && userns !== 'host') throw new NotImplementedError(`user namespace mode ${JSON.stringify(userns)} is not supported`);
  if (hc.Isolation && hc.Isolation !== 'default') throw new InvalidArgumentError(`Invalid isolation: ${JSON.stringify(hc.Isolation)} - linux only supports 'default'`);
  if (hc.ConsoleSize && (hc.ConsoleSize.length !== 2 || hc.ConsoleSize.some((n) => typeof n !== 'number' || n < 0))) {
    throw new InvalidArgumentError('invalid ConsoleSize: must be [height, width]');
  }
  userMounts(hc);
  return warnings;
}

// ---------------------------------------------------------------- building blocks

function replaceOrAppendEnv(defaults: string[], overrides: readonly string[]): string[] {
  const out = [...defaults];
  const index = new Map(out.map((e, i) => [e.split('=', 1)[0]!, i]));
  for (const e of overrides) {
    const k = e.split('=', 1)[0]!;
    if (!e.includes('=')) continue; // `FOO` without a value: Docker leaves it unset
    const i = index.get(k);
    if (i !== undefined) out[i] = e;
    else {
      index.set(k, out.length);
      out.push(e);
    }
  }
  return out;
}

function buildRlimits(hc: HostConfig, host: SpecInput['hostRlimits'], warnings: string[]): OciRlimit[] {
  const limits = new Map<string, { soft: number; hard: number }>();
  limits.set('nofile', { soft: DEFAULT_NOFILE_SOFT, hard: DEFAULT_NOFILE_HARD });
  for (const u of hc.Ulimits ?? []) limits.set(u.Name!, { soft: u.Soft!, hard: u.Hard! });
  const hostHard: Record<string, number> = { nofile: host.nofile.hard, nproc: host.nproc.hard };
  const out: OciRlimit[] = [];
  for (const [name, l] of limits) {
    let { soft, hard } = l;
    const cap = hostHard[name];
    if (hard === -1 || soft === -1) {
      if (cap === undefined) throw new InvalidArgumentError(`ulimit ${name}: unlimited (-1) is not supported`);
      if (hard === -1) hard = cap;
      if (soft === -1) soft = hard;
    }
    if (cap !== undefined && hard > cap) {
      if (hc.Ulimits?.some((u) => u.Name === name)) {
        warnings.push(`ulimit ${name} hard limit ${hard} lowered to the daemon's own hard limit ${cap}`);
      }
      hard = cap;
    }
    if (soft > hard) {
      if (hc.Ulimits?.some((u) => u.Name === name)) warnings.push(`ulimit ${name} soft limit ${soft} lowered to ${hard}`);
      soft = hard;
    }
    out.push({ type: `RLIMIT_${name.toUpperCase()}`, hard, soft });
  }
  return out;
}

function buildResources(hc: HostConfig, privileged: boolean, swapSupported: boolean, warnings: string[]): OciResources {
  const r: OciResources = {};
  r.devices = privileged ? [{ allow: true, access: 'rwm' }] : DEFAULT_DEVICE_RULES.map((d) => ({ ...d }));
  for (const rule of hc.DeviceCgroupRules ?? []) r.devices.push(parseDeviceRule(rule));

  const memory: NonNullable<OciResources['memory']> = {};
  const mem = num(hc.Memory);
  const swap = num(hc.MemorySwap);
  if (mem > 0) {
    memory.limit = mem;
    if (!swapSupported) {
      if (swap !== 0 && swap !== -1) warnings.push('Your kernel does not support swap limit capabilities or the cgroup is not mounted. Memory limited without swap.');
    } else if (swap === -1) memory.swap = -1;
    else if (swap === 0) memory.swap = mem * 2;
    else memory.swap = swap;
  }
  if (num(hc.MemoryReservation) > 0) memory.reservation = num(hc.MemoryReservation);
  if (hc.MemorySwappiness != null && hc.MemorySwappiness !== -1) memory.swappiness = hc.MemorySwappiness;
  if (hc.OomKillDisable) memory.disableOOMKiller = true;
  if (Object.keys(memory).length > 0) r.memory = memory;

  const cpu: NonNullable<OciResources['cpu']> = {};
  if (num(hc.CpuShares) > 0) cpu.shares = num(hc.CpuShares);
  const nano = num(hc.NanoCpus);
  if (nano > 0) {
    cpu.period = 100000;
    cpu.quota = Math.round((nano * 100000) / 1e9);
  } else {
    if (num(hc.CpuQuota) !== 0) cpu.quota = num(hc.CpuQuota);
    if (num(hc.CpuPeriod) !== 0) cpu.period = num(hc.CpuPeriod);
  }
  if (num(hc.CpuRealtimePeriod) !== 0) cpu.realtimePeriod = num(hc.CpuRealtimePeriod);
  if (num(hc.CpuRealtimeRuntime) !== 0) cpu.realtimeRuntime = num(hc.CpuRealtimeRuntime);
  if (hc.CpusetCpus) cpu.cpus = hc.CpusetCpus;
  if (hc.CpusetMems) cpu.mems = hc.CpusetMems;
  if (Object.keys(cpu).length > 0) r.cpu = cpu;

  if (num(hc.PidsLimit) > 0) r.pids = { limit: num(hc.PidsLimit) };
  if (num(hc.BlkioWeight) > 0) r.blockIO = { weight: num(hc.BlkioWeight) };
  return r;
}

function depth(p: string): number {
  return p.split('/').filter(Boolean).length;
}

function buildMounts(input: SpecInput, privileged: boolean, warnings: string[]): OciMount[] {
  const hc = input.hostConfig;
  const ipc = hc.IpcMode ?? '';
  const shmSize = num(hc.ShmSize) > 0 ? num(hc.ShmSize) : DEFAULT_SHM_SIZE;
  const defaults: OciMount[] = [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', privileged ? 'rw' : 'ro'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: [privileged ? 'rw' : 'ro', 'nosuid', 'noexec', 'nodev'] },
    ipc === 'host'
      ? { destination: '/dev/mqueue', type: 'bind', source: '/dev/mqueue', options: ['rbind', 'rprivate'] }
      : { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
  ];
  if (ipc === 'host') defaults.push({ destination: '/dev/shm', type: 'bind', source: '/dev/shm', options: ['rbind', 'rprivate'] });
  else if (ipc !== 'none') defaults.push({ destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', `size=${shmSize}`] });

  const user = userMounts(hc);
  const userDests = new Set(user.map((m) => m.destination));
  const mountsDev = userDests.has('/dev');
  const out = defaults.filter((m) => !userDests.has(m.destination) && !(mountsDev && m.destination.startsWith('/dev/')));

  const ro = !!hc.ReadonlyRootfs;
  const network: [string, string][] = [
    [input.resolvConfPath, '/etc/resolv.conf'],
    [input.hostnamePath, '/etc/hostname'],
    [input.hostsPath, '/etc/hosts'],
  ];
  for (const [source, destination] of network) {
    if (userDests.has(destination)) continue;
    out.push({ destination, type: 'bind', source, options: ['rbind', 'rprivate', ...(ro ? ['ro'] : [])] });
  }
  if (hc.Init) {
    if (!input.initPath) throw new FailedPreconditionError('--init was requested but no init binary (docker-init/tini) is configured');
    if (userDests.has(INIT_PATH_IN_CONTAINER)) warnings.push(`${INIT_PATH_IN_CONTAINER} is mounted by the user; --init uses it as is`);
    else out.push({ destination: INIT_PATH_IN_CONTAINER, type: 'bind', source: input.initPath, options: ['bind', 'ro'] });
  }
  // Parents before children, stable otherwise (Docker's sortMounts).
  out.push(...[...user].sort((a, b) => depth(a.destination) - depth(b.destination)));
  return out;
}

// ---------------------------------------------------------------- the spec

/** Like buildRuntimeSpec, also returning warnings (lowered ulimits, swap accounting missing...). */
export function buildRuntimeSpecWithWarnings(input: SpecInput): { spec: OciSpec; warnings: string[] } {
  const { config, hostConfig: hc, user } = input;
  const warnings = validateHostConfig(hc);
  const privileged = !!hc.Privileged;
  const sec = parseSecurityOpts(hc.SecurityOpt);

  const entrypoint = config.Entrypoint ?? [];
  const cmd = config.Cmd ?? [];
  let args = [...entrypoint, ...cmd];
  if (args.length === 0 || args[0] === '') throw new InvalidArgumentError('no command specified');
  if (hc.Init) args = [INIT_PATH_IN_CONTAINER, '--', ...args];

  const cwd = config.WorkingDir ? posix.normalize(config.WorkingDir).replace(/(.)\/+$/, '$1') : '/';
  if (!cwd.startsWith('/')) throw new InvalidArgumentError(`the working directory '${config.WorkingDir}' is invalid, it needs to be an absolute path`);

  const utsHost = hc.UTSMode === 'host';
  const hostname = config.Hostname || input.id.slice(0, 12);
  const tty = !!config.Tty;
  let env = replaceOrAppendEnv(
    [`PATH=${DEFAULT_PATH_ENV}`, `HOSTNAME=${hostname}`, ...(tty ? ['TERM=xterm'] : [])],
    config.Env ?? [],
  );
  if (!env.some((e) => e.startsWith('HOME='))) env = [...env, `HOME=${user.home || '/'}`];

  const caps = computeCapabilities({
    capAdd: hc.CapAdd, capDrop: hc.CapDrop, privileged, hostCapabilities: input.hostCapabilities,
  });

  const process: OciProcess = {
    terminal: tty,
    user: { uid: user.uid, gid: user.gid, additionalGids: [...user.additionalGids] },
    args,
    env,
    cwd,
    capabilities: { bounding: [...caps], effective: [...caps], permitted: [...caps] },
    rlimits: buildRlimits(hc, input.hostRlimits, warnings),
    noNewPrivileges: sec.noNewPrivileges,
    oomScoreAdj: num(hc.OomScoreAdj),
  };
  if (tty && hc.ConsoleSize && hc.ConsoleSize[0]! > 0 && hc.ConsoleSize[1]! > 0) {
    process.consoleSize = { height: hc.ConsoleSize[0]!, width: hc.ConsoleSize[1]! };
  }

  const namespaces: OciNamespace[] = [{ type: 'mount' }];
  if (hc.NetworkMode !== 'host') namespaces.push(input.netnsPath ? { type: 'network', path: input.netnsPath } : { type: 'network' });
  if (!utsHost) namespaces.push({ type: 'uts' });
  if (hc.PidMode !== 'host') namespaces.push({ type: 'pid' });
  if (hc.IpcMode !== 'host') namespaces.push({ type: 'ipc' });
  if (hc.CgroupnsMode === 'private') namespaces.push({ type: 'cgroup' });

  const linux: OciLinux = {
    namespaces,
    resources: buildResources(hc, privileged, input.swapLimitSupported ?? true, warnings),
    cgroupsPath: hc.CgroupParent ? posix.join('/', hc.CgroupParent, input.id) : input.cgroupsPath,
    maskedPaths: hc.MaskedPaths != null ? [...hc.MaskedPaths] : privileged ? [] : [...DEFAULT_MASKED_PATHS],
    readonlyPaths: hc.ReadonlyPaths != null ? [...hc.ReadonlyPaths] : privileged ? [] : [...DEFAULT_READONLY_PATHS],
  };
  if (hc.Sysctls && Object.keys(hc.Sysctls).length > 0) linux.sysctl = { ...hc.Sysctls };
  // Docker's --privileged gives the container every host device, not only the cgroup permission to use them.
  // Never when the user binds something over /dev: the runtime would create the nodes in that host directory.
  if (privileged && input.hostDevices?.length && !userMounts(hc).some((m) => m.destination === '/dev' && m.type === 'bind')) {
    linux.devices = input.hostDevices.map((d) => ({ ...d }));
  }

  if (!privileged && sec.seccomp !== 'unconfined') {
    let seccomp: OciSeccomp | undefined;
    if (sec.seccomp !== undefined) {
      seccomp = convertSeccompProfile(parseSeccompProfile(sec.seccomp), {
        capabilities: caps,
        ...(input.arch !== undefined ? { arch: input.arch } : {}),
        ...(input.kernelVersion !== undefined ? { kernelVersion: input.kernelVersion } : {}),
      });
    } else if (typeof input.seccomp === 'function') {
      seccomp = input.seccomp(caps);
    } else if (input.seccomp) {
      seccomp = structuredClone(input.seccomp);
    }
    if (seccomp) linux.seccomp = seccomp;
  }

  const spec: OciSpec = {
    ociVersion: '1.0.2',
    process,
    root: { path: input.rootfs, readonly: !!hc.ReadonlyRootfs },
    mounts: buildMounts(input, privileged, warnings),
    linux,
  };
  if (!utsHost) spec.hostname = hostname;
  if (!utsHost && config.Domainname) spec.domainname = config.Domainname;
  if (hc.Annotations && Object.keys(hc.Annotations).length > 0) spec.annotations = { ...hc.Annotations };
  return { spec, warnings };
}

/**
 * Builds the OCI runtime spec (config.json) for a container. Pure: every host fact comes in `input`.
 * Throws InvalidArgumentError for invalid settings (Docker's wording), NotImplementedError for
 * features berth lacks, FailedPreconditionError for --init without an init binary.
 */
export function buildRuntimeSpec(input: SpecInput): OciSpec {
  return buildRuntimeSpecWithWarnings(input).spec;
}
