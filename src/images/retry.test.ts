import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CancelledError, InvalidArgumentError, UnavailableError } from '../base/index.js';
import { withRetries } from './retry.js';

const reset = (): Error => Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });

function recorder(): { messages: string[]; progress: (m: { status: string; id: string }) => void } {
  const messages: string[] = [];
  return { messages, progress: (m) => messages.push(`${m.id}: ${m.status}`) };
}

void test('withRetries: a transient failure is tried again, with dockerd\'s countdown on the layer\'s line', async () => {
  const r = recorder();
  let calls = 0;
  const out = await withRetries(async () => {
    if (++calls < 3) throw calls === 1 ? reset() : new UnavailableError('fetching blob: 503 Service Unavailable', { transient: true });
    return 'done';
  }, { policy: { retries: 5, delayMs: 1 }, id: 'abc', progress: r.progress, what: 'Download' });
  assert.equal(out, 'done');
  assert.equal(calls, 3);
  assert.deepEqual(r.messages, ['abc: Retrying in 1 second', 'abc: Retrying in 1 second']);
});

void test('withRetries: the countdown tells the seconds left each second, rounded up (dockerd: 5, 4, ... 1)', async () => {
  const r = recorder();
  let calls = 0;
  await withRetries(async () => { if (++calls === 1) throw reset(); }, { policy: { retries: 1, delayMs: 1001 }, id: 'x', progress: r.progress, what: 'Upload' });
  assert.equal(calls, 2);
  assert.deepEqual(r.messages, ['x: Retrying in 2 seconds', 'x: Retrying in 1 second']);
});

void test('withRetries: gives up after the retries, with the last error', async () => {
  const r = recorder();
  let calls = 0;
  await assert.rejects(withRetries(async () => { calls++; throw new UnavailableError(`attempt ${calls}: 500 Internal Server Error`, { transient: true }); },
    { policy: { retries: 5, delayMs: 0 }, id: 'l', progress: r.progress, what: 'Download' }), /attempt 6: 500/);
  assert.equal(calls, 6, 'the first attempt and 5 retries');
});

void test('withRetries: no retry of what is not transient, nor once cancelled; a wait ends with the cancellation', async () => {
  const r = recorder();
  let calls = 0;
  const opts = { policy: { retries: 5, delayMs: 0 }, id: 'l', progress: r.progress, what: 'Download' };
  await assert.rejects(withRetries(async () => { calls++; throw new InvalidArgumentError('filesystem layer verification failed'); }, opts), /verification failed/);
  await assert.rejects(withRetries(async () => { calls++; throw new UnavailableError('fetching blob: 404 Not Found'); }, opts), /404/);
  const ac = new AbortController();
  await assert.rejects(withRetries(async () => { calls++; ac.abort(new CancelledError('context canceled')); throw reset(); }, { ...opts, signal: ac.signal }), /socket hang up/);
  assert.equal(calls, 3);
  assert.deepEqual(r.messages, []);
  // Cancelled while waiting for a retry: the wait ends at once with the signal's reason.
  const ac2 = new AbortController();
  const p = withRetries(async () => { calls++; throw reset(); }, { ...opts, policy: { retries: 5, delayMs: 60_000 }, signal: ac2.signal });
  await new Promise((res) => setImmediate(res));
  assert.deepEqual(r.messages, ['l: Retrying in 60 seconds']);
  ac2.abort(new CancelledError('context canceled'));
  await assert.rejects(p, CancelledError);
  assert.equal(calls, 4);
});
