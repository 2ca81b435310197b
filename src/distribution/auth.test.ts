import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeAuthHeader, parseChallenges } from './auth.js';

void test('parses bearer and basic challenges', () => {
  const c = parseChallenges('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"');
  assert.deepEqual(c, [{ scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/busybox:pull' } }]);
  assert.deepEqual(parseChallenges('Basic realm="Registry Realm"'), [{ scheme: 'basic', params: { realm: 'Registry Realm' } }]);
  assert.deepEqual(parseChallenges(undefined), []);
});

void test('decodes X-Registry-Auth', () => {
  const v = Buffer.from(JSON.stringify({ username: 'u', password: 'p', serveraddress: 'localhost:5000' })).toString('base64url');
  assert.deepEqual(decodeAuthHeader(v), { username: 'u', password: 'p', serveraddress: 'localhost:5000' });
  assert.deepEqual(decodeAuthHeader('e30='), {});
  assert.deepEqual(decodeAuthHeader('!!!'), {});
  const a = Buffer.from(JSON.stringify({ auth: Buffer.from('x:y:z').toString('base64') })).toString('base64');
  assert.equal(decodeAuthHeader(a).password, 'y:z');
});
