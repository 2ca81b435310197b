import { test } from 'node:test';
import assert from 'node:assert/strict';
import { digestOf, isDigest, parseDigest, shortId, Digester, digestHex } from './digest.js';
import { chainIds, chainId, childChainId } from './chain-id.js';
import { InvalidArgumentError } from '../base/index.js';

void test('digest helpers', () => {
  const d = digestOf('hello');
  assert.equal(d, 'sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824');
  assert.ok(isDigest(d));
  assert.equal(shortId(d), '2cf24dba5fb0');
  assert.equal(digestHex(d).length, 64);
  assert.throws(() => parseDigest('sha256:XYZ'), InvalidArgumentError);
  assert.throws(() => parseDigest('sha512:' + 'a'.repeat(128)), /unsupported digest algorithm/);
  const g = new Digester();
  g.update(Buffer.from('hel'));
  g.update(Buffer.from('lo'));
  assert.equal(g.digest(), d);
  assert.equal(g.size, 5);
});

void test('chain IDs per OCI spec', () => {
  const a = digestOf('a');
  const b = digestOf('b');
  const c = digestOf('c');
  const ids = chainIds([a, b, c]);
  assert.equal(ids[0], a);
  assert.equal(ids[1], digestOf(`${a} ${b}`));
  assert.equal(ids[2], digestOf(`${ids[1]} ${c}`));
  assert.equal(chainId([a, b, c]), ids[2]);
  assert.equal(chainId([]), undefined);
  assert.equal(childChainId(ids[1], c), ids[2]);
});
