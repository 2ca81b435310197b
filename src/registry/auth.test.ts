import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseHtpasswd, parseBasic, parseScopes, covers, TokenSigner } from './auth.js';

void test('htpasswd lines and basic credentials', () => {
  const users = parseHtpasswd('# comment\nalice:$2y$05$abc\n\nbob:$2b$04$def:with-colon\n');
  assert.deepEqual([...users], [['alice', '$2y$05$abc'], ['bob', '$2b$04$def:with-colon']]);
  assert.deepEqual(parseBasic(`Basic ${Buffer.from('u:p:q').toString('base64')}`), { user: 'u', password: 'p:q' });
  assert.equal(parseBasic('Bearer x'), undefined);
  assert.equal(parseBasic(undefined), undefined);
});

void test('scopes (names with a registry port) and coverage', () => {
  const s = parseScopes(['repository:localhost:5000/a/b:pull,push registry:catalog:*', 'junk']);
  assert.deepEqual(s, [
    { type: 'repository', name: 'localhost:5000/a/b', actions: ['pull', 'push'] },
    { type: 'registry', name: 'catalog', actions: ['*'] },
  ]);
  assert.equal(covers(s, { type: 'repository', name: 'localhost:5000/a/b', actions: ['pull'] }), true);
  assert.equal(covers(s, { type: 'repository', name: 'localhost:5000/a/b', actions: ['delete'] }), false);
  assert.equal(covers(s, { type: 'registry', name: 'catalog', actions: ['*'] }), true);
  assert.equal(covers(s, { type: 'repository', name: 'other', actions: ['pull'] }), false);
});

void test('tokens: signed, bound to issuer/service, expire, tamper-evident', () => {
  const signer = new TokenSigner('iss', 'svc', 'k', 60);
  const access = [{ type: 'repository', name: 'a', actions: ['pull'] }];
  const t = signer.issue('alice', access, 1000);
  const c = signer.verify(t, 1010);
  assert.equal(c?.sub, 'alice');
  assert.deepEqual(c?.access, access);
  assert.equal(signer.verify(t, 2000), undefined, 'expired');
  assert.equal(new TokenSigner('iss', 'other', 'k').verify(t, 1010), undefined, 'other service');
  assert.equal(new TokenSigner('iss', 'svc', 'other-key').verify(t, 1010), undefined, 'other key');
  const [h, p, s] = t.split('.');
  const claims = JSON.parse(Buffer.from(p!, 'base64url').toString()) as { access: { actions: string[] }[] };
  claims.access[0]!.actions.push('push');
  assert.equal(signer.verify(`${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${s}`, 1010), undefined);
  assert.equal(signer.verify('not.a.token', 1010), undefined);
});
