import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CancelledError } from '../base/index.js';
import { PullJobs } from './pull-jobs.js';
import type { ProgressMessage } from './pull.js';

/** A job that reports, then waits until released or aborted. */
function gated(): { start: (signal: AbortSignal, p: (m: ProgressMessage) => void) => Promise<void>; release: () => void; starts: number; aborted: () => boolean } {
  let release = (): void => undefined;
  let signal: AbortSignal | undefined;
  const g = {
    starts: 0,
    release: () => release(),
    aborted: () => !!signal?.aborted,
    start: async (s: AbortSignal, p: (m: ProgressMessage) => void): Promise<void> => {
      g.starts++;
      signal = s;
      p({ status: 'Pulling fs layer', id: 'a' });
      p({ status: 'Downloading', id: 'a', progressDetail: { current: 1, total: 2 } });
      await new Promise<void>((resolve, reject) => {
        release = resolve;
        s.addEventListener('abort', () => reject(s.reason as Error), { once: true });
      });
      p({ status: 'Pull complete', id: 'a' });
    },
  };
  return g;
}

void test('a second client joins the running job, sees the latest line state first, and gets its outcome', async () => {
  const jobs = new PullJobs();
  const g = gated();
  const one: ProgressMessage[] = [];
  const two: ProgressMessage[] = [];
  const p1 = jobs.run('k', g.start, (m) => one.push(m));
  const p2 = jobs.run('k', g.start, (m) => two.push(m));
  await new Promise((r) => setImmediate(r));
  assert.equal(g.starts, 1);
  assert.deepEqual(two.map((m) => m.status), ['Downloading']);
  g.release();
  await Promise.all([p1, p2]);
  assert.deepEqual(one.map((m) => m.status), ['Pulling fs layer', 'Downloading', 'Pull complete']);
  assert.deepEqual(two.map((m) => m.status), ['Downloading', 'Pull complete']);
  assert.equal(jobs.size, 0);
});

void test('a client leaving does not cancel the job while another waits; the last one leaving does', async () => {
  const jobs = new PullJobs();
  const g = gated();
  const a = new AbortController();
  const b = new AbortController();
  const pa = jobs.run('k', g.start, () => undefined, a.signal);
  const pb = jobs.run('k', g.start, () => undefined, b.signal);
  a.abort();
  await assert.rejects(pa, CancelledError);
  assert.equal(g.aborted(), false);
  b.abort();
  await assert.rejects(pb, CancelledError);
  assert.equal(g.aborted(), true);
  assert.equal(jobs.size, 0);
  // a new client starts a new job
  const g2 = gated();
  const pc = jobs.run('k', g2.start, () => undefined);
  await new Promise((r) => setImmediate(r));
  g2.release();
  await pc;
  assert.equal(g2.starts, 1);
});

void test('different keys are different jobs; a failure reaches every waiter', async () => {
  const jobs = new PullJobs();
  let n = 0;
  const fail = async (): Promise<void> => { n++; await new Promise((r) => setImmediate(r)); throw new Error('boom'); };
  await Promise.all([
    assert.rejects(jobs.run('x', fail, () => undefined), /boom/),
    assert.rejects(jobs.run('x', fail, () => undefined), /boom/),
    assert.rejects(jobs.run('y', fail, () => undefined), /boom/),
  ]);
  assert.equal(n, 2);
  const done = new AbortController();
  done.abort();
  await assert.rejects(jobs.run('z', fail, () => undefined, done.signal), CancelledError);
  assert.equal(n, 2);
});
