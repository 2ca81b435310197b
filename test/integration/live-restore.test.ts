import test from 'node:test';
import assert from 'node:assert/strict';
import { TestDaemon, isRoot, waitFor, sleep, cgroupLeaks, run, BERTHD } from '../helpers/daemon.js';

// kill -9 berthd while containers run; a new berthd on the same data root reattaches.
void test('containers outlive a killed daemon and are reattached by the next one', { skip: !isRoot, timeout: 120_000 }, async () => {
  const d = await TestDaemon.start();
  const ids: string[] = [];
  try {
    const ok = async (args: string[]): Promise<string> => {
      const r = await d.berth(args);
      assert.equal(r.code, 0, `berth ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    ids.push((await ok(['run', '-d', '--name', 'ticker', 'busybox', 'sh', '-c', 'i=0; trap "echo term; exit 0" TERM; while true; do i=$((i+1)); echo tick-$i; sleep 0.2; done'])).trim());
    ids.push((await ok(['run', '-d', '--name', 'short', 'busybox', 'sh', '-c', 'sleep 1.5; echo finishing; exit 7'])).trim());
    ids.push((await ok(['run', '-d', '--name', 'waiter', 'busybox', 'sh', '-c', 'sleep 4; exit 3'])).trim());
    await waitFor(async () => (await d.berth(['logs', 'ticker'])).stdout.includes('tick-2'), 'ticker output');
    const pidBefore = JSON.parse(await ok(['inspect', 'ticker']))[0].State.Pid as number;

    await d.kill9();
    await sleep(2500); // 'short' exits while no daemon runs
    const shimAlive = (await run('bash', ['-c', `ps -eo args | grep -c "[c]onmon.*${ids[0]}"`])).stdout.trim();
    assert.equal(shimAlive, '1', 'the shim of the running container survived the daemon');

    await d.spawn();
    const ticker = JSON.parse(await ok(['inspect', 'ticker']))[0];
    assert.equal(ticker.State.Status, 'running');
    assert.equal(ticker.State.Pid, pidBefore);
    const short = JSON.parse(await ok(['inspect', 'short']))[0];
    assert.equal(short.State.Status, 'exited');
    assert.equal(short.State.ExitCode, 7);
    assert.ok(Date.parse(short.State.FinishedAt) > Date.parse(short.State.StartedAt));
    assert.match((await d.berth(['logs', 'short'])).stdout, /finishing/);

    // wait reattached: 'waiter' exits after the restart with its own code
    assert.equal((await ok(['wait', 'waiter'])).trim(), '3');

    // logs -f follows the reattached container, including output written while no daemon ran
    const follow = d.berth(['logs', '-f', 'ticker'], { timeoutMs: 30_000 });
    await sleep(800);
    await ok(['stop', 'ticker']);
    const followed = await follow;
    assert.equal(followed.code, 0);
    const ticks = followed.stdout.split('\n').filter((l) => l.startsWith('tick-')).map((l) => Number(l.slice(5)));
    assert.ok(ticks.length > 10, 'ticks from before, during and after the daemon restart');
    ticks.forEach((t, i) => assert.equal(t, i + 1, 'no tick lost or repeated'));
    assert.match(followed.stdout, /term\n$/);
    const stopped = JSON.parse(await ok(['inspect', 'ticker']))[0];
    assert.equal(stopped.State.ExitCode, 0);
    await ok(['rm', 'ticker', 'short', 'waiter']);
  } finally {
    const leaks = await d.cleanup();
    assert.deepEqual(leaks, []);
    assert.deepEqual(await cgroupLeaks(ids), []);
  }
});

void test('a second daemon on the same data root is refused', { skip: !isRoot }, async () => {
  const d = await TestDaemon.start({ busybox: false });
  try {
    const r = await run(BERTHD, ['-H', `unix://${d.dir}/other.sock`, '--data-root', d.dataRoot, '--exec-root', `${d.dir}/exec2`, '--config-file', `${d.dir}/daemon.json`], { timeoutMs: 15_000 });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /another berthd \(pid \d+\) is already running on data root/);
  } finally {
    assert.deepEqual(await d.cleanup(), []);
  }
});
