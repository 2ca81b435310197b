import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BERTH, TestDaemon, cgroupLeaks, isRoot, run, waitFor, type RunResult } from '../helpers/daemon.js';

// Item 5 (container options) and item 6 (run flags) of issue 2, checked where they must take effect: inside a
// running container (/proc/1/status, ulimit, /etc files, mounts) and on the host (the container's cgroup
// directories). Real berthd, real runc/crun under conmon; a few checks go through the real docker CLI (item 10).

let d: TestDaemon;
let tmp: string;
const made: string[] = [];
let cidSeq = 0;

before(async () => {
  if (!isRoot) return;
  d = await TestDaemon.start();
  tmp = await mkdtemp(join(tmpdir(), 'berth-options-'));
});

after(async () => {
  if (!isRoot) return;
  const leaks = await d.cleanup();
  await rm(tmp, { recursive: true, force: true });
  assert.deepEqual(leaks, [], 'nothing left behind');
  assert.deepEqual(await cgroupLeaks(made), [], 'no container cgroups left');
  // cgroupLeaks skips these hierarchies; runc and crun create the container's directory there too.
  const more = made.flatMap((id) => ['cpuacct', 'systemd', 'unified'].map((h) => `/sys/fs/cgroup/${h}/berth/${id}`)).filter((p) => existsSync(p));
  assert.deepEqual(more, [], 'no container cgroups left in cpuacct, name=systemd or the v2 hierarchy');
});

type Cli = 'berth' | 'docker';

/** `run --rm` through either CLI, with the client's environment extended by `env`; remembers the container ID. */
async function runRm(args: string[], opts: { cli?: Cli; env?: Record<string, string>; code?: number } = {}): Promise<RunResult> {
  const cid = join(tmp, `${++cidSeq}.cid`);
  const full = ['run', '--rm', '--cidfile', cid, ...args];
  const r = opts.cli === 'docker'
    ? await run('docker', full, { env: { DOCKER_HOST: d.host, DOCKER_CONFIG: join(d.dir, 'docker-config'), ...(opts.env ?? {}) } })
    : await run(BERTH, ['-H', d.host, ...full], { env: opts.env ?? {} });
  const id = (await readFile(cid, 'utf8').catch(() => '')).trim();
  if (id) made.push(id);
  assert.equal(r.code, opts.code ?? 0, `${opts.cli ?? 'berth'} run ${args.join(' ')}: exit ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r;
}

async function ok(args: string[]): Promise<string> {
  const r = await d.berth(args);
  assert.equal(r.code, 0, `berth ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function inspect(ref: string): Promise<Record<string, any>> {
  return JSON.parse(await ok(['inspect', ref]))[0];
}

/** `key=value` lines (the first `=` splits) of a script's output. */
function kv(out: string): Record<string, string> {
  const o: Record<string, string> = {};
  for (const line of out.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) o[line.slice(0, i)] = line.slice(i + 1);
  }
  return o;
}

/** A /proc/PID/status field. */
function statusField(status: string, name: string): string {
  const m = new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(status);
  assert.ok(m, `${name} in /proc/PID/status`);
  return m[1]!.trim();
}

function capHex(mask: bigint): string {
  return mask.toString(16).padStart(16, '0');
}

const DOCKER_DEFAULT_CAPS = 0xa80425fbn;
const CAP_NET_RAW = 13n;
const CAP_SYS_ADMIN = 21n;
const hostStatus = (): string => readFileSync('/proc/self/status', 'utf8');
const hasCrun = spawnSync('sh', ['-c', 'command -v crun']).status === 0;

/** The daemon's hard limit for open files (the same as ours: it is our child). */
function ownNofileHard(): number {
  const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'))!;
  const hard = line.trim().split(/\s+/)[4]!;
  return hard === 'unlimited' ? Infinity : Number(hard);
}

/** What the container's resolv.conf holds with no --dns: the host's non-loopback nameservers, else Google's. */
function expectedNameservers(): string[] {
  const host = readFileSync('/etc/resolv.conf', 'utf8').split('\n').map((l) => l.trim().split(/\s+/))
    .filter((w) => w[0] === 'nameserver' && w[1] && !/^127\./.test(w[1]) && w[1] !== '::1').map((w) => w[1]!);
  return host.length > 0 ? host : ['8.8.8.8', '8.8.4.4'];
}

/** Top-level char/block devices of the host's /dev (what --privileged must show), /dev/console aside. */
function hostTopLevelDevices(): string[] {
  return readdirSync('/dev').filter((n) => {
    if (n === 'console') return false;
    const st = lstatSync(join('/dev', n), { throwIfNoEntry: false });
    return !!st && (st.isCharacterDevice() || st.isBlockDevice());
  });
}

// One script reads everything the default-vs-option comparisons need.
const PROBE = [
  'grep -E "^(CapPrm|CapEff|CapBnd|NoNewPrivs|Seccomp):" /proc/1/status',
  'echo "nofile=$(ulimit -n):$(ulimit -Hn)"',
  'echo "pid=$$"',
  'echo "hostname=$(hostname)"',
  'echo "etchostname=$(cat /etc/hostname)"',
  'echo "envhostname=$HOSTNAME"',
  'echo "hosts=$(base64 < /etc/hosts | tr -d "\\n")"',
  'echo "resolv=$(base64 < /etc/resolv.conf | tr -d "\\n")"',
  'echo "netdev=$(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " " | tr "\\n" ,)"',
  'echo "links=$(ip -o link | cut -d" " -f2,3 | tr "\\n" ,)"',
  'echo "dev=$(ls /dev | tr "\\n" ,)"',
  'echo "firmware=$(ls /sys/firmware | tr "\\n" ,)"',
  'echo "timerlist=$(wc -c < /proc/timer_list)"',
  'echo "keys=$(wc -c < /proc/keys)"',
  'echo "kcore=$(wc -c < /proc/kcore 2>/dev/null)"',
  'echo "roprocsys=$(grep -E " /proc/(bus|fs|irq|sys|sysrq-trigger) " /proc/self/mounts | cut -d" " -f2,4 | cut -d, -f1 | tr "\\n" ,)"',
  'echo "procsyswrite=$( (echo probe > /proc/sys/kernel/hostname) 2>&1 && hostname)"',
  'echo "memlimit=$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes)"',
  'echo "pidsmax=$(cat /sys/fs/cgroup/pids/pids.max)"',
  'echo "quota=$(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us)"',
  'echo "shares=$(cat /sys/fs/cgroup/cpu/cpu.shares)"',
  'echo "unshare=$(unshare -U true 2>&1 && echo ok)"',
  'mkdir -p /m; echo "mount=$(mount -t tmpfs none /m 2>&1 && echo ok)"',
  'touch /f; echo "chown=$(chown 1 /f 2>&1 && echo ok)"',
].join('\n');

interface Probe {
  status: string;
  v: Record<string, string>;
  caps: bigint;
}

async function probe(args: string[], cli: Cli = 'berth'): Promise<Probe> {
  const r = await runRm([...args, 'busybox', 'sh', '-c', PROBE], { cli });
  const v = kv(r.stdout);
  for (const k of ['hosts', 'resolv']) v[k] = Buffer.from(v[k] ?? '', 'base64').toString();
  return { status: r.stdout, v, caps: BigInt(`0x${statusField(r.stdout, 'CapEff')}`) };
}

let defaults: Probe | undefined;
async function defaultProbe(): Promise<Probe> {
  defaults ??= await probe([]);
  return defaults;
}

// ---------------------------------------------------------------- cgroups

void test('--memory, --memory-swap, --cpus, --cpu-shares, --pids-limit: set on the container cgroup and enforced', { skip: !isRoot }, async () => {
  const script = [
    'cd /sys/fs/cgroup',
    'echo "in.mem=$(cat memory/memory.limit_in_bytes)"',
    'echo "in.memsw=$(cat memory/memory.memsw.limit_in_bytes)"',
    'echo "in.quota=$(cat cpu/cpu.cfs_quota_us)"',
    'echo "in.period=$(cat cpu/cpu.cfs_period_us)"',
    'echo "in.shares=$(cat cpu/cpu.shares)"',
    'echo "in.pids=$(cat pids/pids.max)"',
    // Half a CPU: a busy loop for a second gets at most about half a second of CPU time, whatever the load.
    'u0=$(cat cpuacct/cpuacct.usage); t0=$(cut -d" " -f1 /proc/uptime)',
    'sh -c "while :; do :; done" & p=$!; sleep 1; kill $p',
    'echo "in.cpu=$(( $(cat cpuacct/cpuacct.usage) - u0 ))"; echo "in.wall=$t0 $(cut -d" " -f1 /proc/uptime)"',
    'echo "in.periods=$(grep nr_periods cpu/cpu.stat | cut -d" " -f2)"',
    'echo ready; exec sleep 60',
  ].join('\n');
  const id = (await ok(['run', '-d', '--memory', '64m', '--memory-swap', '128m', '--cpus', '0.5', '--cpu-shares', '512', '--pids-limit', '20', 'busybox', 'sh', '-c', script])).trim();
  made.push(id);
  try {
    await waitFor(async () => (await d.berth(['logs', id])).stdout.includes('ready'), 'the probe to finish');
    const c = await inspect(id);
    assert.equal(c.HostConfig.Memory, 64 * 1024 * 1024);
    assert.equal(c.HostConfig.MemorySwap, 128 * 1024 * 1024);
    assert.equal(c.HostConfig.NanoCpus, 500_000_000);
    assert.equal(c.HostConfig.CpuShares, 512);
    assert.equal(c.HostConfig.PidsLimit, 20);

    // Where the container's cgroups live on the host: every v1 controller at /berth/<id>.
    const cg = await readFile(`/proc/${c.State.Pid}/cgroup`, 'utf8');
    for (const ctrl of ['memory', 'cpu', 'pids']) {
      const line = cg.split('\n').find((l) => l.split(':')[1]!.split(',').includes(ctrl));
      assert.equal(line?.split(':')[2], `/berth/${id}`, `${ctrl} cgroup of the container process`);
    }
    const host = (ctrl: string, file: string): string => readFileSync(`/sys/fs/cgroup/${ctrl}/berth/${id}/${file}`, 'utf8').trim();
    assert.equal(host('memory', 'memory.limit_in_bytes'), String(64 * 1024 * 1024));
    assert.equal(host('memory', 'memory.memsw.limit_in_bytes'), String(128 * 1024 * 1024));
    assert.equal(host('cpu', 'cpu.cfs_quota_us'), '50000');
    assert.equal(host('cpu', 'cpu.cfs_period_us'), '100000');
    assert.equal(host('cpu', 'cpu.shares'), '512');
    assert.equal(host('pids', 'pids.max'), '20');
    assert.ok(host('pids', 'cgroup.procs').split('\n').includes(String(c.State.Pid)), 'the container process is in its pids cgroup');

    // The same values from inside (runc binds the container's own cgroup directory at /sys/fs/cgroup/<ctrl>).
    const v = kv((await d.berth(['logs', id])).stdout);
    assert.deepEqual(
      [v['in.mem'], v['in.memsw'], v['in.quota'], v['in.period'], v['in.shares'], v['in.pids']],
      [String(64 * 1024 * 1024), String(128 * 1024 * 1024), '50000', '100000', '512', '20'],
    );
    assert.ok(Number(v['in.periods']) > 0, `CFS bandwidth control is active (nr_periods ${v['in.periods']})`);
    const [t0, t1] = v['in.wall']!.split(' ').map(Number) as [number, number];
    const share = Number(v['in.cpu']) / 1e9 / (t1 - t0);
    assert.ok(share > 0 && share < 0.62, `a busy loop under --cpus 0.5 used ${share.toFixed(2)} CPU`);
  } finally {
    await ok(['rm', '-f', id]);
  }
  assert.deepEqual(await cgroupLeaks([id]), [], 'rm removes the container cgroups');
});

void test('docker CLI: --memory alone allows as much swap again, --cpus 1.5, --pids-limit -1', { skip: !isRoot }, async () => {
  const r = await runRm(['--memory', '64m', '--cpus', '1.5', '--pids-limit', '-1', 'busybox', 'sh', '-c',
    'cd /sys/fs/cgroup; echo "mem=$(cat memory/memory.limit_in_bytes)"; echo "memsw=$(cat memory/memory.memsw.limit_in_bytes)"; echo "quota=$(cat cpu/cpu.cfs_quota_us)"; echo "pids=$(cat pids/pids.max)"'], { cli: 'docker' });
  const v = kv(r.stdout);
  assert.equal(v['mem'], String(64 * 1024 * 1024));
  assert.equal(v['memsw'], String(128 * 1024 * 1024), 'Docker: swap limit defaults to twice the memory limit');
  assert.equal(v['quota'], '150000');
  assert.equal(v['pids'], 'max');
});

// ---------------------------------------------------------------- defaults

void test('defaults: Docker capabilities and seccomp, no limits, masked and read-only /proc, loopback only, /etc files', { skip: !isRoot }, async () => {
  const { status, v, caps } = await defaultProbe();
  assert.equal(caps, DOCKER_DEFAULT_CAPS, `CapEff ${capHex(caps)}`);
  assert.equal(statusField(status, 'CapBnd'), capHex(DOCKER_DEFAULT_CAPS));
  assert.equal(statusField(status, 'CapPrm'), capHex(DOCKER_DEFAULT_CAPS));
  assert.equal(statusField(status, 'Seccomp'), '2', 'the default seccomp profile is a filter');
  assert.equal(statusField(status, 'NoNewPrivs'), '0');
  assert.equal(v['nofile'], `1024:${Math.min(524288, ownNofileHard())}`, 'nofile 1024 soft, hard as high as the daemon may give');
  assert.equal(v['pid'], '1', 'without --init the command is PID 1');

  // No resource limits by default.
  assert.equal(v['pidsmax'], 'max');
  assert.equal(v['quota'], '-1');
  assert.equal(v['shares'], '1024');
  assert.ok(Number(v['memlimit']) > 2 ** 60, `memory unlimited (${v['memlimit']})`);

  // The seccomp profile blocks user namespaces without CAP_SYS_ADMIN (unconfined, it works: see below).
  assert.match(v['unshare']!, /Operation not permitted/);
  assert.match(v['mount']!, /permission denied|Operation not permitted/);
  assert.equal(v['chown'], 'ok', 'CAP_CHOWN is in the default set');

  // Masked paths: empty where the host has content; /sys/firmware hidden.
  if (readFileSync('/proc/timer_list', 'utf8').length > 0) assert.equal(v['timerlist'], '0', '/proc/timer_list masked');
  if (readFileSync('/proc/keys', 'utf8').length > 0) assert.equal(v['keys'], '0', '/proc/keys masked');
  if (existsSync('/proc/kcore')) assert.equal(v['kcore'], '0', '/proc/kcore masked'); // this kernel has none
  if (existsSync('/sys/firmware') && readdirSync('/sys/firmware').length > 0) assert.equal(v['firmware'], '', '/sys/firmware masked');
  // Read-only paths: mounted ro, and a write to /proc/sys fails (kernel.hostname is per UTS namespace: harmless).
  for (const p of ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger']) {
    if (existsSync(p)) assert.ok(v['roprocsys']!.split(',').includes(`${p} ro`), `${p} read-only: ${v['roprocsys']}`);
  }
  assert.match(v['procsyswrite']!, /Read-only file system/);

  // Network: a namespace of its own holding only lo, and lo is up.
  assert.equal(v['netdev'], 'lo,');
  assert.match(v['links']!, /^lo: <LOOPBACK,UP,LOWER_UP>,$/);

  // /etc/hostname, /etc/hosts, /etc/resolv.conf.
  const c12 = v['hostname']!;
  assert.match(c12, /^[0-9a-f]{12}$/, 'the hostname is the short container ID');
  assert.equal(v['etchostname'], c12);
  assert.equal(v['envhostname'], c12);
  const hosts = v['hosts']!.split('\n');
  assert.ok(hosts.includes('127.0.0.1\tlocalhost'), v['hosts']);
  assert.ok(hosts.includes('::1\tlocalhost ip6-localhost ip6-loopback'), v['hosts']);
  // As dockerd with --network none: no record for the container's own name (it has no address to give it).
  assert.ok(!v['hosts']!.includes(c12), `no own record on --network none: ${v['hosts']}`);
  const ns = v['resolv']!.split('\n').filter((l) => l.startsWith('nameserver ')).map((l) => l.slice(11));
  assert.deepEqual(ns, expectedNameservers());
});

void test('--network none: the same loopback-only namespace, explicitly (docker CLI)', { skip: !isRoot }, async () => {
  const r = await runRm(['--network', 'none', 'busybox', 'sh', '-c', 'echo "netdev=$(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " " | tr "\\n" ,)"; ip -o link'], { cli: 'docker' });
  assert.equal(kv(r.stdout)['netdev'], 'lo,');
  assert.match(r.stdout, /^1: lo: <LOOPBACK,UP,LOWER_UP>/m);
  assert.doesNotMatch(r.stdout, /^2:/m);
});

// ---------------------------------------------------------------- capabilities

void test('--cap-drop NET_RAW, --cap-add SYS_ADMIN, --cap-drop ALL (docker CLI), --cap-drop ALL --cap-add CHOWN', { skip: !isRoot }, async () => {
  const drop = await probe(['--cap-drop', 'NET_RAW']);
  assert.equal(drop.caps, DOCKER_DEFAULT_CAPS & ~(1n << CAP_NET_RAW), `CapEff ${capHex(drop.caps)}`);

  const add = await probe(['--cap-add', 'SYS_ADMIN']);
  assert.equal(add.caps, DOCKER_DEFAULT_CAPS | (1n << CAP_SYS_ADMIN), `CapEff ${capHex(add.caps)}`);
  // With CAP_SYS_ADMIN, the default seccomp profile lets mount(2) through (it follows the capabilities).
  assert.equal(add.v['mount'], 'ok');
  assert.equal(statusField(add.status, 'Seccomp'), '2');

  const none = await probe(['--cap-drop', 'ALL'], 'docker');
  assert.equal(none.caps, 0n);
  assert.equal(statusField(none.status, 'CapBnd'), capHex(0n));
  assert.match(none.v['chown']!, /Operation not permitted/, 'no CAP_CHOWN');

  const one = await runRm(['--cap-drop', 'ALL', '--cap-add', 'chown', 'busybox', 'grep', 'CapEff', '/proc/1/status']);
  assert.equal(statusField(one.stdout, 'CapEff'), capHex(1n));
});

void test('--privileged: every host capability and device, no seccomp, nothing masked, /proc/sys writable', { skip: !isRoot }, async () => {
  const base = await defaultProbe();
  const p = await probe(['--privileged']);
  const hostBnd = statusField(hostStatus(), 'CapBnd');
  assert.equal(capHex(p.caps), hostBnd, 'the host bounding set (this host lacks CAP_SYS_RESOURCE: Docker asks for it and fails)');
  assert.equal(statusField(p.status, 'CapBnd'), hostBnd);
  assert.equal(statusField(p.status, 'Seccomp'), '0');
  assert.equal(p.v['unshare'], 'ok');
  const devs = p.v['dev']!.split(',').filter(Boolean);
  const baseDevs = base.v['dev']!.split(',').filter(Boolean);
  assert.ok(devs.length > baseDevs.length, `more devices than by default: ${devs.length} vs ${baseDevs.length}`);
  const missing = hostTopLevelDevices().filter((n) => !devs.includes(n));
  assert.deepEqual(missing, [], 'every host device is in the container');
  if (existsSync('/sys/firmware')) assert.equal(p.v['firmware'], readdirSync('/sys/firmware').map((n) => `${n},`).join(''), '/sys/firmware not masked');
  assert.ok(Number(p.v['timerlist']) > 0, '/proc/timer_list not masked');
  assert.equal(p.v['roprocsys'], '', 'no read-only /proc submounts');
  assert.equal(p.v['procsyswrite'], 'probe', '/proc/sys is writable (kernel.hostname of its own UTS namespace)');
});

// ---------------------------------------------------------------- seccomp, no-new-privileges

void test('--security-opt seccomp=unconfined and a custom profile file; no-new-privileges', { skip: !isRoot }, async () => {
  const u = await probe(['--security-opt', 'seccomp=unconfined']);
  assert.equal(statusField(u.status, 'Seccomp'), '0');
  assert.equal(u.caps, DOCKER_DEFAULT_CAPS, 'capabilities unchanged');
  assert.equal(u.v['unshare'], 'ok', 'unconfined, a user namespace can be made');

  const profile = join(tmp, 'no-mkdir.json');
  await writeFile(profile, JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }] }));
  for (const cli of ['berth', 'docker'] as const) {
    const r = await runRm(['--security-opt', `seccomp=${profile}`, 'busybox', 'sh', '-c', 'grep Seccomp: /proc/1/status; mkdir /newdir 2>&1; unshare -U true && echo unshare-ok'], { cli });
    assert.equal(statusField(r.stdout, 'Seccomp'), '2', cli);
    assert.match(r.stdout, /can't create directory '\/newdir': Operation not permitted/, cli);
    assert.match(r.stdout, /unshare-ok/, `${cli}: the custom profile replaces the default one`);
  }

  const n = await probe(['--security-opt', 'no-new-privileges']);
  assert.equal(statusField(n.status, 'NoNewPrivs'), '1');
  assert.equal(statusField((await defaultProbe()).status, 'NoNewPrivs'), '0');
});

// ---------------------------------------------------------------- ulimits, names, DNS

void test('--ulimit, --hostname, --add-host, --dns', { skip: !isRoot }, async () => {
  const p = await probe(['--ulimit', 'nofile=1024:2048', '--hostname', 'h1', '--add-host', 'foo:10.1.2.3', '--dns', '10.0.0.9', '--network', 'none']);
  assert.equal(p.v['nofile'], '1024:2048');
  assert.equal(p.v['hostname'], 'h1');
  assert.equal(p.v['etchostname'], 'h1');
  assert.equal(p.v['envhostname'], 'h1');
  const hosts = p.v['hosts']!.split('\n');
  assert.ok(hosts.includes('10.1.2.3\tfoo'), p.v['hosts']);
  assert.ok(hosts.includes('127.0.0.1\tlocalhost'), p.v['hosts']);
  assert.deepEqual(p.v['resolv']!.split('\n').filter((l) => l.startsWith('nameserver')), ['nameserver 10.0.0.9']);
  assert.equal(p.v['netdev'], 'lo,');

  // The real docker CLI: the same options, plus --memory, --cap-drop and a second --add-host.
  const r = await runRm(['--memory', '32m', '--cap-drop', 'NET_RAW', '--ulimit', 'nofile=512:1024', '--hostname', 'dh', '--add-host', 'a:10.9.9.9', '--add-host', 'b=10.8.8.8',
    'busybox', 'sh', '-c', 'echo "nofile=$(ulimit -n):$(ulimit -Hn)"; echo "h=$(hostname)/$(cat /etc/hostname)"; echo "mem=$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes)"; grep CapEff /proc/1/status; cat /etc/hosts'], { cli: 'docker' });
  const v = kv(r.stdout);
  assert.equal(v['nofile'], '512:1024');
  assert.equal(v['h'], 'dh/dh');
  assert.equal(v['mem'], String(32 * 1024 * 1024));
  assert.equal(statusField(r.stdout, 'CapEff'), capHex(DOCKER_DEFAULT_CAPS & ~(1n << CAP_NET_RAW)));
  assert.match(r.stdout, /^10\.9\.9\.9\ta$/m);
  assert.match(r.stdout, /^10\.8\.8\.8\tb$/m);
});

// ---------------------------------------------------------------- run flags (item 6)

void test('-e, --env-file, -w, -u uid:gid', { skip: !isRoot }, async () => {
  const envFile = join(tmp, 'env.list');
  await writeFile(envFile, ['# a comment', 'A=1', '', '   # an indented comment', 'B=two words', 'FROM_CLIENT', 'NOT_IN_CLIENT', 'C= spaced ', 'X=from-file'].join('\n') + '\n');
  for (const cli of ['berth', 'docker'] as const) {
    const r = await runRm(['-e', 'X=y', '-e', 'BARE_E', '-e', 'BARE_UNSET', '--env-file', envFile, '-w', '/tmp', '-u', '1000:1000',
      'busybox', 'sh', '-c', 'env; echo "pwd=$(pwd)"; echo "uid=$(id -u)"; echo "gid=$(id -g)"'], { cli, env: { FROM_CLIENT: 'from the client', BARE_E: 'bare-e' } });
    const v = kv(r.stdout);
    assert.equal(v['A'], '1', cli);
    assert.equal(v['B'], 'two words', cli);
    assert.equal(v['C'], ' spaced ', `${cli}: values are taken as they are`);
    assert.equal(v['FROM_CLIENT'], 'from the client', `${cli}: a bare NAME in --env-file takes the client's value`);
    assert.equal(v['BARE_E'], 'bare-e', `${cli}: a bare -e NAME takes the client's value`);
    assert.ok(!('NOT_IN_CLIENT' in v) && !('BARE_UNSET' in v), `${cli}: names unset in the client stay unset`);
    assert.ok(!r.stdout.includes('comment'), cli);
    assert.equal(v['X'], 'y', `${cli}: -e comes after --env-file and wins, as in Docker`);
    assert.equal(v['pwd'], '/tmp', cli);
    assert.equal(v['uid'], '1000', cli);
    assert.equal(v['gid'], '1000', cli);
    assert.equal(v['HOME'], '/', `${cli}: a uid without a passwd entry gets HOME=/`);
  }
  const nobody = await runRm(['-u', 'nobody', 'busybox', 'sh', '-c', 'echo "id=$(id -u):$(id -g):$(id -un)"; echo "home=$HOME"']);
  assert.equal(kv(nobody.stdout)['id'], '65534:65534:nobody');
  assert.equal(kv(nobody.stdout)['home'], '/home', 'HOME from /etc/passwd');
  const named = await runRm(['-u', 'daemon:mail', 'busybox', 'sh', '-c', 'echo "id=$(id -u):$(id -g)"'], { cli: 'docker' });
  assert.equal(kv(named.stdout)['id'], '1:8');
});

void test('--entrypoint with arguments, -l labels, a command overriding the image Cmd', { skip: !isRoot }, async () => {
  const e = await runRm(['--entrypoint', 'echo', 'busybox', 'hello', 'world']);
  assert.equal(e.stdout, 'hello world\n');
  const e2 = await runRm(['--entrypoint', 'echo', 'busybox'], { cli: 'docker' });
  assert.equal(e2.stdout, '\n', "--entrypoint drops the image's Cmd");

  const r = await d.berth(['run', '--name', 'labelled', '-l', 'k=v', '--label', 'a=b=c', '-l', 'empty=', 'busybox', 'echo', 'over']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'over\n');
  const c = await inspect('labelled');
  made.push(c.Id);
  assert.deepEqual(c.Config.Labels, { k: 'v', a: 'b=c', empty: '' });
  assert.deepEqual(c.Config.Cmd, ['echo', 'over']);
  assert.equal(c.Path, 'echo');
  assert.deepEqual(c.Args, ['over']);
  const viaDocker = await d.docker(['inspect', '-f', '{{json .Config.Labels}}', 'labelled']);
  assert.deepEqual(JSON.parse(viaDocker.stdout), { k: 'v', a: 'b=c', empty: '' });
  assert.deepEqual((await d.docker(['ps', '-aq', '--filter', 'label=a=b=c'])).stdout.trim(), c.Id.slice(0, 12));
  const img = JSON.parse(await ok(['image', 'inspect', 'busybox']))[0];
  assert.deepEqual(img.Config.Cmd, ['sh'], "the image's Cmd is untouched");
  assert.equal(img.Config.Labels?.k, undefined);
  await ok(['rm', 'labelled']);
});

void test('--init: tini (docker-init) is PID 1 and the command its child', { skip: !isRoot }, async () => {
  const script = 'echo "comm=$(cat /proc/1/comm)"; echo "pid=$$"; echo "ppid=$(grep PPid /proc/$$/status | cut -f2)"; echo "cmd1=$(tr "\\0" " " < /proc/1/cmdline)"; /sbin/docker-init --version';
  for (const cli of ['berth', 'docker'] as const) {
    const r = await runRm(['--init', 'busybox', 'sh', '-c', script], { cli });
    const v = kv(r.stdout);
    assert.equal(v['comm'], 'docker-init', cli);
    assert.notEqual(v['pid'], '1', cli);
    assert.equal(v['ppid'], '1', `${cli}: the command is a child of the init`);
    assert.match(v['cmd1']!, /^\/sbin\/docker-init -- sh -c /, cli);
    assert.match(r.stdout, /tini version \d+\.\d+/, cli);
  }
  // The exit code passes through the init.
  const code = await runRm(['--init', 'busybox', 'sh', '-c', 'exit 7'], { code: 7 });
  assert.equal(code.code, 7);
});

void test('--read-only and --tmpfs', { skip: !isRoot }, async () => {
  const r = await runRm(['--read-only', '--tmpfs', '/x', '--tmpfs', '/y:size=1m,exec', 'busybox', 'sh', '-c', [
    'touch /rootfile 2>&1; echo "root=$?"',
    'touch /tmp/f 2>&1; echo "tmp=$?"',
    '(echo >> /etc/hosts) 2>&1; echo "hosts=$?"',
    'touch /x/f && echo "x=ok"',
    'touch /dev/shm/f && echo "shm=ok"',
    'echo "xopts=$(grep " /x " /proc/self/mounts | cut -d" " -f3,4)"',
    'echo "yopts=$(grep " /y " /proc/self/mounts | cut -d" " -f3,4)"',
  ].join('\n')]);
  const v = kv(r.stdout);
  assert.notEqual(v['root'], '0');
  assert.match(r.stdout, /\/rootfile: Read-only file system/);
  assert.notEqual(v['tmp'], '0', 'Docker mounts nothing on /tmp: it is read-only too');
  assert.notEqual(v['hosts'], '0', '/etc/hosts is read-only with --read-only');
  assert.equal(v['x'], 'ok');
  assert.equal(v['shm'], 'ok');
  assert.match(v['xopts']!, /^tmpfs rw,nosuid,nodev,noexec/);
  assert.match(v['yopts']!, /^tmpfs rw,nosuid,nodev,/);
  assert.doesNotMatch(v['yopts']!, /noexec/);
  assert.match(v['yopts']!, /size=1024k/);
  const rw = await runRm(['busybox', 'sh', '-c', 'touch /rootfile && echo ok']);
  assert.equal(rw.stdout, 'ok\n', 'without --read-only the rootfs is writable');
});

// ---------------------------------------------------------------- runtimes

void test('--runtime crun runs the container with its options applied', { skip: !isRoot || !hasCrun }, async () => {
  // crun 1.8 refuses this hybrid cgroup host by itself; berth runs it in a private mount namespace that hides the
  // v2 controllers file, so it works (and the limits land in the same v1 hierarchies as with runc).
  const script = 'grep -E "^(CapEff|Seccomp|NoNewPrivs):" /proc/1/status; echo "mem=$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes)"; echo "pids=$(cat /sys/fs/cgroup/pids/pids.max)"; echo "nofile=$(ulimit -n):$(ulimit -Hn)"; echo "h=$(hostname)"; echo "pid=$$"';
  const r = await runRm(['--runtime', 'crun', '--memory', '32m', '--pids-limit', '9', '--ulimit', 'nofile=100:200', '--hostname', 'cr', '--security-opt', 'no-new-privileges', '--cap-drop', 'NET_RAW', 'busybox', 'sh', '-c', script]);
  const v = kv(r.stdout);
  assert.equal(statusField(r.stdout, 'CapEff'), capHex(DOCKER_DEFAULT_CAPS & ~(1n << CAP_NET_RAW)));
  assert.equal(statusField(r.stdout, 'Seccomp'), '2');
  assert.equal(statusField(r.stdout, 'NoNewPrivs'), '1');
  assert.equal(v['mem'], String(32 * 1024 * 1024));
  assert.equal(v['pids'], '9');
  assert.equal(v['nofile'], '100:200');
  assert.equal(v['h'], 'cr');
  assert.equal(v['pid'], '1');

  const id = (await ok(['create', '--runtime', 'crun', 'busybox', 'true'])).trim();
  made.push(id);
  assert.equal((await inspect(id)).HostConfig.Runtime, 'crun');
  await ok(['rm', id]);
  const dflt = (await ok(['create', 'busybox', 'true'])).trim();
  made.push(dflt);
  assert.equal((await inspect(dflt)).HostConfig.Runtime, 'runc', 'runc by default');
  await ok(['rm', dflt]);
});

void test('--runtime nosuch is refused like Docker (exit 125), no container made', { skip: !isRoot }, async () => {
  const before = (await ok(['ps', '-aq'])).trim();
  for (const cli of ['berth', 'docker'] as const) {
    const r = await runRm(['--runtime', 'nosuch', 'busybox', 'true'], { cli, code: 125 });
    assert.match(r.stderr, /Error response from daemon: unknown or invalid runtime name: nosuch/, cli);
  }
  assert.equal((await ok(['ps', '-aq'])).trim(), before);
});
