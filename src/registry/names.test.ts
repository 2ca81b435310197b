import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matchRoute, paginate, parseRange, parseContentRange, isValidName, checkDigest } from './names.js';
import { RegistryError } from './errors.js';

const D = `sha256:${'a'.repeat(64)}`;

void test('routes, with names that contain route words', () => {
  assert.deepEqual(matchRoute('/v2/'), { kind: 'base' });
  assert.deepEqual(matchRoute('/v2'), { kind: 'base' });
  assert.deepEqual(matchRoute('/v2/_catalog'), { kind: 'catalog' });
  assert.deepEqual(matchRoute('/v2/a/b/tags/list'), { kind: 'tags', name: 'a/b' });
  assert.deepEqual(matchRoute('/v2/blobs/manifests/latest'), { kind: 'manifest', name: 'blobs', reference: 'latest' });
  assert.deepEqual(matchRoute(`/v2/x/blobs/${D}`), { kind: 'blob', name: 'x', digest: D });
  assert.deepEqual(matchRoute('/v2/x/blobs/uploads/'), { kind: 'uploads', name: 'x' });
  assert.deepEqual(matchRoute('/v2/x/blobs/uploads/u-1'), { kind: 'upload', name: 'x', uuid: 'u-1' });
  assert.deepEqual(matchRoute(`/v2/x/referrers/${D}`), { kind: 'referrers', name: 'x', digest: D });
  assert.equal(matchRoute('/v1/x'), undefined);
  assert.throws(() => matchRoute('/v2/UPPER/tags/list'), (e: RegistryError) => e.code === 'NAME_INVALID');
});

void test('repository names follow the distribution grammar', () => {
  for (const ok of ['a', 'library/busybox', 'a.b_c__d-e--f/x0']) assert.equal(isValidName(ok), true, ok);
  for (const bad of ['', 'A', 'a//b', '-a', 'a_', 'a/', 'a'.repeat(256)]) assert.equal(isValidName(bad), false, bad);
});

void test('digests', () => {
  assert.equal(checkDigest(D), D);
  assert.throws(() => checkDigest('sha256:abc'), (e: RegistryError) => e.code === 'DIGEST_INVALID');
  assert.throws(() => checkDigest(null), (e: RegistryError) => e.code === 'DIGEST_INVALID');
  assert.throws(() => checkDigest(`sha512:${'a'.repeat(128)}`), (e: RegistryError) => e.code === 'UNSUPPORTED');
});

void test('n/last pagination', () => {
  const all = ['a', 'b', 'c', 'd'];
  assert.deepEqual(paginate(all, null, null), { page: all, more: false });
  assert.deepEqual(paginate(all, '2', null), { page: ['a', 'b'], more: true });
  assert.deepEqual(paginate(all, '2', 'b'), { page: ['c', 'd'], more: false });
  assert.deepEqual(paginate(all, null, 'c'), { page: ['d'], more: false });
  assert.deepEqual(paginate(all, '0', null), { page: [], more: false });
  assert.throws(() => paginate(all, '-1', null));
});

void test('ranges', () => {
  assert.deepEqual(parseRange('bytes=0-9', 100), { start: 0, end: 9 });
  assert.deepEqual(parseRange('bytes=90-', 100), { start: 90, end: 99 });
  assert.deepEqual(parseRange('bytes=-10', 100), { start: 90, end: 99 });
  assert.deepEqual(parseRange('bytes=50-500', 100), { start: 50, end: 99 });
  assert.equal(parseRange('bytes=100-', 100), null);
  assert.equal(parseRange(undefined, 100), undefined);
  assert.deepEqual(parseContentRange('0-9'), { start: 0, end: 9 });
  assert.deepEqual(parseContentRange('bytes 10-19'), { start: 10, end: 19 });
  assert.equal(parseContentRange('9-0'), undefined);
});
