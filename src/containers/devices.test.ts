import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { devMajor, devMinor, hostDevices } from './devices.js';

void test('dev_t major/minor like glibc', () => {
  assert.equal(devMajor(0x0103n), 1); // /dev/null 1:3
  assert.equal(devMinor(0x0103n), 3);
  assert.equal(devMajor(0x8800n), 136);
  assert.equal(devMinor(0x8800n), 0);
  // large minor (e.g. 259:65536): minor bits 8..19 sit above the major's
  const rdev = (259n << 8n) | (0x100n << 12n) | 0x00n;
  assert.equal(devMajor(rdev), 259);
  assert.equal(devMinor(rdev), 256);
});

void test('host devices: char devices found, pts/shm/console left out', { skip: !existsSync('/dev/null') }, async () => {
  const devs = await hostDevices();
  const nul = devs.find((d) => d.path === '/dev/null');
  assert.deepEqual(nul && { type: nul.type, major: nul.major, minor: nul.minor }, { type: 'c', major: 1, minor: 3 });
  assert.ok(!devs.some((d) => d.path.startsWith('/dev/pts/') || d.path.startsWith('/dev/shm/') || d.path === '/dev/console'));
  assert.ok(devs.every((d) => d.type === 'c' || d.type === 'b'));
  assert.deepEqual(await hostDevices('/nonexistent-dir'), []);
});
