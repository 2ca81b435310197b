import test from 'node:test';
import assert from 'node:assert/strict';
import { hostConfigView } from './inspect-shape.js';
import { DEFAULT_MASKED_PATHS } from './spec.js';

void test('hostConfigView fills the fields dockerd always shows and drops unset kernel memory', () => {
  const v = hostConfigView({ NetworkMode: 'none', KernelMemory: 0, Memory: 5 } as never);
  assert.equal('KernelMemory' in v, false);
  assert.equal(v.Memory, 5);
  assert.equal(v.PidsLimit, null);
  assert.deepEqual(v.BlkioDeviceReadBps, []);
  assert.equal(v.CpuCount, 0);
  assert.deepEqual(v.MaskedPaths, DEFAULT_MASKED_PATHS);
  const p = hostConfigView({ Privileged: true, PidsLimit: 10 } as never);
  assert.equal(p.MaskedPaths, null);
  assert.equal(p.PidsLimit, 10);
  assert.deepEqual(hostConfigView({ MaskedPaths: ['/x'] } as never).MaskedPaths, ['/x']);
});
