import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ALL_CAPABILITIES, DEFAULT_CAPABILITIES, computeCapabilities, normalizeCapabilities, parseCapabilityMask } from './capabilities.js';
import { InvalidArgumentError } from '../base/index.js';

void test('defaults', () => {
  assert.equal(ALL_CAPABILITIES.length, 41);
  assert.equal(ALL_CAPABILITIES[40], 'CAP_CHECKPOINT_RESTORE');
  assert.deepEqual(computeCapabilities({}), [...DEFAULT_CAPABILITIES]);
  assert.equal(DEFAULT_CAPABILITIES.length, 14);
});

void test('add/drop, with or without CAP_, any case', () => {
  const caps = computeCapabilities({ capAdd: ['net_admin', 'CAP_SYS_PTRACE', 'chown'], capDrop: ['cap_net_raw', 'Mknod'] });
  assert.ok(caps.includes('CAP_NET_ADMIN'));
  assert.ok(caps.includes('CAP_SYS_PTRACE'));
  assert.ok(!caps.includes('CAP_NET_RAW'));
  assert.ok(!caps.includes('CAP_MKNOD'));
  assert.equal(caps.filter((c) => c === 'CAP_CHOWN').length, 1);
});

void test('ALL', () => {
  assert.deepEqual(computeCapabilities({ capDrop: ['ALL'], capAdd: ['NET_BIND_SERVICE'] }), ['CAP_NET_BIND_SERVICE']);
  assert.deepEqual(computeCapabilities({ capDrop: ['all'] }), []);
  const all = computeCapabilities({ capAdd: ['ALL'], capDrop: ['SYS_ADMIN'] });
  assert.equal(all.length, 40);
  assert.ok(!all.includes('CAP_SYS_ADMIN'));
});

void test('privileged gets the host bounding set; ALL is limited to it too', () => {
  const host = parseCapabilityMask('CapInh:\t0000000000000000\nCapBnd:\t000001fffeffffff\n');
  assert.equal(host.length, 40);
  assert.ok(!host.includes('CAP_SYS_RESOURCE'));
  const priv = computeCapabilities({ privileged: true, capDrop: ['CHOWN'], hostCapabilities: host });
  assert.deepEqual(priv, host);
  assert.ok(!computeCapabilities({ capAdd: ['ALL'], hostCapabilities: host }).includes('CAP_SYS_RESOURCE'));
  assert.throws(() => computeCapabilities({ capAdd: ['SYS_RESOURCE'], hostCapabilities: host }), /not available in the current environment: "CAP_SYS_RESOURCE"/);
});

void test('unknown capability: Docker wording', () => {
  assert.throws(() => normalizeCapabilities(['FOO']), (e: unknown) => e instanceof InvalidArgumentError && e.message === 'unknown capability: "CAP_FOO"');
  assert.throws(() => computeCapabilities({ capDrop: ['bogus'] }), /unknown capability: "CAP_BOGUS"/);
});
