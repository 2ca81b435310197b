import { test } from 'node:test';
import assert from 'node:assert/strict';
import { progressBar, selectPlatform } from './pull.js';

const M = 'application/vnd.oci.image.manifest.v1+json';
const d = (n: number): `sha256:${string}` => `sha256:${String(n).repeat(64).slice(0, 64)}`;

void test('selectPlatform picks os/arch, prefers no variant, matches a variant when asked', () => {
  const index = {
    manifests: [
      { mediaType: M, digest: d(1), size: 1, platform: { os: 'linux', architecture: 'arm', variant: 'v6' } },
      { mediaType: M, digest: d(2), size: 1, platform: { os: 'linux', architecture: 'arm', variant: 'v7' } },
      { mediaType: M, digest: d(3), size: 1, platform: { os: 'linux', architecture: 'amd64' } },
      { mediaType: M, digest: d(4), size: 1, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
      { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: d(5), size: 1, platform: { os: 'unknown', architecture: 'unknown' } },
    ],
  };
  assert.equal(selectPlatform(index, { os: 'linux', architecture: 'amd64' })?.digest, d(3));
  assert.equal(selectPlatform(index, { os: 'linux', architecture: 'arm', variant: 'v7' })?.digest, d(2));
  assert.equal(selectPlatform(index, { os: 'linux', architecture: 'arm64' })?.digest, d(4));
  assert.equal(selectPlatform(index, { os: 'linux', architecture: 's390x' }), undefined);
});

void test('progressBar renders like docker', () => {
  assert.equal(progressBar(0, 100), `[${' '.repeat(50)}]       0B/100B`);
  assert.match(progressBar(50, 100), /^\[=+>\s+\]\s+50B\/100B$/);
  assert.match(progressBar(2_500_000, 5_000_000), /2\.5MB\/5MB$/);
  assert.equal(progressBar(1234, undefined), '1.234kB');
});
