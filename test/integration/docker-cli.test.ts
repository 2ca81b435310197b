import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { TestDaemon, isRoot, hasDocker, waitFor, BUSYBOX_TAR_SCRIPT, sh } from '../helpers/daemon.js';

// The unmodified docker CLI (docker 28) against berthd.
const skip = !isRoot || !hasDocker();
let d: TestDaemon;

before(async () => {
  if (skip) return;
  d = await TestDaemon.start({ busybox: false });
});
after(async () => {
  if (skip) return;
  assert.deepEqual(await d.cleanup(), []);
});

async function ok(args: string[]): Promise<string> {
  const r = await d.docker(args);
  assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

void test('docker version and info talk to berthd', { skip }, async () => {
  const v = await ok(['version', '--format', '{{.Server.APIVersion}} {{.Server.Os}}']);
  assert.equal(v.trim(), '1.45 linux');
  const info = await ok(['info', '--format', '{{.Driver}} {{.OSType}} {{.DefaultRuntime}}']);
  assert.equal(info.trim(), 'overlay2 linux runc');
});

void test('docker import, images, image inspect, tag and rmi', { skip }, async () => {
  const r = await sh(`bash ${BUSYBOX_TAR_SCRIPT} | DOCKER_HOST=${d.host} docker import -c 'CMD ["sh"]' -c 'ENV GREETING=hi' - busybox:latest`);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^sha256:[0-9a-f]{64}$/m);
  const images = await ok(['images']);
  assert.match(images, /^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE$/m);
  assert.match(images, /^busybox\s+latest\s+[0-9a-f]{12}\s+/m);
  const cfg = JSON.parse(await ok(['image', 'inspect', '--format', '{{json .Config}}', 'busybox']));
  assert.deepEqual(cfg.Cmd, ['sh']);
  assert.ok(cfg.Env.includes('GREETING=hi'));
  await ok(['tag', 'busybox', 'mybox:1.0']);
  assert.match(await ok(['images', 'mybox']), /^mybox\s+1\.0\s/m);
  const rmi = await ok(['rmi', 'mybox:1.0']);
  assert.match(rmi, /^Untagged: mybox:1.0$/m);
  const q = await ok(['images', '-q']);
  assert.equal(q.trim().split('\n').length, 1);
});

void test('docker run: output, exit code, env, workdir, user, entrypoint', { skip }, async () => {
  const r = await d.docker(['run', '--rm', '-e', 'A=1', '-w', '/tmp', '-u', 'nobody', 'busybox', 'sh', '-c', 'echo $A $(pwd) $(id -u); echo oops >&2; exit 4']);
  assert.equal(r.code, 4);
  assert.equal(r.stdout, '1 /tmp 65534\n');
  assert.equal(r.stderr, 'oops\n');
  const e = await d.docker(['run', '--rm', '--entrypoint', 'echo', 'busybox', 'from', 'entrypoint']);
  assert.equal(e.stdout, 'from entrypoint\n');
  const nf = await d.docker(['run', '--rm', 'busybox', 'no-such-binary']);
  assert.equal(nf.code, 127, nf.stderr);
  const na = await d.docker(['run', '--rm', 'busybox', '/etc/passwd']);
  assert.equal(na.code, 126, na.stderr);
  const bad = await d.docker(['run', '--rm', 'nosuchimage-here']);
  assert.equal(bad.code, 125);
});

void test('docker run -d, ps, logs, inspect, stop, start, restart, kill, rm', { skip }, async () => {
  const id = (await ok(['run', '-d', '--name', 'web', 'busybox', 'sh', '-c', 'trap "exit 0" TERM; while true; do echo alive; sleep 0.2; done'])).trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  const ps = await ok(['ps']);
  assert.match(ps, new RegExp(`^${id.slice(0, 12)}\\s+busybox\\s+"sh -c 'trap \\\\"exit 0…"\\s+.*Up .*\\s+web$`, 'm'));
  assert.equal((await ok(['ps', '-q'])).trim(), id.slice(0, 12));
  assert.equal((await ok(['ps', '--format', '{{.Names}}\t{{.State}}'])).trim(), 'web\trunning');
  await waitFor(async () => (await ok(['logs', '--tail', '2', 'web'])).split('\n').filter(Boolean).length === 2, 'two log lines');
  const ts = await ok(['logs', '-t', '--tail', '1', 'web']);
  assert.match(ts, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z alive$/m);
  assert.equal((await ok(['inspect', '-f', '{{.State.Status}} {{.Name}} {{.Config.Image}}', 'web'])).trim(), 'running /web busybox');
  await ok(['pause', 'web']);
  assert.equal((await ok(['inspect', '-f', '{{.State.Status}}', 'web'])).trim(), 'paused');
  assert.match(await ok(['ps']), /Up .* \(Paused\)/);
  await ok(['unpause', 'web']);
  assert.equal((await ok(['stop', 'web'])).trim(), 'web');
  assert.equal((await ok(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', 'web'])).trim(), 'exited 0');
  assert.match(await ok(['ps', '-a']), /Exited \(0\) .* ago\s+web$/m);
  await ok(['start', 'web']);
  await ok(['restart', '-t', '1', 'web']);
  assert.equal((await ok(['inspect', '-f', '{{.State.Running}}', 'web'])).trim(), 'true');
  await ok(['kill', 'web']);
  assert.equal((await ok(['wait', 'web'])).trim(), '137');
  const rmRunning = await ok(['run', '-d', '--name', 'busy', 'busybox', 'sleep', '100']);
  const rm = await d.docker(['rm', 'busy']);
  assert.equal(rm.code, 1);
  assert.match(rm.stderr, /container is running: stop the container before removing or force remove/);
  await ok(['rm', '-f', 'busy', 'web']);
  assert.equal((await ok(['ps', '-aq'])).trim(), '');
  void rmRunning;
});

void test('docker create + start, rename, wait, and errors', { skip }, async () => {
  const id = (await ok(['create', '--name', 'job', 'busybox', 'sh', '-c', 'exit 9'])).trim();
  assert.equal((await ok(['inspect', '-f', '{{.State.Status}}', id])).trim(), 'created');
  await ok(['rename', 'job', 'job2']);
  await ok(['start', 'job2']);
  assert.equal((await ok(['wait', 'job2'])).trim(), '9');
  const miss = await d.docker(['stop', 'ghost']);
  assert.equal(miss.code, 1);
  assert.match(miss.stderr, /Error response from daemon: No such container: ghost/);
  const nothing = await d.docker(['inspect', 'ghost']);
  assert.equal(nothing.code, 1);
  assert.match(nothing.stderr, /No such object: ghost/);
  await ok(['rm', 'job2']);
});
