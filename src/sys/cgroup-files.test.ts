import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cgroupPids, parseCgroupMounts, parseProcCgroup, processCgroups } from './cgroup-files.js';

void test('parseCgroupMounts maps v1 controllers and the v2 hierarchy', () => {
  const m = parseCgroupMounts([
    '31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
    '32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct',
    '35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory',
    '40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd',
    '41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
  ].join('\n'));
  assert.equal(m.get('cpu'), '/sys/fs/cgroup/cpu,cpuacct');
  assert.equal(m.get('cpuacct'), '/sys/fs/cgroup/cpu,cpuacct');
  assert.equal(m.get('memory'), '/sys/fs/cgroup/memory');
  assert.equal(m.get(''), '/sys/fs/cgroup/unified');
  assert.equal(m.has('name=systemd'), false);
  assert.equal(m.has('xattr'), false);
});

void test('parseProcCgroup splits joined controllers', () => {
  const m = parseProcCgroup('12:pids:/berth/x\n4:cpu,cpuacct:/berth/x\n1:name=systemd:/\n0::/\n');
  assert.equal(m.get('pids'), '/berth/x');
  assert.equal(m.get('cpuacct'), '/berth/x');
  assert.equal(m.get(''), '/');
  assert.equal(m.has('name=systemd'), false);
});

void test('processCgroups / cgroupPids for this process', async () => {
  const cg = await processCgroups(process.pid);
  assert.ok(cg && cg.dirs.size > 0);
  const pids = await cgroupPids(process.pid);
  assert.ok(pids.includes(process.pid), `own cgroup lists this process: ${pids.join(',')}`);
  assert.equal(await processCgroups(2 ** 22 + 5), undefined);
});
