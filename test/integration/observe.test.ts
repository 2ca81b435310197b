import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { BERTH, TestDaemon, cgroupLeaks, hasDocker, isRoot, waitFor, type RunResult } from '../helpers/daemon.js';

// Issue 3 item 5: top, stats, events and port through the berth CLI and the real docker CLI (docker 28).

const skip = !isRoot || !hasDocker();
let d: TestDaemon;
const made: string[] = [];
const children: ChildProcess[] = [];

before(async () => {
  if (skip) return;
  d = await TestDaemon.start();
});

after(async () => {
  if (skip) return;
  for (const c of children) if (c.exitCode === null && c.signalCode === null && c.pid) process.kill(c.pid, 'SIGKILL');
  const leaks = await d.cleanup();
  assert.deepEqual(leaks, [], 'nothing left behind');
  assert.deepEqual(await cgroupLeaks(made), [], 'no container cgroups left');
});

type Cli = 'berth' | 'docker';
const cli = (which: Cli, args: string[]): Promise<RunResult> => (which === 'docker' ? d.docker(args) : d.berth(args));

async function ok(which: Cli, args: string[]): Promise<string> {
  const r = await cli(which, args);
  assert.equal(r.code, 0, `${which} ${args.join(' ')}: exit ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

async function runDetached(args: string[]): Promise<string> {
  const id = (await ok('berth', ['run', '-d', ...args])).trim();
  made.push(id);
  return id;
}

/** A long-running CLI process whose output we read as it comes. */
function streaming(which: Cli, args: string[]): { proc: ChildProcess; out: () => string; stop: () => Promise<void> } {
  const env = which === 'docker' ? { ...process.env, DOCKER_HOST: d.host, DOCKER_CONFIG: join(d.dir, 'docker-config') } : process.env;
  const proc = which === 'docker' ? spawn('docker', args, { env }) : spawn(BERTH, ['-H', d.host, ...args], { env });
  children.push(proc);
  let buf = '';
  proc.stdout!.on('data', (b: Buffer) => (buf += b.toString()));
  proc.stderr!.on('data', (b: Buffer) => (buf += b.toString()));
  const stop = async (): Promise<void> => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const done = new Promise((r) => proc.once('close', r));
    proc.kill('SIGKILL');
    await done;
  };
  return { proc, out: () => buf, stop };
}

function exited(proc: ChildProcess): Promise<number> {
  if (proc.exitCode !== null) return Promise.resolve(proc.exitCode);
  return new Promise((r) => proc.once('close', (code) => r(code ?? 128)));
}

void test('top lists only the container\'s own processes and honours ps options', { skip }, async () => {
  const a = await runDetached(['--name', 'top-a', 'busybox', 'sh', '-c', 'sleep 1001 & sleep 1002 & wait']);
  const b = await runDetached(['--name', 'top-b', 'busybox', 'sleep', '1003']);
  for (const which of ['berth', 'docker'] as const) {
    const ta = (await waitFor(async () => { const o = await ok(which, ['top', 'top-a']); return /sleep 1002$/m.test(o) ? o : undefined; }, 'both sleeps in top-a'))!;
    assert.match(ta, /^UID\s+PID\s+PPID\s+C\s+STIME\s+TTY\s+TIME\s+CMD$/m);
    assert.match(ta, /sleep 1001/);
    assert.match(ta, /sh -c sleep 1001 & sleep 1002 & wait/, 'the command keeps its spaces');
    assert.doesNotMatch(ta, /sleep 1003/);
    const tb = await ok(which, ['top', b]);
    assert.match(tb, /sleep 1003/);
    assert.doesNotMatch(tb, /sleep 100[12]/);
    assert.equal(tb.trim().split('\n').length, 2, 'header and one process');

    const custom = await ok(which, ['top', 'top-a', '-o', 'pid,comm']);
    const lines = custom.trim().split('\n');
    assert.match(lines[0]!, /^PID\s+COMMAND$/);
    assert.deepEqual(lines.slice(1).map((l) => l.trim().split(/\s+/)[1]).sort(), ['sh', 'sleep', 'sleep']);
  }
  await ok('berth', ['rm', '-f', a, b]);

  const created = (await ok('berth', ['create', '--name', 'top-c', 'busybox', 'true'])).trim();
  made.push(created);
  for (const which of ['berth', 'docker'] as const) {
    const r = await cli(which, ['top', 'top-c']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim(), `Error response from daemon: Container ${created} is not running`);
  }
  const raw = await d.api('GET', '/containers/top-c/top');
  assert.equal(raw.status, 409);
  await ok('berth', ['rm', created]);
});

void test('stats: a busy container shows its CPU use and memory limit; stopped ones show zeros', { skip }, async () => {
  const id = await runDetached(['--name', 'busy', '--memory', '64m', 'busybox', 'sh', '-c', 'while :; do :; done']);
  for (const which of ['berth', 'docker'] as const) {
    const row = (await waitFor(async () => {
      const o = await ok(which, ['stats', '--no-stream', '--format', '{{.Name}} {{.CPUPerc}} {{.MemUsage}} {{.PIDs}}', 'busy']);
      const cpu = Number(/^busy (\d+\.\d\d)%/.exec(o)?.[1] ?? 0);
      return cpu > 50 ? o : undefined;
    }, `${which} stats showing the busy loop above 50% CPU`, 30_000))!;
    assert.match(row, /^busy \d+\.\d\d% [\d.]+[KMG]?i?B \/ 64MiB 1$/m);
    const table = await ok(which, ['stats', '--no-stream']);
    const [head, ...rows] = table.trim().split('\n');
    assert.match(head!, /^CONTAINER ID\s+NAME\s+CPU %\s+MEM USAGE \/ LIMIT\s+MEM %\s+NET I\/O\s+BLOCK I\/O\s+PIDS$/);
    assert.equal(rows.length, 1);
    assert.match(rows[0]!, new RegExp(`^${id.slice(0, 12)}\\s+busy\\s+\\d+\\.\\d\\d%\\s+\\S+ / 64MiB\\s+\\d+\\.\\d\\d%\\s+0B / 0B\\s+\\S+ / \\S+\\s+1$`));
    const full = await ok(which, ['stats', '--no-stream', '--no-trunc', '--format', '{{.ID}}', 'busy']);
    assert.equal(full.trim(), id);
  }

  // The docker CLI's live table: its first sample must come within the CLI's 2 s window, or the row shows "--".
  for (const which of ['docker', 'berth'] as const) {
    const s = streaming(which, ['stats', 'busy']);
    try {
      const out = (await waitFor(() => (/busy\s+\d+\.\d\d%/.test(s.out()) ? s.out() : undefined), `${which} streaming stats row`, 15_000))!;
      assert.match(out, /CONTAINER ID\s+NAME\s+CPU %/);
      assert.doesNotMatch(out, /busy\s+--/);
    } finally {
      await s.stop();
    }
  }

  const stopped = (await ok('berth', ['create', '--name', 'idle', 'busybox', 'true'])).trim();
  made.push(stopped);
  for (const which of ['berth', 'docker'] as const) {
    const o = await ok(which, ['stats', '-a', '--no-stream', '--format', '{{.Name}}|{{.CPUPerc}}|{{.MemUsage}}|{{.NetIO}}|{{.PIDs}}']);
    assert.match(o, /^idle\|0\.00%\|0B \/ 0B\|0B \/ 0B\|0$/m);
    assert.match(o, /^busy\|/m);
    const running = await ok(which, ['stats', '--no-stream', '--format', '{{.Name}}']);
    assert.deepEqual(running.trim().split('\n'), ['busy'], 'without -a only running containers');
    const missing = await cli(which, ['stats', '--no-stream', 'nosuch']);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr.trim(), 'Error response from daemon: No such container: nosuch');
  }
  const zero = JSON.parse((await d.api('GET', '/containers/idle/stats?stream=false')).body);
  assert.equal(zero.read, '0001-01-01T00:00:00Z');
  assert.equal(zero.name, '/idle');
  assert.deepEqual(zero.memory_stats, {});
  const shot = JSON.parse((await d.api('GET', '/containers/busy/stats?stream=false&one-shot=true')).body);
  assert.equal(shot.id, id);
  assert.equal(shot.memory_stats.limit, 64 * 1024 * 1024);
  assert.ok(shot.cpu_stats.cpu_usage.total_usage > 0);
  assert.equal(shot.pids_stats.current, 1);
  assert.equal(shot.precpu_stats.system_cpu_usage, undefined, 'one-shot: no previous sample');
  await ok('berth', ['rm', '-f', id, stopped]);
});

void test('events: a scripted sequence in order, through --since/--until on both CLIs and live streams', { skip }, async () => {
  const label = `obs=${process.pid}`;
  const since = (Date.now() / 1000 - 0.001).toFixed(3);
  const liveBerth = streaming('berth', ['events', '--filter', `label=${label}`, '--format', '{{.Action}}']);
  const liveDocker = streaming('docker', ['events', '--filter', `label=${label}`, '--format', '{{.Status}} {{.Actor.Attributes.name}}']);
  // Both subscriptions are up once a matching event reaches them: create and remove probes until one does.
  let probes = 0;
  await waitFor(async () => {
    const name = `ev-probe${++probes}`;
    made.push((await ok('berth', ['create', '--label', label, '--name', name, 'busybox'])).trim());
    await ok('berth', ['rm', name]);
    const seen = await waitFor(() => liveBerth.out().includes('destroy') && liveDocker.out().includes(`destroy ${name}`), 'probe', 1500).catch(() => false);
    return seen;
  }, 'live streams subscribed', 30_000);
  const baseBerth = liveBerth.out().trim().split('\n').length;
  const baseDocker = liveDocker.out().trim().split('\n').length;

  const id = (await ok('docker', ['create', '--label', label, '--name', 'ev1', 'busybox', 'sleep', '1000'])).trim();
  made.push(id);
  await ok('berth', ['start', 'ev1']);
  await ok('docker', ['pause', 'ev1']);
  await ok('berth', ['unpause', 'ev1']);
  await ok('docker', ['kill', 'ev1']);
  await waitFor(async () => (await ok('berth', ['inspect', '-f', '{{.State.Status}}', id])).trim() === 'exited', 'ev1 exited');
  await ok('berth', ['rename', 'ev1', 'ev2']);
  await ok('docker', ['rm', 'ev2']);
  await ok('berth', ['tag', 'busybox', `obs-${process.pid}:x`]);
  await ok('docker', ['rmi', `obs-${process.pid}:x`]);
  const until = (Date.now() / 1000 + 0.001).toFixed(3);
  const seq = ['create', 'start', 'pause', 'unpause', 'kill', 'die', 'rename', 'destroy'];

  for (const which of ['berth', 'docker'] as const) {
    const fmt = '{{.Type}} {{.Action}} {{.Actor.ID}} {{.Actor.Attributes.name}}';
    const all = await ok(which, ['events', '--since', since, '--until', until, '--filter', `container=${id}`, '--format', fmt]);
    assert.deepEqual(all.trim().split('\n').map((l) => l.split(' ')[1]), seq, `${which}: ${all}`);
    assert.ok(all.trim().split('\n').every((l) => l.startsWith(`container `) && l.includes(id)));
    const pretty = await ok(which, ['events', '--since', since, '--until', until, '--filter', `container=${id}`]);
    assert.match(pretty, new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{9}(Z|[+-]\\d\\d:\\d\\d) container die ${id} \\(exitCode=137, image=busybox, name=ev1, obs=${process.pid}\\)$`, 'm'));
    assert.match(pretty, new RegExp(` container kill ${id} \\(image=busybox, name=ev1, obs=${process.pid}, signal=9\\)$`, 'm'));
    assert.match(pretty, new RegExp(` container rename ${id} \\(image=busybox, name=ev2, obs=${process.pid}, oldName=/ev1\\)$`, 'm'));

    const dies = await ok(which, ['events', '--since', since, '--until', until, '--filter', 'event=die', '--filter', `label=${label}`, '--format', '{{.Action}} {{.Actor.Attributes.exitCode}}']);
    assert.equal(dies.trim(), 'die 137');
    const byName = await ok(which, ['events', '--since', since, '--until', until, '--filter', 'container=ev2', '--format', '{{.Action}}']);
    assert.deepEqual(byName.trim().split('\n'), ['rename', 'destroy'], 'the name filter matches the name at the time');
    const images = await ok(which, ['events', '--since', since, '--until', until, '--filter', 'type=image', '--format', '{{.Action}} {{.Actor.Attributes.name}}']);
    assert.deepEqual(images.trim().split('\n'), [`tag obs-${process.pid}:x`, `untag ${images.trim().split('\n')[1]!.split(' ')[1]}`]);
    assert.match(images, /^untag sha256:[0-9a-f]{64}$/m);
    const json = (await ok(which, ['events', '--since', since, '--until', until, '--filter', `container=${id}`, '--filter', 'event=start', '--format', 'json'])).trim();
    const ev = JSON.parse(json);
    assert.equal(ev.status, 'start');
    assert.equal(ev.id, id);
    assert.equal(ev.from, 'busybox');
    assert.equal(ev.scope, 'local');
    assert.equal(ev.Type, 'container');
    const bad = await cli(which, ['events', '--filter', 'nope=1', '--until', until]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /invalid filter 'nope'/);
  }

  await waitFor(() => liveBerth.out().trim().split('\n').length >= baseBerth + seq.length && liveDocker.out().includes('destroy ev2'), 'live streams saw destroy');
  assert.deepEqual(liveBerth.out().trim().split('\n').slice(baseBerth), seq);
  assert.deepEqual(liveDocker.out().trim().split('\n').slice(baseDocker), ['create ev1', 'start ev1', 'pause ev1', 'unpause ev1', 'kill ev1', 'die ev1', 'rename ev2', 'destroy ev2']);
  await liveBerth.stop();
  await liveDocker.stop();

  // An --until in the future ends the stream at that time.
  const soon = (Date.now() / 1000 + 1.5).toFixed(3);
  const bounded = streaming('docker', ['events', '--until', soon, '--filter', `label=${label}`]);
  assert.equal(await exited(bounded.proc), 0);

  // The history survives a daemon restart.
  await d.stopDaemon();
  await d.spawn();
  const after = await ok('berth', ['events', '--since', since, '--until', until, '--filter', `container=${id}`, '--format', '{{.Action}}']);
  assert.deepEqual(after.trim().split('\n'), seq);
});

void test('port: nothing published prints nothing; a private port that is not published is an error', { skip }, async () => {
  const id = (await ok('berth', ['create', '--name', 'portless', 'busybox'])).trim();
  made.push(id);
  for (const which of ['berth', 'docker'] as const) {
    assert.equal(await ok(which, ['port', 'portless']), '');
    const one = await cli(which, ['port', 'portless', '80']);
    assert.equal(one.code, 1);
    assert.equal(one.stderr.trim(), "Error: No public port '80' published for portless");
    const proto = await cli(which, ['port', 'portless', '53/udp']);
    assert.equal(proto.stderr.trim(), "Error: No public port '53/udp' published for portless");
    const missing = await cli(which, ['port', 'nosuch']);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr.trim(), 'Error response from daemon: No such container: nosuch');
  }
  const inspect = JSON.parse(await ok('berth', ['inspect', '-f', '{{json .NetworkSettings.Ports}}', id]));
  assert.deepEqual(inspect, {});
  await ok('berth', ['rm', id]);
});
