import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { convertSeccompProfile, kernelAtLeast, loadDefaultProfile, makeSeccompProvider, type DockerSeccompProfile } from './seccomp.js';
import { DEFAULT_CAPABILITIES, ALL_CAPABILITIES } from './capabilities.js';

const shared = JSON.parse(await readFile('/work/shared/spec/seccomp-default.json', 'utf8').catch(() => 'null')) as DockerSeccompProfile | null;

void test('the bundled default profile loads and matches the shared spec copy', async () => {
  const p = await loadDefaultProfile();
  assert.equal(p.defaultAction, 'SCMP_ACT_ERRNO');
  if (shared) assert.deepEqual(p, shared);
});

void test('default caps on amd64', async () => {
  const p = await loadDefaultProfile();
  const before = structuredClone(p);
  const s = convertSeccompProfile(p, { capabilities: DEFAULT_CAPABILITIES, arch: 'x86_64', kernelVersion: '6.18.44-fc' });
  assert.deepEqual(p, before, 'profile not mutated');
  assert.equal(s.defaultAction, 'SCMP_ACT_ERRNO');
  assert.equal(s.defaultErrnoRet, 1);
  assert.deepEqual(s.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
  const names = (n: string) => s.syscalls!.filter((r) => r.names.includes(n));
  // the big allow list, minKernel 4.8 rule, 3 socket + 5 personality rules, arch_prctl, modify_ldt,
  // chroot (CAP_SYS_CHROOT is a default cap), clone masked (no SYS_ADMIN), clone3 ENOSYS
  assert.equal(s.syscalls!.length, 15);
  assert.equal(names('arch_prctl').length, 1);
  assert.equal(names('chroot').length, 1);
  assert.equal(names('mount').length, 0);
  assert.equal(names('s390_pci_mmio_read').length, 0);
  const clone3 = names('clone3');
  assert.deepEqual(clone3, [{ names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 }]);
  assert.deepEqual(names('clone')[0]!.args, [{ index: 0, value: 2114060288, op: 'SCMP_CMP_MASKED_EQ' }]);
});

void test('caps-conditional rules follow the capability set', async () => {
  const p = await loadDefaultProfile();
  const withAdmin = convertSeccompProfile(p, { capabilities: [...DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN'] });
  const mountRules = withAdmin.syscalls!.filter((r) => r.names.includes('mount'));
  assert.equal(mountRules.length, 1);
  assert.equal(mountRules[0]!.action, 'SCMP_ACT_ALLOW');
  // clone is unrestricted with SYS_ADMIN and the ENOSYS clone3 rule is gone
  assert.ok(!withAdmin.syscalls!.some((r) => r.names.includes('clone3') && r.action === 'SCMP_ACT_ERRNO'));
  assert.ok(!withAdmin.syscalls!.some((r) => r.names.includes('clone') && r.args));
  const noChroot = convertSeccompProfile(p, { capabilities: DEFAULT_CAPABILITIES.filter((c) => c !== 'CAP_SYS_CHROOT') });
  assert.ok(!noChroot.syscalls!.some((r) => r.names.includes('chroot')));
  const all = convertSeccompProfile(p, { capabilities: ALL_CAPABILITIES });
  assert.ok(all.syscalls!.some((r) => r.names.includes('perf_event_open')));
});

void test('minKernel and arches', () => {
  const p: DockerSeccompProfile = {
    defaultAction: 'SCMP_ACT_ERRNO',
    archMap: [{ architecture: 'SCMP_ARCH_AARCH64', subArchitectures: ['SCMP_ARCH_ARM'] }],
    syscalls: [
      { names: ['a'], action: 'SCMP_ACT_ALLOW', includes: { minKernel: '4.8' } },
      { names: ['b'], action: 'SCMP_ACT_ALLOW', excludes: { minKernel: '5.0' } },
      { names: ['c'], action: 'SCMP_ACT_ALLOW', includes: { arches: ['arm64'] } },
      { name: 'd', action: 'SCMP_ACT_ALLOW' },
    ],
  };
  const old = convertSeccompProfile(p, { capabilities: [], kernelVersion: '4.4.0' });
  assert.deepEqual(old.syscalls!.map((r) => r.names[0]), ['b', 'd']);
  assert.equal(old.architectures, undefined);
  const arm = convertSeccompProfile(p, { capabilities: [], arch: 'arm64', kernelVersion: '6.1' });
  assert.deepEqual(arm.syscalls!.map((r) => r.names[0]), ['a', 'c', 'd']);
  assert.deepEqual(arm.architectures, ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
  assert.ok(kernelAtLeast('6.18.44-fc-v769', '4.8'));
  assert.ok(!kernelAtLeast('4.7.10', '4.8'));
  assert.ok(kernelAtLeast('4.8', '4.8'));
});

void test('provider memoises but hands out copies', async () => {
  const prov = makeSeccompProvider(await loadDefaultProfile(), { arch: 'x64' });
  const a = prov(DEFAULT_CAPABILITIES);
  a.syscalls!.length = 0;
  assert.equal(prov(DEFAULT_CAPABILITIES).syscalls!.length, 15);
});
