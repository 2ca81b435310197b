import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Semaphore } from './semaphore.js';

void test('Semaphore: at most limit holders, waiters in order, abort leaves the queue', async () => {
  const s = new Semaphore(2);
  assert.equal(s.tryAcquire(), true);
  await s.acquire();
  assert.equal(s.tryAcquire(), false);
  const order: string[] = [];
  const a = s.acquire().then(() => order.push('a'));
  const ac = new AbortController();
  const b = s.acquire(ac.signal).then(() => order.push('b'), (err: unknown) => order.push(`b aborted: ${String(err)}`));
  const c = s.acquire().then(() => order.push('c'));
  ac.abort('stop');
  await b;
  s.release();
  await a;
  s.release();
  await c;
  assert.deepEqual(order, ['b aborted: stop', 'a', 'c']);
  assert.equal(s.tryAcquire(), false, 'two holders (a and c)');
  s.release();
  s.release();
  assert.equal(s.tryAcquire(), true);
  assert.throws(() => new Semaphore(0), /positive integer/);
});
