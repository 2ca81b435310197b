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

void test('progressBar is moby\'s JSONProgress.String() as the daemon renders it (200 columns)', () => {
  const bar = (eq: number): string => `[${'='.repeat(eq)}>${' '.repeat(50 - eq)}] `;
  assert.equal(progressBar(0, 100), `${bar(0)}      0B/100B`);
  assert.equal(progressBar(50, 100), `${bar(25)}     50B/100B`);
  assert.equal(progressBar(99, 100), `${bar(49)}     99B/100B`);
  assert.equal(progressBar(2_500_000, 5_000_000), `${bar(25)}   2.5MB/5MB`);
  assert.equal(progressBar(2_811_874, 2_811_874), `${bar(50)} 2.812MB/2.812MB`);
  assert.equal(progressBar(1_049_000, 32_654_321), `${bar(1)} 1.049MB/32.65MB`);
  assert.equal(progressBar(10_625, 1_000_000), `${bar(0)} 10.62kB/1MB`);
  // Past the total: the bar is full and only the current size shows.
  assert.equal(progressBar(150, 100), `${bar(50)}    150B`);
  // Without a total: the size alone, padded to 8; with neither, nothing.
  assert.equal(progressBar(1234, undefined), ' 1.234kB');
  assert.equal(progressBar(123_456_789, 0), ' 123.5MB');
  assert.equal(progressBar(0, undefined), '');
});
