import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventBus } from './event-bus.js';
import { EventHistoryFile } from './history-file.js';

const ctr = (action: string) => ({ Type: 'container' as const, Action: action, Actor: { ID: 'c1', Attributes: { name: 'web', image: 'busybox' } } });

void test('history survives a restart: replayed with --since, exact stamps, torn lines skipped, file compacted', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-evhist-'));
  try {
    const path = join(dir, 'events.jsonl');
    const f1 = new EventHistoryFile(path, 3);
    const bus1 = new EventBus({ historySize: 3, onPublish: (ev, ns) => f1.append({ ev, ns }) });
    bus1.restore(await f1.load());
    const published = ['create', 'start', 'pause', 'unpause', 'kill', 'die', 'destroy'].map((a) => bus1.publish(ctr(a)));
    await f1.flush();
    const lines = (await readFile(path, 'utf8')).split('\n').filter(Boolean);
    assert.ok(lines.length <= 6, `compacted: ${lines.length} lines`);
    await appendFile(path, '{"ns":"12'); // a crash mid-append

    const f2 = new EventHistoryFile(path, 3);
    const bus2 = new EventBus({ historySize: 3, onPublish: (ev, ns) => f2.append({ ev, ns }) });
    bus2.restore(await f2.load());
    assert.deepEqual(bus2.recent().map((e) => e.Action), ['kill', 'die', 'destroy']);
    const since = BigInt(published[0]!.time) * 1_000_000_000n;
    const replay = [];
    for await (const e of bus2.subscribe({ since, until: BigInt(Date.now()) * 1_000_000n - 1n })) replay.push(e.Action);
    assert.deepEqual(replay, ['kill', 'die', 'destroy']);
    const next = bus2.publish(ctr('create'));
    assert.ok(next.timeNano >= published[6]!.timeNano, 'stamps stay monotonic after a restore');
    await f2.flush();
    const f3 = new EventHistoryFile(path, 3);
    assert.deepEqual((await f3.load()).map((r) => r.ev.Action), ['die', 'destroy', 'create']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
