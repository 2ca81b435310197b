import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventBus, type Event } from './event-bus.js';
import { InvalidArgumentError } from '../base/index.js';

const ctr = (action: string, id: string, name: string, labels: Record<string, string> = {}) => ({
  Type: 'container' as const, Action: action, Actor: { ID: id, Attributes: { ...labels, image: 'alpine:3', name } }, from: 'alpine:3',
});

async function take(it: AsyncIterable<Event>, n = Infinity, timeoutMs = 5000): Promise<Event[]> {
  const out: Event[] = [];
  const timer = setTimeout(() => { throw new Error('timed out reading events'); }, timeoutMs);
  try {
    for await (const e of it) {
      out.push(e);
      if (out.length >= n) break;
    }
  } finally {
    clearTimeout(timer);
  }
  return out;
}

void test('publish stamps time, scope and legacy fields', () => {
  const bus = new EventBus();
  const c = bus.publish(ctr('start', 'a'.repeat(64), 'web'));
  assert.deepEqual(Object.keys(c), ['status', 'id', 'from', 'Type', 'Action', 'Actor', 'scope', 'time', 'timeNano']);
  assert.equal(c.status, 'start');
  assert.equal(c.id, 'a'.repeat(64));
  assert.equal(c.from, 'alpine:3');
  assert.equal(c.scope, 'local');
  assert.equal(c.time, Math.floor(c.timeNano / 1e9));
  assert.ok(Math.abs(c.time - Date.now() / 1000) < 60);
  const i = bus.publish({ Type: 'image', Action: 'pull', Actor: { ID: 'alpine:3', Attributes: { name: 'alpine:3' } } });
  assert.deepEqual([i.status, i.id, 'from' in i], ['pull', 'alpine:3', false]);
  const v = bus.publish({ Type: 'volume', Action: 'create', Actor: { ID: 'v1', Attributes: {} } });
  assert.equal('status' in v, false);
  assert.ok(i.timeNano > c.timeNano && v.timeNano > i.timeNano);
});

void test('history is bounded; since replays, until ends after the replay', async () => {
  let t = 1_000_000_000_000n;
  const bus = new EventBus({ historySize: 5, now: () => (t += 1000n) });
  for (let k = 0; k < 8; k++) bus.publish(ctr(`a${k}`, `id${k}`, `n${k}`));
  assert.deepEqual(bus.recent().map((e) => e.Action), ['a3', 'a4', 'a5', 'a6', 'a7']);
  const ns = (k: number): bigint => 1_000_000_000_000n + BigInt(k + 1) * 1000n;
  // until in the past: replay then end
  assert.deepEqual((await take(bus.subscribe({ since: ns(5), until: ns(6) }))).map((e) => e.Action), ['a5', 'a6']);
  assert.deepEqual((await take(bus.subscribe({ until: ns(4) }))).map((e) => e.Action), ['a3', 'a4']);
  assert.throws(() => bus.subscribe({ since: ns(6), until: ns(5) }), InvalidArgumentError);
});

void test('live events after the replay, no duplicates; abort ends the stream', async () => {
  const bus = new EventBus();
  bus.publish(ctr('create', 'id1', 'one'));
  const ac = new AbortController();
  const it = bus.subscribe({ since: 0n, signal: ac.signal });
  bus.publish(ctr('start', 'id1', 'one'));
  const got: string[] = [];
  const reader = (async () => {
    for await (const e of it) {
      got.push(e.Action);
      if (got.length === 3) ac.abort();
    }
  })();
  setImmediate(() => bus.publish(ctr('die', 'id1', 'one')));
  await reader;
  assert.deepEqual(got, ['create', 'start', 'die']);
  // without since: only live
  const live = bus.subscribe({});
  setImmediate(() => bus.publish(ctr('stop', 'id1', 'one')));
  assert.deepEqual((await take(live, 1)).map((e) => e.Action), ['stop']);
});

void test('live subscription with a future until ends by itself', async () => {
  const bus = new EventBus();
  const until = BigInt(Date.now() + 150) * 1_000_000n;
  const it = bus.subscribe({ until });
  bus.publish(ctr('start', 'id1', 'one'));
  assert.deepEqual((await take(it)).map((e) => e.Action), ['start']);
});

void test('filters', async () => {
  const bus = new EventBus();
  const A = 'aaaa' + '0'.repeat(60);
  const B = 'bbbb' + '0'.repeat(60);
  bus.publish(ctr('create', A, 'web', { app: 'x', tier: 'front' }));
  bus.publish(ctr('exec_start: sh -c ls', A, 'web', { app: 'x' }));
  bus.publish(ctr('die', B, 'db', { app: 'y' }));
  bus.publish({ Type: 'image', Action: 'tag', Actor: { ID: 'sha256:1234', Attributes: { name: 'alpine:3' } } });
  bus.publish({ Type: 'volume', Action: 'create', Actor: { ID: 'data', Attributes: { driver: 'local' } } });
  bus.publish({ Type: 'network', Action: 'connect', Actor: { ID: 'n1', Attributes: { name: 'bridge', container: A } } });
  const q = async (filters: Record<string, string[]>): Promise<string[]> =>
    (await take(bus.subscribe({ since: 0n, until: BigInt(Date.now() + 1) * 1_000_000n, filters }))).map((e) => `${e.Type}:${e.Action}`);
  assert.deepEqual(await q({ container: ['web'] }), ['container:create', 'container:exec_start: sh -c ls']);
  assert.deepEqual(await q({ container: ['bbbb'] }), ['container:die']);
  assert.deepEqual(await q({ container: ['web', 'db'], event: ['die'] }), ['container:die']);
  assert.deepEqual(await q({ event: ['exec_start'] }), ['container:exec_start: sh -c ls']);
  assert.deepEqual(await q({ event: ['exec'] }), []);
  assert.deepEqual(await q({ type: ['image', 'volume'] }), ['image:tag', 'volume:create']);
  assert.deepEqual(await q({ image: ['alpine'] }), ['container:create', 'container:exec_start: sh -c ls', 'container:die', 'image:tag']);
  assert.deepEqual(await q({ image: ['sha256:1234'] }), ['image:tag']);
  assert.deepEqual(await q({ label: ['app=x'] }), ['container:create', 'container:exec_start: sh -c ls']);
  assert.deepEqual(await q({ label: ['app=x', 'tier'] }), ['container:create']);
  assert.deepEqual(await q({ volume: ['data'] }), ['volume:create']);
  assert.deepEqual(await q({ network: ['bridge'] }), ['network:connect']);
  assert.deepEqual(await q({ scope: ['local'], type: ['network'] }), ['network:connect']);
  assert.deepEqual(await q({ scope: ['swarm'] }), []);
  assert.deepEqual(await q({ daemon: ['x'] }), []);
  assert.throws(() => bus.subscribe({ filters: { status: ['x'] } }), (e: unknown) => e instanceof InvalidArgumentError && e.message === "invalid filter 'status'");
});

void test('a slow subscriber is disconnected instead of buffering without bound', async () => {
  const bus = new EventBus({ maxQueued: 10 });
  const it = bus.subscribe({});
  for (let k = 0; k < 50; k++) bus.publish(ctr(`a${k}`, 'id', 'n'));
  const got = await take(it);
  assert.equal(got.length, 10);
  assert.equal(got[0]!.Action, 'a0');
});

void test('close ends live subscriptions', async () => {
  const bus = new EventBus();
  const it = bus.subscribe({});
  setImmediate(() => bus.close());
  assert.deepEqual(await take(it), []);
});
