import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  effectiveMemoryLimit, emptyStats, parseBlkio, parseFlatKeyed, parseNetDev, parseSystemCpuUsage, readStats, statsStream, type StatsTarget,
} from './stats.js';

void test('parsers: /proc/stat, flat keyed files, blkio, net/dev', () => {
  assert.equal(parseSystemCpuUsage('cpu  100 1 50 1000 5 0 4 9 0 0\ncpu0 1 2 3 4 5 6 7\n'), (100 + 1 + 50 + 1000 + 5 + 0 + 4) * 10_000_000);
  assert.equal(parseSystemCpuUsage('intr 1\n'), undefined);
  assert.deepEqual(parseFlatKeyed('user 12\nsystem 3\nbad x\n'), { user: 12, system: 3 });
  assert.deepEqual(parseBlkio('8:0 Read 4096\n8:0 Write 512\n8:0 Total 4608\nTotal 4608\n'), [
    { major: 8, minor: 0, op: 'Read', value: 4096 }, { major: 8, minor: 0, op: 'Write', value: 512 }, { major: 8, minor: 0, op: 'Total', value: 4608 },
  ]);
  const dev = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:     100       2    0    0    0     0          0         0      100       2    0    0    0     0       0          0
  eth0:    5000      40    1    2    0     0          0         0     3000      30    3    4    0     0       0          0
`;
  assert.deepEqual(parseNetDev(dev), {
    eth0: { rx_bytes: 5000, rx_packets: 40, rx_errors: 1, rx_dropped: 2, tx_bytes: 3000, tx_packets: 30, tx_errors: 3, tx_dropped: 4 },
  });
  assert.equal(effectiveMemoryLimit(9223372036854771712, 2e9), 2e9);
  assert.equal(effectiveMemoryLimit(64 << 20, 2e9), 64 << 20);
});

void test('emptyStats has Docker\'s zero shape', () => {
  const e = emptyStats('/web', 'abc');
  assert.equal(e.read, '0001-01-01T00:00:00Z');
  assert.deepEqual(e.memory_stats, {});
  assert.equal(e.cpu_stats.cpu_usage.total_usage, 0);
  assert.equal(e.blkio_stats['io_service_bytes_recursive'], null);
  assert.equal(e.name, '/web');
});

void test('readStats of this process reads its cgroup and /proc/stat', async () => {
  const s = await readStats(process.pid, '/self', 'x');
  assert.ok(s);
  assert.ok((s.cpu_stats.system_cpu_usage ?? 0) > 0);
  assert.ok((s.cpu_stats.online_cpus ?? 0) > 0);
});

void test('statsStream: stopped containers give zeros; streaming goes on; removal ends it', async () => {
  const ac = new AbortController();
  let t: StatsTarget | undefined = { id: 'abc', name: '/web', pid: 0, running: false };
  const once = [];
  for await (const s of statsStream(() => t, { stream: false, oneShot: false, signal: ac.signal })) once.push(s);
  assert.equal(once.length, 1);
  assert.equal(once[0]!.id, 'abc');
  const seen = [];
  for await (const s of statsStream(() => t, { stream: true, oneShot: false, signal: ac.signal, intervalMs: 5 })) {
    seen.push(s);
    if (seen.length === 3) t = undefined;
  }
  assert.equal(seen.length, 3);
});

void test('statsStream: precpu empty first, then the previous sample; no-stream primes', async () => {
  const ac = new AbortController();
  const t: StatsTarget = { id: 'abc', name: '/self', pid: process.pid, running: true };
  const seen = [];
  for await (const s of statsStream(() => t, { stream: true, oneShot: false, signal: ac.signal, intervalMs: 5 })) {
    seen.push(s);
    if (seen.length === 2) ac.abort();
  }
  assert.equal(seen.length, 2);
  assert.equal(seen[0]!.precpu_stats.system_cpu_usage, undefined);
  assert.equal(seen[1]!.precpu_stats.system_cpu_usage, seen[0]!.cpu_stats.system_cpu_usage);
  const primed = [];
  for await (const s of statsStream(() => t, { stream: false, oneShot: false, signal: new AbortController().signal, intervalMs: 5 })) primed.push(s);
  assert.equal(primed.length, 1);
  assert.ok(primed[0]!.precpu_stats.system_cpu_usage !== undefined);
  const shot = [];
  for await (const s of statsStream(() => t, { stream: false, oneShot: true, signal: new AbortController().signal })) shot.push(s);
  assert.equal(shot.length, 1);
  assert.equal(shot[0]!.precpu_stats.system_cpu_usage, undefined);
});
