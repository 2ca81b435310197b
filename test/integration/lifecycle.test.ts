import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { TestDaemon, isRoot, waitFor, sleep, cgroupLeaks } from '../helpers/daemon.js';

// Real berthd, real runc + conmon on overlayfs, driven by the berth CLI.
let d: TestDaemon;
const made: string[] = [];

before(async () => {
  if (!isRoot) return;
  d = await TestDaemon.start();
});

after(async () => {
  if (!isRoot) return;
  const leaks = await d.cleanup();
  assert.deepEqual(leaks, [], 'nothing left behind');
  assert.deepEqual(await cgroupLeaks(made), [], 'no container cgroups left');
});

async function runOk(args: string[]): Promise<string> {
  const r = await d.berth(args);
  assert.equal(r.code, 0, `berth ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function inspect(id: string): Promise<Record<string, any>> {
  return JSON.parse(await runOk(['inspect', id]))[0];
}

void test('run prints output, keeps stdout and stderr apart, and returns the exit code', { skip: !isRoot }, async () => {
  const r = await d.berth(['run', '--name', 'hello', 'busybox', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
  assert.equal(r.code, 3);
  assert.equal(r.stdout, 'out\n');
  assert.equal(r.stderr, 'err\n');
  const c = await inspect('hello');
  made.push(c.Id);
  assert.equal(c.State.Status, 'exited');
  assert.equal(c.State.ExitCode, 3);
  const logs = await d.berth(['logs', 'hello']);
  assert.equal(logs.stdout, 'out\n');
  assert.equal(logs.stderr, 'err\n');
  await runOk(['rm', 'hello']);
});

void test('the image config is untouched by a run that overrides Cmd and Env', { skip: !isRoot }, async () => {
  const before = JSON.parse(await runOk(['image', 'inspect', 'busybox']))[0];
  const out = await runOk(['run', '--rm', '-e', 'FOO=bar', 'busybox', 'sh', '-c', 'echo $FOO']);
  assert.equal(out, 'bar\n');
  const afterImg = JSON.parse(await runOk(['image', 'inspect', 'busybox']))[0];
  assert.deepEqual(afterImg.Config.Cmd, ['sh']);
  assert.deepEqual(afterImg.Config.Env, before.Config.Env);
  assert.ok(!(afterImg.Config.Env ?? []).includes('FOO=bar'));
});

void test('a container over --memory is OOM-killed', { skip: !isRoot }, async () => {
  const r = await d.berth(['run', '--name', 'oom', '--memory', '16m', '--memory-swap', '16m', 'busybox', 'sh', '-c', 'x=$(head -c 200m /dev/zero | tr "\\0" a); echo survived']);
  assert.equal(r.code, 137, r.stderr);
  const c = await inspect('oom');
  made.push(c.Id);
  assert.equal(c.State.OOMKilled, true);
  assert.equal(c.State.ExitCode, 137);
  await runOk(['rm', 'oom']);
});

void test('--pids-limit stops a fork loop', { skip: !isRoot }, async () => {
  const r = await d.berth(['run', '--rm', '--pids-limit', '8', 'busybox', 'sh', '-c', 'n=0; for i in $(seq 1 30); do sleep 30 & n=$((n+1)); done; ls /proc | grep -c "^[0-9]"; kill $(jobs -p) 2>/dev/null; true']);
  const running = Number(r.stdout.trim().split('\n').pop());
  assert.ok(running <= 8, `at most 8 processes, saw ${running}`);
  assert.match(r.stderr, /fork|Resource temporarily unavailable/i);
});

void test('a paused container does not advance until unpaused', { skip: !isRoot }, async () => {
  const id = (await runOk(['run', '-d', '--name', 'counter', 'busybox', 'sh', '-c', 'i=0; while true; do i=$((i+1)); echo $i; sleep 0.1; done'])).trim();
  made.push(id);
  const lines = async (): Promise<number> => (await d.berth(['logs', 'counter'])).stdout.split('\n').filter(Boolean).length;
  await waitFor(async () => (await lines()) > 3, 'counter output');
  await runOk(['pause', 'counter']);
  assert.equal((await inspect('counter')).State.Status, 'paused');
  const frozen = await lines();
  await sleep(1000);
  assert.equal(await lines(), frozen, 'no output while paused');
  await runOk(['unpause', 'counter']);
  await waitFor(async () => (await lines()) > frozen + 2, 'counter resumes');
  await runOk(['rm', '-f', 'counter']);
});

void test('stop escalates to SIGKILL after the grace period when SIGTERM is ignored', { skip: !isRoot }, async () => {
  const id = (await runOk(['run', '-d', '--name', 'stubborn', 'busybox', 'sh', '-c', 'trap "" TERM; while true; do sleep 0.2; done'])).trim();
  made.push(id);
  await runOk(['stop', '-t', '1', 'stubborn']);
  const c = await inspect('stubborn');
  assert.equal(c.State.Status, 'exited');
  assert.equal(c.State.ExitCode, 137);
  await runOk(['rm', 'stubborn']);
});

void test('stop uses SIGTERM first: a process that handles it exits cleanly', { skip: !isRoot }, async () => {
  const id = (await runOk(['run', '-d', '--name', 'polite', 'busybox', 'sh', '-c', 'trap "echo bye; exit 0" TERM; while true; do sleep 0.1; done'])).trim();
  made.push(id);
  await waitFor(async () => (await inspect('polite')).State.Running, 'running');
  await sleep(300);
  await runOk(['stop', 'polite']);
  const c = await inspect('polite');
  assert.equal(c.State.ExitCode, 0);
  assert.match((await d.berth(['logs', 'polite'])).stdout, /bye/);
  await runOk(['rm', 'polite']);
});

void test('two containers from one image see neither each other\'s files nor processes', { skip: !isRoot }, async () => {
  const a = (await runOk(['run', '-d', '--name', 'iso-a', 'busybox', 'sh', '-c', 'echo secret > /tmp/mine; sleep 1000'])).trim();
  made.push(a);
  await sleep(300);
  const out = await runOk(['run', '--rm', 'busybox', 'sh', '-c', 'ls /tmp; ps -o pid,args; cat /etc/hostname']);
  assert.doesNotMatch(out, /mine/);
  assert.doesNotMatch(out, /sleep 1000/);
  assert.match(out, /^\s*1 .*ps -o pid,args|^\s*1 sh/m);
  await runOk(['rm', '-f', 'iso-a']);
});

void test('rmi of an image in use is refused', { skip: !isRoot }, async () => {
  await runOk(['tag', 'busybox', 'inuse:1']);
  const id = (await runOk(['create', 'inuse:1', 'true'])).trim();
  made.push(id);
  // As with Docker: removing one of several tags only untags, even while the image is in use.
  assert.match(await runOk(['rmi', 'inuse:1']), /^Untagged: inuse:1$/m);
  const r = await d.berth(['rmi', 'busybox']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /Error response from daemon: conflict: unable to remove repository reference "busybox" \(must force\) - container [0-9a-f]{12} is using its referenced image [0-9a-f]{12}/);
  const imageId = (await runOk(['images', '-q', 'busybox'])).trim();
  const byId = await d.berth(['rmi', imageId]);
  assert.equal(byId.code, 1);
  assert.match(byId.stderr, /conflict: unable to delete [0-9a-f]{12} \(must be forced\) - image is being used by stopped container [0-9a-f]{12}/);
  assert.equal((await runOk(['images', '-q', 'busybox'])).trim(), imageId, 'the image is still there');
  await runOk(['rm', id]);
});

void test('ps shows Docker states and filters', { skip: !isRoot }, async () => {
  const id = (await runOk(['run', '-d', '--name', 'up', '-l', 'tier=web', 'busybox', 'sleep', '100'])).trim();
  made.push(id);
  const exited = (await runOk(['create', '--name', 'never', 'busybox', 'true'])).trim();
  made.push(exited);
  const ps = await runOk(['ps']);
  assert.match(ps, /^CONTAINER ID\s+IMAGE\s+COMMAND\s+CREATED\s+STATUS\s+PORTS\s+NAMES$/m);
  assert.match(ps, /Up (Less than a second|\d+ seconds?)\s+up$/m);
  assert.doesNotMatch(ps, /never/);
  const all = await runOk(['ps', '-a', '--format', '{{.Names}} {{.Status}}']);
  assert.match(all, /^never Created$/m);
  assert.equal((await runOk(['ps', '-q', '--filter', 'label=tier=web'])).trim(), id.slice(0, 12));
  assert.equal((await runOk(['ps', '-aq', '--filter', 'status=created'])).trim(), exited.slice(0, 12));
  assert.equal((await runOk(['ps', '-aq', '--no-trunc', '--filter', 'name=^up$'])).trim(), id);
  await runOk(['rm', '-f', 'up', 'never']);
});

void test('name or unique ID prefix addresses a container; errors use Docker wording', { skip: !isRoot }, async () => {
  const id = (await runOk(['create', '--name', 'addr', 'busybox', 'true'])).trim();
  made.push(id);
  assert.equal((await inspect(id.slice(0, 6))).Id, id);
  const miss = await d.berth(['inspect', 'nope-nope']);
  assert.equal(miss.code, 1);
  assert.match(miss.stderr, /No such object: nope-nope/);
  const r = await d.berth(['start', 'nope-nope']);
  assert.match(r.stderr, /Error response from daemon: No such container: nope-nope/);
  await runOk(['rename', 'addr', 'addr2']);
  assert.equal((await inspect('addr2')).Name, '/addr2');
  const dup = await d.berth(['create', '--name', 'addr2', 'busybox']);
  assert.equal(dup.code, 1, 'docker 28: create returns daemon errors as they are');
  assert.match(dup.stderr, /Conflict. The container name "\/addr2" is already in use/);
  await runOk(['rm', 'addr2']);
});

void test('wait returns the exit code; restart runs the command again', { skip: !isRoot }, async () => {
  const id = (await runOk(['run', '-d', '--name', 'waiter', 'busybox', 'sh', '-c', 'echo run; sleep 0.3; exit 5'])).trim();
  made.push(id);
  assert.equal((await runOk(['wait', 'waiter'])).trim(), '5');
  await runOk(['restart', 'waiter']);
  assert.equal((await runOk(['wait', 'waiter'])).trim(), '5');
  assert.equal((await d.berth(['logs', 'waiter'])).stdout, 'run\nrun\n');
  await runOk(['rm', 'waiter']);
});

void test('log rotation keeps max-file files of max-size', { skip: !isRoot }, async () => {
  await runOk(['run', '--name', 'chatty', '--log-opt', 'max-size=10k', '--log-opt', 'max-file=2', 'busybox', 'sh', '-c', 'for i in $(seq 1 2000); do echo line-$i; done']);
  const c = await inspect('chatty');
  made.push(c.Id);
  const { readdir, stat } = await import('node:fs/promises');
  const { dirname, basename } = await import('node:path');
  const files = (await readdir(dirname(c.LogPath))).filter((f) => f.startsWith(basename(c.LogPath)));
  assert.equal(files.length, 2, `files: ${files.join(',')}`);
  for (const f of files) assert.ok((await stat(`${dirname(c.LogPath)}/${f}`)).size <= 12 * 1024);
  const logs = (await d.berth(['logs', '--tail', '1', 'chatty'])).stdout;
  assert.equal(logs, 'line-2000\n');
  await runOk(['rm', 'chatty']);
});
