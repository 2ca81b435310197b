import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFile } from '../base/index.js';
import { isAlive, processState } from '../sys/index.js';
import { ConmonRuntime, parseSignal, runtimeErrorMessage } from './index.js';
import { makeHarness, until, type Harness } from './testutil.js';

let h: Harness;
let rt: ConmonRuntime;
const created: { id: string; conmonPid?: number }[] = [];

before(async () => {
  h = await makeHarness();
  rt = new ConmonRuntime({
    stateDir: h.stateDir,
    runcRoot: h.runcRoot,
    handlers: [{ name: 'runc', path: '/usr/sbin/runc' }, { name: 'crun', path: '/usr/bin/crun' }],
  });
});

afterEach(async () => {
  for (const c of created.splice(0)) {
    await rt.delete(c.id, { force: true });
    if (c.conmonPid) await until(() => !isAlive(c.conmonPid!), 5000, `conmon ${c.conmonPid} to exit`);
    assert.deepEqual(await h.leftovers(c.id), [], `leftovers of ${c.id}`);
  }
});

after(async () => {
  await h.dispose();
});

async function run(args: string[], extra: Parameters<Harness['bundle']>[2] = {}, runtime = 'runc') {
  const id = h.newId();
  const bundle = await h.bundle(id, args, extra);
  const logPath = join(h.dir, 'logs', `${id}.log`);
  const entry: { id: string; conmonPid?: number } = { id };
  created.push(entry);
  const r = await rt.create(id, { bundle, runtime, logPath });
  entry.conmonPid = r.conmonPid;
  return { id, logPath, ...r };
}

void test('parseSignal and runtimeErrorMessage', () => {
  assert.equal(parseSignal('TERM'), 15);
  assert.equal(parseSignal('SIGTERM'), 15);
  assert.equal(parseSignal(15), 15);
  assert.equal(parseSignal('9'), 9);
  assert.equal(parseSignal('sigkill'), 9);
  assert.equal(parseSignal('RTMIN+1'), 35);
  assert.throws(() => parseSignal('NOPE'), /invalid signal/);
  assert.equal(
    runtimeErrorMessage('time="2026" level=error msg="exec: \\"foo\\": executable file not found in $PATH"\n'),
    'exec: "foo": executable file not found in $PATH',
  );
  assert.equal(runtimeErrorMessage('{"level":"error","msg":"boom","time":"x"}\n'), 'boom');
});

void test('exit code and k8s-file log of stdout and stderr', async () => {
  const c = await run(['sh', '-c', 'echo out; echo err >&2; exit 3']);
  assert.ok(c.pid > 0 && c.conmonPid > 0);
  assert.equal((await rt.state(c.id))?.status, 'created');
  assert.equal(await rt.exitInfo(c.id), undefined);
  assert.deepEqual(await rt.list(), [c.id]);
  assert.equal(rt.shimAlive(c.id), true);
  await rt.start(c.id);
  const info = await rt.waitExit(c.id);
  assert.equal(info.exitCode, 3);
  assert.equal(info.oomKilled, false);
  assert.ok(Math.abs(info.exitedAt.getTime() - Date.now()) < 10_000);
  assert.deepEqual(await rt.exitInfo(c.id), info);
  assert.equal((await rt.state(c.id))?.status, 'stopped');
  const logText = await readFile(c.logPath, 'utf8');
  assert.match(logText, /^\S+ stdout F out$/m);
  assert.match(logText, /^\S+ stderr F err$/m);
  // waitExit on an already exited container resolves at once
  assert.deepEqual(await rt.waitExit(c.id), info);
  await until(() => !rt.shimAlive(c.id), 5000, 'conmon to exit');
  await assert.rejects(rt.kill(c.id, 'TERM'), /not running/);
  await rt.delete(c.id);
  await rt.delete(c.id); // idempotent
  assert.equal(await rt.state(c.id), undefined);
  assert.deepEqual(await rt.list(), []);
});

void test('TERM: ignored by a handler-less PID 1 (pid namespace), KILL gives 137', async () => {
  const c = await run(['sleep', '100']);
  await rt.start(c.id);
  assert.equal((await rt.state(c.id))?.status, 'running');
  await rt.kill(c.id, 'TERM');
  await new Promise((r) => setTimeout(r, 300));
  assert.equal((await rt.state(c.id))?.status, 'running', 'the kernel drops TERM for a PID 1 without a handler');
  await rt.kill(c.id, 'SIGKILL');
  assert.equal((await rt.waitExit(c.id)).exitCode, 137);
});

void test('kill TERM of sleep 100 under a shell that exits on TERM gives 143; kill --all', async () => {
  const c = await run(['sh', '-c', 'trap "exit 143" TERM; sleep 100 & wait']);
  await rt.start(c.id);
  await until(async () => (await readFile(`/proc/${c.pid}/task/${c.pid}/children`, 'utf8')).trim() !== '', 5000, 'sleep to start');
  await rt.kill(c.id, 15, { all: true });
  const info = await rt.waitExit(c.id);
  assert.equal(info.exitCode, 143);
});

void test('pause and resume a counter loop', async () => {
  const c = await run(['sh', '-c', 'i=0; while true; do i=$((i+1)); echo $i; sleep 0.05; done']);
  await rt.start(c.id);
  const lines = async () => (await readFile(c.logPath, 'utf8')).split('\n').filter(Boolean).length;
  await until(async () => (await lines()) >= 3, 5000, 'counter output');
  await rt.pause(c.id);
  assert.equal((await rt.state(c.id))?.status, 'paused');
  await assert.rejects(rt.pause(c.id), /already paused/);
  const n1 = await lines();
  await new Promise((r) => setTimeout(r, 400));
  assert.equal(await lines(), n1, 'no output while paused');
  await rt.resume(c.id);
  assert.equal((await rt.state(c.id))?.status, 'running');
  await until(async () => (await lines()) > n1 + 2, 5000, 'output after resume');
  await assert.rejects(rt.delete(c.id), /stop the container/);
  await rt.kill(c.id, 'KILL');
  assert.equal((await rt.waitExit(c.id)).exitCode, 137);
});

void test('memory limit: OOM kill gives 137 and oomKilled', async () => {
  const c = await run(['sh', '-c', 'echo start; head -c 200m /dev/zero | tail'], { memoryBytes: 16 * 1024 * 1024 });
  await rt.start(c.id);
  const info = await rt.waitExit(c.id);
  assert.equal(info.exitCode, 137);
  assert.equal(info.oomKilled, true);
});

void test('a non-existent command fails create with the runtime wording and leaves nothing', async () => {
  const id = h.newId();
  const bundle = await h.bundle(id, ['foo']);
  await assert.rejects(rt.create(id, { bundle, runtime: 'runc', logPath: join(h.dir, 'logs', `${id}.log`) }), (err: Error) => {
    assert.match(err.message, /exec: "foo": executable file not found in \$PATH/);
    assert.equal((err as { kind?: string }).kind, 'failed-precondition');
    return true;
  });
  assert.deepEqual(await h.leftovers(id), []);
  assert.deepEqual(await rt.list(), []);
  assert.equal(await rt.state(id), undefined);
  await assert.rejects(rt.start(id), /No such container/);
});

void test('a non-executable file fails with permission denied', async () => {
  const id = h.newId();
  const bundle = await h.bundle(id, ['/bin/noexec']);
  await assert.rejects(rt.create(id, { bundle, runtime: 'runc', logPath: join(h.dir, 'logs', `${id}.log`) }), /permission denied/);
  assert.deepEqual(await h.leftovers(id), []);
});

void test('unknown handler and bad ids are rejected; delete of a created container', async () => {
  await assert.rejects(rt.create('x1', { bundle: h.dir, runtime: 'nope', logPath: '/dev/null' }), /unknown or invalid runtime/);
  await assert.rejects(rt.create('../x', { bundle: h.dir, runtime: 'runc', logPath: '/dev/null' }), /invalid container id/);
  const c = await run(['sleep', '100']);
  await assert.rejects(rt.create(c.id, { bundle: h.dir, runtime: 'runc', logPath: '/dev/null' }), /already exists/);
  await rt.delete(c.id); // created (not started) containers need no force
  await until(() => !isAlive(c.conmonPid), 5000, 'conmon to exit');
});

void test('waitExit can be aborted', async () => {
  const c = await run(['sleep', '100']);
  await rt.start(c.id);
  const ac = new AbortController();
  const p = rt.waitExit(c.id, ac.signal);
  setTimeout(() => ac.abort(), 100);
  await assert.rejects(p, /cancelled/);
});

void test('conmon survives its creator; a new instance sees the container, waits and reads the exit code', async () => {
  const id = h.newId();
  const bundle = await h.bundle(id, ['sh', '-c', 'while [ ! -e /tmp/go ]; do sleep 0.05; done; echo bye; exit 7']);
  const logPath = join(h.dir, 'logs', `${id}.log`);
  const entry: { id: string; conmonPid?: number } = { id };
  created.push(entry);
  const compiled = import.meta.url.endsWith('.js');
  const script = new URL(compiled ? './test-creator.js' : './test-creator.ts', import.meta.url).pathname;
  const r = await execFile(process.execPath, [...(compiled ? [] : ['--import', 'tsx']), script, JSON.stringify({ stateDir: h.stateDir, runcRoot: h.runcRoot, id, bundle, logPath })], {
    cwd: new URL('../..', import.meta.url).pathname,
  });
  const out = JSON.parse(r.stdout) as { pid: number; conmonPid: number; creatorPid: number };
  entry.conmonPid = out.conmonPid;
  assert.equal(isAlive(out.creatorPid), false, 'creator has exited');
  assert.equal(isAlive(out.conmonPid), true);
  const ppid = Number(readFileSync(`/proc/${out.conmonPid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
  assert.notEqual(ppid, out.creatorPid);
  assert.notEqual(ppid, process.pid);

  const rt2 = new ConmonRuntime({ stateDir: h.stateDir, runcRoot: h.runcRoot, handlers: [{ name: 'runc', path: '/usr/sbin/runc' }] });
  assert.deepEqual(await rt2.list(), [id]);
  assert.equal(rt2.shimAlive(id), true);
  assert.deepEqual(await rt2.state(id), { status: 'running', pid: out.pid });
  const waiting = rt2.waitExit(id);
  await writeFile(`/proc/${out.pid}/root/tmp/go`, '');
  const info = await waiting;
  assert.equal(info.exitCode, 7);
  assert.equal((await rt2.exitInfo(id))?.exitCode, 7);
  assert.match(await readFile(logPath, 'utf8'), /stdout F bye/);
  await until(() => processState(out.conmonPid) === undefined || processState(out.conmonPid) === 'Z', 5000, 'conmon to exit');
  assert.equal(rt2.shimAlive(id), false);
});

void test('conmon killed: waitExit still resolves (255) once the container is gone', async () => {
  const c = await run(['sleep', '100']);
  await rt.start(c.id);
  process.kill(c.conmonPid, 'SIGKILL');
  await until(() => !rt.shimAlive(c.id), 5000, 'conmon to die');
  const p = rt.waitExit(c.id);
  await execFile('/usr/sbin/runc', [`--root=${h.runcRoot}`, 'kill', c.id, 'KILL']);
  assert.equal((await p).exitCode, 255);
});

void test('crun through the hybrid-cgroups wrapper: exit code, log, pause/resume, OOM', async () => {
  const c = await run(['sh', '-c', 'echo hi; exit 5'], {}, 'crun');
  await rt.start(c.id);
  assert.equal((await rt.waitExit(c.id)).exitCode, 5);
  assert.match(await readFile(c.logPath, 'utf8'), /stdout F hi/);

  const d = await run(['sh', '-c', 'while true; do sleep 0.05; done'], {}, 'crun');
  await rt.start(d.id);
  await rt.pause(d.id);
  assert.equal((await rt.state(d.id))?.status, 'paused');
  await rt.resume(d.id);
  assert.equal((await rt.state(d.id))?.status, 'running');
  await rt.kill(d.id, 'KILL');
  assert.equal((await rt.waitExit(d.id)).exitCode, 137);

  const o = await run(['sh', '-c', 'head -c 200m /dev/zero | tail'], { memoryBytes: 16 * 1024 * 1024 }, 'crun');
  await rt.start(o.id);
  const info = await rt.waitExit(o.id);
  assert.equal(info.exitCode, 137);
  assert.equal(info.oomKilled, true);
});
