import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildRuntimeSpec, buildRuntimeSpecWithWarnings, validateHostConfig, parseSecurityOpts, DEFAULT_MASKED_PATHS, DEFAULT_READONLY_PATHS, type SpecInput } from './spec.js';
import { DEFAULT_CAPABILITIES, ALL_CAPABILITIES } from './capabilities.js';
import { InvalidArgumentError, NotImplementedError } from '../base/index.js';
import type { HostConfig, ContainerConfig } from './docker-types.js';
import type { OciSeccomp } from './seccomp.js';

const ID = 'f00dfacecafe' + '0'.repeat(52);
const SECCOMP: OciSeccomp = { defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 1, syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }] };
const HOST_CAPS = ALL_CAPABILITIES.filter((c) => c !== 'CAP_SYS_RESOURCE');

function input(config: ContainerConfig = {}, hostConfig: HostConfig = {}, extra: Partial<SpecInput> = {}): SpecInput {
  return {
    id: ID, config: { Cmd: ['sh', '-c', 'echo hi'], ...config }, hostConfig, rootfs: '/var/lib/berth/containers/x/rootfs',
    user: { uid: 0, gid: 0, additionalGids: [0, 10], home: '/root' },
    hostnamePath: '/c/hostname', hostsPath: '/c/hosts', resolvConfPath: '/c/resolv.conf', cgroupsPath: `/berth/${ID}`,
    seccomp: SECCOMP, hostCapabilities: HOST_CAPS, hostRlimits: { nofile: { hard: 20000 }, nproc: { hard: 96365 } },
    ...extra,
  };
}

void test('defaults: process, root, hostname, namespaces, mounts', () => {
  const s = buildRuntimeSpec(input({ Entrypoint: ['/init'], Cmd: ['run'], Env: ['FOO=1', 'PATH=/opt/bin'] }));
  assert.equal(s.ociVersion, '1.0.2');
  assert.deepEqual(s.process.args, ['/init', 'run']);
  assert.deepEqual(s.process.env, ['PATH=/opt/bin', 'HOSTNAME=f00dfacecafe', 'FOO=1', 'HOME=/root']);
  assert.equal(s.process.cwd, '/');
  assert.equal(s.process.terminal, false);
  assert.deepEqual(s.process.user, { uid: 0, gid: 0, additionalGids: [0, 10] });
  assert.deepEqual(s.process.capabilities, { bounding: [...DEFAULT_CAPABILITIES], effective: [...DEFAULT_CAPABILITIES], permitted: [...DEFAULT_CAPABILITIES] });
  assert.equal(s.process.noNewPrivileges, false);
  assert.equal(s.process.apparmorProfile, undefined);
  assert.deepEqual(s.process.rlimits, [{ type: 'RLIMIT_NOFILE', soft: 1024, hard: 20000 }]);
  assert.deepEqual(s.root, { path: '/var/lib/berth/containers/x/rootfs', readonly: false });
  assert.equal(s.hostname, 'f00dfacecafe');
  assert.deepEqual(s.linux.namespaces, [{ type: 'mount' }, { type: 'network' }, { type: 'uts' }, { type: 'pid' }, { type: 'ipc' }]);
  assert.equal(s.linux.cgroupsPath, `/berth/${ID}`);
  assert.deepEqual(s.linux.maskedPaths, DEFAULT_MASKED_PATHS);
  assert.deepEqual(s.linux.readonlyPaths, DEFAULT_READONLY_PATHS);
  assert.deepEqual(s.linux.seccomp, SECCOMP);
  assert.deepEqual(s.mounts.map((m) => m.destination), ['/proc', '/dev', '/dev/pts', '/sys', '/sys/fs/cgroup', '/dev/mqueue', '/dev/shm', '/etc/resolv.conf', '/etc/hostname', '/etc/hosts']);
  assert.deepEqual(s.mounts.find((m) => m.destination === '/dev/shm')!.options, ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=67108864']);
  assert.deepEqual(s.mounts.find((m) => m.destination === '/sys')!.options, ['nosuid', 'noexec', 'nodev', 'ro']);
  assert.deepEqual(s.mounts.find((m) => m.destination === '/etc/hosts'), { destination: '/etc/hosts', type: 'bind', source: '/c/hosts', options: ['rbind', 'rprivate'] });
  const dev = s.linux.resources!.devices!;
  assert.deepEqual(dev[0], { allow: false, access: 'rwm' });
  assert.ok(dev.some((d) => d.allow && d.major === 136 && d.minor === undefined));
  assert.equal(s.linux.resources!.memory, undefined);
  assert.equal(s.linux.resources!.pids, undefined);
  assert.equal(JSON.parse(JSON.stringify(s)).process.args[0], '/init');
});

void test('tty, working dir, hostname, HOME from env, netns path, cgroupns', () => {
  const s = buildRuntimeSpec(input(
    { Tty: true, WorkingDir: '/srv/app/', Hostname: 'web', Env: ['HOME=/h'] },
    { CgroupnsMode: 'private', ConsoleSize: [40, 120], ShmSize: 1 << 20 },
    { netnsPath: '/run/netns/x' },
  ));
  assert.equal(s.process.terminal, true);
  assert.deepEqual(s.process.consoleSize, { height: 40, width: 120 });
  assert.ok(s.process.env.includes('TERM=xterm'));
  assert.ok(s.process.env.includes('HOME=/h'));
  assert.ok(s.process.env.includes('HOSTNAME=web'));
  assert.equal(s.process.cwd, '/srv/app');
  assert.equal(s.hostname, 'web');
  assert.deepEqual(s.linux.namespaces.find((n) => n.type === 'network'), { type: 'network', path: '/run/netns/x' });
  assert.ok(s.linux.namespaces.some((n) => n.type === 'cgroup'));
  assert.ok(s.mounts.find((m) => m.destination === '/dev/shm')!.options!.includes('size=1048576'));
});

void test('memory, swap, cpu, pids resources', () => {
  const m = 256 * 1024 * 1024;
  const r = (hc: HostConfig) => buildRuntimeSpec(input({}, hc)).linux.resources!;
  assert.deepEqual(r({ Memory: m }).memory, { limit: m, swap: 2 * m });
  assert.deepEqual(r({ Memory: m, MemorySwap: -1 }).memory, { limit: m, swap: -1 });
  assert.deepEqual(r({ Memory: m, MemorySwap: 3 * m, MemoryReservation: m / 2, MemorySwappiness: 10, OomKillDisable: true }).memory,
    { limit: m, swap: 3 * m, reservation: m / 2, swappiness: 10, disableOOMKiller: true });
  assert.deepEqual(r({ MemorySwappiness: -1 }).memory, undefined);
  const noSwap = buildRuntimeSpecWithWarnings(input({}, { Memory: m, MemorySwap: 3 * m }, { swapLimitSupported: false }));
  assert.deepEqual(noSwap.spec.linux.resources!.memory, { limit: m });
  assert.equal(noSwap.warnings.length, 1);
  assert.deepEqual(r({ NanoCpus: 1.5e9, CpuShares: 512, CpusetCpus: '0-1', CpusetMems: '0' }).cpu, { shares: 512, period: 100000, quota: 150000, cpus: '0-1', mems: '0' });
  assert.deepEqual(r({ CpuQuota: 50000, CpuPeriod: 200000 }).cpu, { quota: 50000, period: 200000 });
  assert.deepEqual(r({ PidsLimit: 100 }).pids, { limit: 100 });
  assert.equal(r({ PidsLimit: 0 }).pids, undefined);
  assert.equal(r({ PidsLimit: -1 }).pids, undefined);
  assert.deepEqual(r({ BlkioWeight: 300 }).blockIO, { weight: 300 });
  assert.deepEqual(r({ DeviceCgroupRules: ['c 10:200 rwm'] }).devices!.at(-1), { allow: true, type: 'c', major: 10, minor: 200, access: 'rwm' });
});

void test('ulimits: parsed, clamped to the host hard limits with a warning', () => {
  const { spec, warnings } = buildRuntimeSpecWithWarnings(input({}, {
    Ulimits: [{ Name: 'nofile', Soft: 65536, Hard: 1048576 }, { Name: 'nproc', Soft: 100, Hard: 200 }, { Name: 'core', Soft: 0, Hard: 0 }],
  }));
  assert.deepEqual(spec.process.rlimits, [
    { type: 'RLIMIT_NOFILE', soft: 20000, hard: 20000 },
    { type: 'RLIMIT_NPROC', soft: 100, hard: 200 },
    { type: 'RLIMIT_CORE', soft: 0, hard: 0 },
  ]);
  assert.equal(warnings.length, 2);
  const big = buildRuntimeSpec(input({}, {}, { hostRlimits: { nofile: { hard: 1 << 20 }, nproc: { hard: 1000 } } }));
  assert.deepEqual(big.process.rlimits, [{ type: 'RLIMIT_NOFILE', soft: 1024, hard: 524288 }]);
  assert.throws(() => buildRuntimeSpec(input({}, { Ulimits: [{ Name: 'nofile', Soft: 10, Hard: 5 }] })), /ulimit soft limit must be less than or equal to hard limit: 10 > 5/);
  assert.throws(() => buildRuntimeSpec(input({}, { Ulimits: [{ Name: 'bogus', Soft: 1, Hard: 1 }] })), /invalid ulimit type: bogus/);
});

void test('security options: no-new-privileges, seccomp unconfined/custom, unknown', () => {
  assert.equal(buildRuntimeSpec(input({}, { SecurityOpt: ['no-new-privileges'] })).process.noNewPrivileges, true);
  assert.equal(buildRuntimeSpec(input({}, { SecurityOpt: ['no-new-privileges:true'] })).process.noNewPrivileges, true);
  assert.equal(buildRuntimeSpec(input({}, { SecurityOpt: ['no-new-privileges=false'] })).process.noNewPrivileges, false);
  assert.equal(buildRuntimeSpec(input({}, { SecurityOpt: ['seccomp=unconfined'] })).linux.seccomp, undefined);
  const custom = JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mount'], action: 'SCMP_ACT_ERRNO', includes: { caps: ['CAP_SYS_ADMIN'] } }, { names: ['kill'], action: 'SCMP_ACT_ERRNO' }] });
  assert.deepEqual(buildRuntimeSpec(input({}, { SecurityOpt: [`seccomp=${custom}`] })).linux.seccomp, { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['kill'], action: 'SCMP_ACT_ERRNO' }] });
  assert.throws(() => buildRuntimeSpec(input({}, { SecurityOpt: ['foo=bar'] })), (e: unknown) => e instanceof InvalidArgumentError && e.message === 'invalid --security-opt 2: "foo=bar"');
  assert.throws(() => parseSecurityOpts(['nonsense']), /invalid --security-opt 1/);
  // the seccomp converter sees the final capability set
  let seen: readonly string[] = [];
  buildRuntimeSpec(input({}, { CapAdd: ['SYS_ADMIN'] }, { seccomp: (caps) => { seen = caps; return SECCOMP; } }));
  assert.ok(seen.includes('CAP_SYS_ADMIN'));
});

void test('readonly rootfs', () => {
  const s = buildRuntimeSpec(input({}, { ReadonlyRootfs: true }));
  assert.equal(s.root.readonly, true);
  assert.deepEqual(s.mounts.find((m) => m.destination === '/etc/resolv.conf')!.options, ['rbind', 'rprivate', 'ro']);
});

void test('privileged differences', () => {
  const s = buildRuntimeSpec(input({}, { Privileged: true, CapDrop: ['CHOWN'] }));
  assert.deepEqual(s.process.capabilities!.bounding, HOST_CAPS);
  assert.equal(s.linux.seccomp, undefined);
  assert.deepEqual(s.linux.maskedPaths, []);
  assert.deepEqual(s.linux.readonlyPaths, []);
  assert.deepEqual(s.linux.resources!.devices, [{ allow: true, access: 'rwm' }]);
  assert.ok(s.mounts.find((m) => m.destination === '/sys')!.options!.includes('rw'));
  assert.ok(s.mounts.find((m) => m.destination === '/sys/fs/cgroup')!.options!.includes('rw'));
  assert.equal(s.linux.devices, undefined, 'no host devices given, none added');
  const devs = [{ path: '/dev/kvm', type: 'c' as const, major: 10, minor: 232, fileMode: 0o660, uid: 0, gid: 0 }];
  assert.deepEqual(buildRuntimeSpec(input({}, { Privileged: true }, { hostDevices: devs })).linux.devices, devs);
  assert.equal(buildRuntimeSpec(input({}, {}, { hostDevices: devs })).linux.devices, undefined, 'only when privileged');
  assert.equal(buildRuntimeSpec(input({}, { Privileged: true, Binds: ['/srv/dev:/dev'] }, { hostDevices: devs })).linux.devices, undefined, 'not into a bind-mounted /dev');
  const own = buildRuntimeSpec(input({}, { MaskedPaths: ['/proc/x'], ReadonlyPaths: [] }));
  assert.deepEqual(own.linux.maskedPaths, ['/proc/x']);
  assert.deepEqual(own.linux.readonlyPaths, []);
});

void test('user mounts, tmpfs, sysctls, init, cgroup parent', () => {
  const s = buildRuntimeSpec(input({}, {
    Binds: ['/host/data:/data:ro', '/host/a/b:/data/b'], Tmpfs: { '/run': 'size=1m,exec', '/dev/shm': '' }, Sysctls: { 'net.ipv4.ip_forward': '1' },
    Init: true, CgroupParent: '/custom',
  }, { initPath: '/usr/bin/tini' }));
  assert.deepEqual(s.process.args, ['/sbin/docker-init', '--', 'sh', '-c', 'echo hi']);
  assert.ok(s.mounts.some((m) => m.destination === '/sbin/docker-init' && m.source === '/usr/bin/tini'));
  assert.deepEqual(s.mounts.find((m) => m.destination === '/data'), { destination: '/data', type: 'bind', source: '/host/data', options: ['rbind', 'ro', 'rprivate'] });
  assert.deepEqual(s.mounts.find((m) => m.destination === '/run')!.options, ['nosuid', 'nodev', 'size=1m', 'exec']);
  assert.equal(s.mounts.filter((m) => m.destination === '/dev/shm').length, 1);
  assert.equal(s.mounts.find((m) => m.destination === '/dev/shm')!.source, 'tmpfs');
  const idx = (d: string) => s.mounts.findIndex((m) => m.destination === d);
  assert.ok(idx('/data') < idx('/data/b'));
  assert.deepEqual(s.linux.sysctl, { 'net.ipv4.ip_forward': '1' });
  assert.equal(s.linux.cgroupsPath, `/custom/${ID}`);
  assert.throws(() => buildRuntimeSpec(input({}, { Binds: ['myvol:/data'] })), NotImplementedError);
  assert.throws(() => buildRuntimeSpec(input({}, { Binds: ['/a:/b', '/c:/b'] })), /Duplicate mount point: \/b/);
});

void test('validation errors use Docker wording', () => {
  const bad: [HostConfig, RegExp | string][] = [
    [{ Memory: 1024 }, 'Minimum memory limit allowed is 6MB'],
    [{ Memory: -5 }, 'Minimum memory limit allowed is 6MB'],
    [{ Memory: 64 << 20, MemorySwap: 32 << 20 }, 'Minimum memoryswap limit should be larger than memory limit, see usage.'],
    [{ MemorySwap: 64 << 20 }, 'You should always set the Memory limit when using Memoryswap limit, see usage.'],
    [{ MemorySwappiness: 101 }, 'Invalid value: 101, valid memory swappiness range is 0-100'],
    [{ NanoCpus: 1e9, CpuQuota: 5000 }, 'Conflicting options: Nano CPUs and CPU Quota cannot both be set'],
    [{ CpuPeriod: 10 }, 'CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)'],
    [{ OomScoreAdj: 2000 }, 'Invalid value 2000, range for oom score adj is [-1000, 1000]'],
    [{ CapAdd: ['WHATEVER'] }, 'unknown capability: "CAP_WHATEVER"'],
    [{ Sysctls: { 'kernel.hostname': 'x' } }, "sysctl 'kernel.hostname' is not whitelisted"],
    [{ ExtraHosts: ['bad'] }, 'bad format for add-host: "bad"'],
    [{ Dns: ['x.y'] }, 'IP address is not correctly formatted: x.y'],
    [{ CgroupnsMode: 'weird' }, 'invalid cgroup namespace mode: weird'],
    [{ ShmSize: -1 }, 'SHM size can not be less than 0'],
    [{ DeviceCgroupRules: ['x 1:2 rwm'] }, "invalid device cgroup rule format: 'x 1:2 rwm'"],
  ];
  for (const [hc, msg] of bad) {
    assert.throws(() => validateHostConfig(hc), (e: unknown) => e instanceof InvalidArgumentError && (typeof msg === 'string' ? e.message === msg : msg.test(e.message)), JSON.stringify(hc));
  }
  assert.deepEqual(validateHostConfig({ Memory: 6 * 1024 * 1024, MemorySwap: -1, PidsLimit: -1, SecurityOpt: ['seccomp=unconfined', 'label=disable', 'apparmor=unconfined'] }), []);
  assert.throws(() => buildRuntimeSpec(input({ Cmd: [] })), /no command specified/);
  assert.throws(() => buildRuntimeSpec(input({}, { Init: true })), /--init/);
});

void test('pure: the input is not mutated', () => {
  const i = input({ Env: ['A=1'] }, { Ulimits: [{ Name: 'nofile', Soft: 1, Hard: 2 }], Sysctls: { 'net.x': '1' } });
  const before = structuredClone({ ...i, seccomp: undefined });
  const s = buildRuntimeSpec(i);
  s.linux.seccomp!.syscalls!.push({ names: ['x'], action: 'SCMP_ACT_ALLOW' });
  s.linux.sysctl!['y'] = '2';
  assert.deepEqual({ ...i, seccomp: undefined }, before);
  assert.equal(SECCOMP.syscalls!.length, 1);
});
