import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatPlatform, hostArchitecture, normalizePlatform, parsePlatformSpecifier, platformMatches } from './platform.js';

void test('parsePlatformSpecifier: containerd platforms.Parse forms, normalized', () => {
  assert.deepEqual(parsePlatformSpecifier('linux/amd64'), { os: 'linux', architecture: 'amd64' });
  assert.deepEqual(parsePlatformSpecifier('linux/x86_64'), { os: 'linux', architecture: 'amd64' });
  assert.deepEqual(parsePlatformSpecifier('linux/arm64/v8'), { os: 'linux', architecture: 'arm64' });
  assert.deepEqual(parsePlatformSpecifier('linux/arm'), { os: 'linux', architecture: 'arm', variant: 'v7' });
  assert.deepEqual(parsePlatformSpecifier('linux/arm/v6'), { os: 'linux', architecture: 'arm', variant: 'v6' });
  assert.deepEqual(parsePlatformSpecifier('arm64'), { os: 'linux', architecture: 'arm64' });
  assert.deepEqual(parsePlatformSpecifier('linux'), { os: 'linux', architecture: hostArchitecture() });
  assert.deepEqual(parsePlatformSpecifier('Linux/AMD64'), { os: 'linux', architecture: 'amd64' });
  for (const bad of ['', 'foo', 'linux/foo', 'foo/amd64', 'linux/amd64/v1/x', 'linux//amd64']) {
    assert.throws(() => parsePlatformSpecifier(bad), /unknown operating system or architecture: invalid argument/, bad);
  }
});

void test('platformMatches is strict after normalization; formatPlatform', () => {
  const arm64 = { os: 'linux', architecture: 'arm64' };
  assert.ok(platformMatches(arm64, { os: 'linux', architecture: 'aarch64', variant: 'v8' }));
  assert.ok(platformMatches({ os: 'linux', architecture: 'arm' }, { os: 'linux', architecture: 'arm', variant: 'v7' }));
  assert.ok(!platformMatches({ os: 'linux', architecture: 'arm', variant: 'v6' }, { os: 'linux', architecture: 'arm', variant: 'v7' }));
  assert.ok(!platformMatches(arm64, { os: 'linux', architecture: 'amd64' }));
  assert.ok(!platformMatches(arm64, { os: 'windows', architecture: 'arm64' }));
  assert.ok(!platformMatches(arm64, {}));
  assert.equal(formatPlatform(normalizePlatform({ os: 'linux', architecture: 'armhf' })), 'linux/arm/v7');
  assert.equal(formatPlatform({ os: 'linux', architecture: 'amd64' }), 'linux/amd64');
});
