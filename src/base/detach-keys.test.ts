import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DetachKeyMatcher, parseDetachKeys, DEFAULT_DETACH_KEYS } from './detach-keys.js';

void test('parseDetachKeys: docker spellings', () => {
  assert.deepEqual([...parseDetachKeys(DEFAULT_DETACH_KEYS)], [16, 17]);
  assert.deepEqual([...parseDetachKeys('ctrl-@,a,ctrl-_,ctrl-[')], [0, 97, 31, 27]);
  assert.deepEqual([...parseDetachKeys('ctrl-\\')], [28]);
  assert.throws(() => parseDetachKeys('ctrl-1'), /Invalid detach keys \(ctrl-1\) provided/);
  assert.throws(() => parseDetachKeys('foo'), /Invalid detach keys/);
  assert.throws(() => parseDetachKeys('a,,b'), /Invalid detach keys/);
});

void test('DetachKeyMatcher: passes data, detaches on the sequence, releases a broken prefix', () => {
  const m = new DetachKeyMatcher(parseDetachKeys('ctrl-p,ctrl-q'));
  assert.deepEqual(m.push(Buffer.from('ls\r')), { data: Buffer.from('ls\r'), detached: false });
  // A prefix split across chunks is held, then completes.
  assert.deepEqual(m.push(Buffer.from([0x61, 16])), { data: Buffer.from('a'), detached: false });
  assert.deepEqual(m.push(Buffer.from([17, 0x62])), { data: Buffer.alloc(0), detached: true });
  // A broken prefix is released with the byte that broke it.
  const m2 = new DetachKeyMatcher(parseDetachKeys('ctrl-p,ctrl-q'));
  assert.deepEqual(m2.push(Buffer.from([16, 0x78])), { data: Buffer.from([16, 0x78]), detached: false });
  // ctrl-p ctrl-p ctrl-q: the first ctrl-p is released, the second starts the match.
  assert.deepEqual(m2.push(Buffer.from([16, 16, 17])), { data: Buffer.from([16]), detached: true });
  // Held bytes at the end of input.
  const m3 = new DetachKeyMatcher(parseDetachKeys('ctrl-p,ctrl-q'));
  assert.equal(m3.push(Buffer.from([16])).data.length, 0);
  assert.deepEqual(m3.flush(), Buffer.from([16]));
});

void test('DetachKeyMatcher: single key and empty sequence', () => {
  const one = new DetachKeyMatcher(parseDetachKeys('ctrl-x'));
  assert.deepEqual(one.push(Buffer.from([0x61, 24, 0x62])), { data: Buffer.from('a'), detached: true });
  const none = new DetachKeyMatcher(Buffer.alloc(0));
  assert.deepEqual(none.push(Buffer.from([16, 17])), { data: Buffer.from([16, 17]), detached: false });
});
