import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFlags } from './flags.js';
import { CONTAINER_FLAGS, RUN_ONLY_FLAGS, buildCreateRequest, parseEnvFile, parseNanoCpus, parsePortSpecs, parseUlimit, parseRestart, parseMount } from './run-opts.js';

const FLAGS = [...CONTAINER_FLAGS, ...RUN_ONLY_FLAGS];
function build(argv: string[], env: NodeJS.ProcessEnv = {}, files: Record<string, string> = {}) {
  const r = parseFlags(argv, FLAGS, { interspersed: false });
  return buildCreateRequest(r.flags, r.args, { env, detach: r.flags.bool('detach'), readFile: (p) => { if (!(p in files)) throw new Error(`open ${p}: no such file or directory`); return files[p]!; } });
}

void test('resources: memory units, swap, cpus, shares, pids, ulimits', () => {
  const { body } = build(['--memory', '64m', '--memory-swap', '-1', '--cpus', '1.5', '-c', '512', '--pids-limit', '100', '--ulimit', 'nofile=1024:2048', '--ulimit', 'nproc=10', '--shm-size', '1g', 'alpine']);
  const hc = body.HostConfig;
  assert.equal(hc.Memory, 64 * 1024 * 1024);
  assert.equal(hc.MemorySwap, -1);
  assert.equal(hc.NanoCpus, 1_500_000_000);
  assert.equal(hc.CpuShares, 512);
  assert.equal(hc.PidsLimit, 100);
  assert.equal(hc.ShmSize, 1024 ** 3);
  assert.deepEqual(hc.Ulimits, [{ Name: 'nofile', Soft: 1024, Hard: 2048 }, { Name: 'nproc', Soft: 10, Hard: 10 }]);
  assert.equal(hc.MemorySwappiness, null);
  assert.equal('PidsLimit' in build(['alpine']).body.HostConfig && build(['alpine']).body.HostConfig.PidsLimit, undefined);
});

void test('bad values produce docker flag errors', () => {
  assert.throws(() => build(['-m', 'lots', 'alpine']), { message: `invalid argument "lots" for "-m, --memory" flag: invalid size: 'lots'` });
  assert.throws(() => build(['--cpus', '0.0000000001', 'alpine']), /value is too precise/);
  assert.throws(() => build(['--ulimit', 'nofile=2048:1024', 'alpine']), /soft limit must be less than or equal to hard limit: 2048 > 1024/);
  assert.throws(() => build(['--ulimit', 'bogus=1', 'alpine']), /invalid ulimit type: bogus/);
});

void test('image, command and entrypoint', () => {
  const a = build(['--rm', 'alpine', 'sh', '-c', 'echo hi']);
  assert.equal(a.image, 'alpine');
  assert.equal(a.body.Image, 'alpine');
  assert.deepEqual(a.body.Cmd, ['sh', '-c', 'echo hi']);
  assert.equal(a.body.Entrypoint, null);
  assert.equal(a.body.HostConfig.AutoRemove, true);
  assert.deepEqual(build(['--entrypoint', '', 'alpine']).body.Entrypoint, ['']);
  assert.deepEqual(build(['--entrypoint=/bin/sh', 'alpine']).body.Entrypoint, ['/bin/sh']);
  assert.equal(build(['alpine']).body.Cmd, null);
});

void test('attach streams: default, -i, -a, -d', () => {
  const def = build(['alpine']).body;
  assert.deepEqual([def.AttachStdin, def.AttachStdout, def.AttachStderr, def.OpenStdin, def.StdinOnce], [false, true, true, false, false]);
  const it = build(['-it', 'alpine']).body;
  assert.deepEqual([it.AttachStdin, it.Tty, it.OpenStdin, it.StdinOnce], [true, true, true, true]);
  const a = build(['-a', 'stdout', 'alpine']).body;
  assert.deepEqual([a.AttachStdin, a.AttachStdout, a.AttachStderr], [false, true, false]);
  const d = build(['-d', '-i', 'alpine']).body;
  assert.deepEqual([d.AttachStdin, d.AttachStdout, d.AttachStderr, d.OpenStdin], [false, false, false, true]);
  assert.throws(() => build(['-d', '-a', 'stdout', 'alpine']), /Conflicting options: -a and -d/);
});

void test('env: -e, bare -e NAME from the environment, --env-file first', () => {
  const { body } = build(['--env-file', '/f.env', '-e', 'A=1', '-e', 'HOME', '-e', 'UNSET', 'alpine'], { HOME: '/root', FROMENV: 'x' }, {
    '/f.env': '# comment\n\nB=2\n  C=with spaces  \nFROMENV\nMISSING\n',
  });
  assert.deepEqual(body.Env, ['B=2', 'C=with spaces  ', 'FROMENV=x', 'A=1', 'HOME=/root', 'UNSET']);
  assert.throws(() => parseEnvFile('BAD NAME=1\n', 'f'), /variable 'BAD NAME' contains whitespaces/);
});

void test('labels and label files', () => {
  const { body } = build(['-l', 'a=1', '--label', 'b', '--label-file', '/l', 'alpine'], {}, { '/l': 'c=3\na=0\n' });
  assert.deepEqual(body.Labels, { c: '3', a: '1', b: '' });
});

void test('ports: -p forms and --expose', () => {
  const p = parsePortSpecs(['8080:80', '127.0.0.1:5353:53/udp', '9000', '7000-7001:7000-7001', '[::1]:443:443', '127.0.0.1::22']);
  assert.deepEqual(p.bindings['80/tcp'], [{ HostIp: '', HostPort: '8080' }]);
  assert.deepEqual(p.bindings['53/udp'], [{ HostIp: '127.0.0.1', HostPort: '5353' }]);
  assert.deepEqual(p.bindings['9000/tcp'], [{ HostIp: '', HostPort: '' }]);
  assert.deepEqual(p.bindings['7001/tcp'], [{ HostIp: '', HostPort: '7001' }]);
  assert.deepEqual(p.bindings['443/tcp'], [{ HostIp: '::1', HostPort: '443' }]);
  assert.deepEqual(p.bindings['22/tcp'], [{ HostIp: '127.0.0.1', HostPort: '' }]);
  assert.ok(p.exposed['53/udp']);
  const { body } = build(['-p', '80', '--expose', '90-91', 'alpine']);
  assert.deepEqual(Object.keys(body.ExposedPorts as object).sort(), ['80/tcp', '90/tcp', '91/tcp']);
});

void test('host config mapping', () => {
  const { body, name } = build([
    '--name', 'web', '--cap-add', 'NET_ADMIN', '--cap-drop', 'ALL', '--privileged', '--read-only', '--security-opt', 'no-new-privileges',
    '-h', 'box', '--add-host', 'db:10.0.0.2', '--dns', '1.1.1.1', '--dns-search', 'example.com', '--dns-option', 'ndots:2',
    '-w', '/srv', '-u', '1000:1000', '--init', '--network', 'host', '-v', '/data:/data:ro', '-v', '/anon',
    '--mount', 'type=tmpfs,target=/cache,tmpfs-size=1m', '--tmpfs', '/run:rw,size=64m', '--log-driver', 'json-file', '--log-opt', 'max-size=1m',
    '--restart', 'on-failure:3', '--stop-signal', 'SIGINT', '--stop-timeout', '5', '--runtime', 'runc', '--sysctl', 'net.core.somaxconn=1024',
    '--device', '/dev/fuse', '--device', '/dev/sda:/dev/xvda:r', 'alpine',
  ]);
  const hc = body.HostConfig;
  assert.equal(name, 'web');
  assert.deepEqual(hc.CapAdd, ['NET_ADMIN']);
  assert.deepEqual(hc.CapDrop, ['ALL']);
  assert.equal(hc.Privileged, true);
  assert.equal(hc.ReadonlyRootfs, true);
  assert.deepEqual(hc.SecurityOpt, ['no-new-privileges=true']);
  assert.equal(body.Hostname, 'box');
  assert.deepEqual(hc.ExtraHosts, ['db:10.0.0.2']);
  assert.deepEqual([hc.Dns, hc.DnsSearch, hc.DnsOptions], [['1.1.1.1'], ['example.com'], ['ndots:2']]);
  assert.equal(body.WorkingDir, '/srv');
  assert.equal(body.User, '1000:1000');
  assert.equal(hc.Init, true);
  assert.equal(hc.NetworkMode, 'host');
  assert.deepEqual(body.NetworkingConfig, { EndpointsConfig: { host: {} } });
  assert.deepEqual(hc.Binds, ['/data:/data:ro']);
  assert.deepEqual(body.Volumes, { '/anon': {} });
  assert.deepEqual(hc.Mounts, [{ Type: 'tmpfs', Target: '/cache', TmpfsOptions: { SizeBytes: 1048576 } }]);
  assert.deepEqual(hc.Tmpfs, { '/run': 'rw,size=64m' });
  assert.deepEqual(hc.LogConfig, { Type: 'json-file', Config: { 'max-size': '1m' } });
  assert.deepEqual(hc.RestartPolicy, { Name: 'on-failure', MaximumRetryCount: 3 });
  assert.equal(body.StopSignal, 'SIGINT');
  assert.equal(body.StopTimeout, 5);
  assert.equal(hc.Runtime, 'runc');
  assert.deepEqual(hc.Sysctls, { 'net.core.somaxconn': '1024' });
  assert.deepEqual(hc.Devices, [
    { PathOnHost: '/dev/fuse', PathInContainer: '/dev/fuse', CgroupPermissions: 'rwm' },
    { PathOnHost: '/dev/sda', PathInContainer: '/dev/xvda', CgroupPermissions: 'r' },
  ]);
  assert.equal(build(['alpine']).body.HostConfig.NetworkMode, 'default');
  assert.throws(() => build(['--rm', '--restart', 'always', 'alpine']), /Conflicting options/);
});

void test('helpers', () => {
  assert.equal(parseNanoCpus('2'), 2e9);
  assert.equal(parseNanoCpus('0.001'), 1e6);
  assert.deepEqual(parseUlimit('nofile=5'), { Name: 'nofile', Soft: 5, Hard: 5 });
  assert.deepEqual(parseRestart('always'), { Name: 'always', MaximumRetryCount: 0 });
  assert.throws(() => parseRestart('always:3'), /only be used with 'on-failure'/);
  assert.deepEqual(parseMount('type=bind,src=/a,dst=/b,readonly'), { Type: 'bind', Source: '/a', Target: '/b', ReadOnly: true });
});
