import { test } from 'node:test';
import assert from 'node:assert/strict';
import { goFixed2, blockIo, cpuPercent, emptyEntry, entryFrom, memUsageNoCache, networkIo, statsRow } from './stats-calc.js';

void test('cpuPercent: container delta over system delta times online CPUs', () => {
  const prev = { cpu_usage: { total_usage: 1_000_000_000 }, system_cpu_usage: 100_000_000_000, online_cpus: 2 };
  const cur = { cpu_usage: { total_usage: 1_900_000_000 }, system_cpu_usage: 102_000_000_000, online_cpus: 2 };
  assert.equal(cpuPercent(prev, cur), 90); // 0.9 s of CPU over 2 s of host time across 2 CPUs
  assert.equal(cpuPercent(undefined, { ...cur, system_cpu_usage: 0 }), 0);
  assert.equal(cpuPercent(cur, cur), 0);
  // online_cpus missing: the per-CPU list length counts
  assert.equal(cpuPercent(prev, { cpu_usage: { total_usage: 1_900_000_000, percpu_usage: [1, 2, 3, 4] }, system_cpu_usage: 102_000_000_000 }), 180);
});

void test('memory without inactive file cache; block and network I/O sums', () => {
  assert.equal(memUsageNoCache({ usage: 1000, stats: { total_inactive_file: 300, inactive_file: 100 } }), 700);
  assert.equal(memUsageNoCache({ usage: 1000, stats: { inactive_file: 100 } }), 900);
  assert.equal(memUsageNoCache({ usage: 1000, stats: { total_inactive_file: 5000 } }), 1000);
  assert.deepEqual(blockIo({ io_service_bytes_recursive: [{ op: 'Read', value: 10 }, { op: 'write', value: 3 }, { op: 'Total', value: 13 }, { op: 'Read', value: 5 }] }), [15, 3]);
  assert.deepEqual(networkIo({ eth0: { rx_bytes: 1, tx_bytes: 2 }, eth1: { rx_bytes: 10, tx_bytes: 20 } }), [11, 22]);
});

void test('statsRow renders docker\'s columns', () => {
  const e = entryFrom('web', {
    name: '/web', id: 'f'.repeat(64),
    precpu_stats: { cpu_usage: { total_usage: 0 }, system_cpu_usage: 0 },
    cpu_stats: { cpu_usage: { total_usage: 500 }, system_cpu_usage: 1000, online_cpus: 2 },
    memory_stats: { usage: 2 * 1024 * 1024, limit: 64 * 1024 * 1024, stats: { total_inactive_file: 0 } },
    pids_stats: { current: 3 },
    networks: { eth0: { rx_bytes: 1500, tx_bytes: 0 } },
  });
  const r = statsRow(e, true);
  assert.deepEqual(Object.keys(r), ['BlockIO', 'CPUPerc', 'Container', 'ID', 'MemPerc', 'MemUsage', 'Name', 'NetIO', 'PIDs']);
  assert.equal(r['ID'], 'ffffffffffff');
  assert.equal(r['Name'], 'web');
  assert.equal(r['CPUPerc'], '100.00%');
  assert.equal(r['MemUsage'], '2MiB / 64MiB');
  assert.equal(r['MemPerc'], '3.12%');
  assert.equal(r['NetIO'], '1.5kB / 0B');
  assert.equal(r['BlockIO'], '0B / 0B');
  assert.equal(r['PIDs'], '3');
  const bad = statsRow({ ...emptyEntry('x'), invalid: true }, false);
  assert.equal(bad['CPUPerc'], '--');
  assert.equal(bad['MemUsage'], '-- / --');
  assert.equal(bad['Name'], '--');
});

void test('goFixed2 rounds exact ties to even like Go', () => {
  assert.equal(goFixed2(3.125), '3.12');
  assert.equal(goFixed2(3.375), '3.38');
  assert.equal(goFixed2(0.1 + 0.2), '0.30');
  assert.equal(goFixed2(99.995), '100.00'); // not an exact tie in binary (99.9950000000000045...)
  assert.equal(goFixed2(0), '0.00');
});
