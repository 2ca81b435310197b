// dockerd (Debian's docker.io, on its own data root, exec root and socket, no bridge, no iptables) as a client of
// berth's own registry server, next to berthd: an image pushed by berthd is pulled and run by dockerd; an image
// pushed by dockerd is pulled by berthd. All on 127.0.0.1 (dockerd treats 127.0.0.0/8 as an insecure registry).
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { TestDaemon, isRoot, run, sleep, waitFor } from '../helpers/daemon.js';
import { OciLayout, makeTar, serveBerthRegistry, skopeoCopy } from '../helpers/registry.js';
import { progressBar } from '../../src/images/pull.js';

const hasDockerd = spawnSync('sh', ['-c', 'command -v dockerd && command -v docker']).status === 0;
const skip = !isRoot || !hasDockerd;
// Host paths dockerd may create even with private roots: new empty ones are removed afterwards.
const GLOBAL_DIRS = ['/run/docker', '/run/containerd', '/etc/docker', '/var/lib/docker'];

let d: TestDaemon;
let dir: string;
let registry: { proc: ChildProcess; host: string } | undefined;
let dockerd: ChildProcess | undefined;
let sock = '';
const existedBefore = new Map<string, boolean>();

function dk(args: string[], timeoutMs = 120_000): ReturnType<typeof run> {
  return run('docker', ['-H', `unix://${sock}`, ...args], { env: { DOCKER_CONFIG: join(dir, 'docker-cli') }, timeoutMs });
}

before(async () => {
  if (skip) return;
  for (const p of GLOBAL_DIRS) existedBefore.set(p, existsSync(p));
  d = await TestDaemon.start();
  dir = await mkdtemp(join(tmpdir(), 'berth-dockerd-'));
  registry = await serveBerthRegistry(join(dir, 'registry'));
  await mkdir(join(dir, 'docker-cli'), { recursive: true });
  await writeFile(join(dir, 'docker-cli', 'config.json'), '{}');
  await writeFile(join(dir, 'daemon.json'), JSON.stringify({ 'deprecated-key-path': join(dir, 'key.json') }));
  sock = join(dir, 'docker.sock');
  dockerd = spawn('dockerd', [
    '--data-root', join(dir, 'data'), '--exec-root', join(dir, 'exec'), '-H', `unix://${sock}`,
    '--pidfile', join(dir, 'dockerd.pid'), '--config-file', join(dir, 'daemon.json'),
    '--iptables=false', '--ip6tables=false', '--ip-masq=false', '--bridge=none',
  ], { stdio: ['ignore', 'ignore', 'ignore'], detached: true });
  await waitFor(async () => (await dk(['version'], 10_000)).code === 0, 'dockerd to answer', 90_000);
});

after(async () => {
  if (skip) return;
  if (dockerd && dockerd.exitCode === null) {
    const ids = (await dk(['ps', '-aq'])).stdout.trim();
    if (ids) await dk(['rm', '-f', ...ids.split('\n')]);
    const exited = new Promise((r) => dockerd!.once('exit', r));
    dockerd.kill('SIGTERM');
    const t = setTimeout(() => dockerd!.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(t);
  }
  if (registry && registry.proc.exitCode === null) {
    const exited = new Promise((r) => registry!.proc.once('exit', r));
    registry.proc.kill('SIGTERM');
    await exited;
  }
  // Whatever dockerd left mounted below our directory, deepest first; then the directory.
  const mounts = spawnSync('findmnt', ['-rn', '-o', 'TARGET']).stdout.toString().split('\n').filter((m) => m.startsWith(dir)).sort().reverse();
  for (const m of mounts) spawnSync('umount', ['-l', m]);
  await sleep(100);
  await rm(dir, { recursive: true, force: true });
  // Host directories dockerd made (it did not have them before): removed when they hold only empty directories,
  // else reported as a leak.
  const left: string[] = [];
  const onlyDirs = (q: string): boolean => readdirSync(q, { withFileTypes: true }).every((e) => e.isDirectory() && onlyDirs(join(q, e.name)));
  for (const [p, existed] of existedBefore) {
    if (existed || !existsSync(p)) continue;
    if (onlyDirs(p)) await rm(p, { recursive: true, force: true });
    else left.push(p);
  }
  assert.deepEqual(left, [], 'dockerd left host paths behind');
  assert.deepEqual(await d.cleanup(), []);
});

void test('dockerd pulls and runs what berthd pushed to berth registry serve, and pushes what berthd pulls', { skip, timeout: 300_000 }, async () => {
  const host = registry!.host;
  const id = (await d.berth(['image', 'inspect', '--format', '{{.Id}}', 'busybox'])).stdout.trim();
  const a = `${host}/fromberth/busybox:1`;
  assert.equal((await d.berth(['tag', 'busybox', a])).code, 0);
  const p = await d.berth(['push', a]);
  assert.equal(p.code, 0, p.stderr);

  const pull = await dk(['pull', a]);
  assert.equal(pull.code, 0, pull.stderr);
  assert.match(pull.stdout, /Status: Downloaded newer image for/);
  assert.equal((await dk(['image', 'inspect', '--format', '{{.Id}}', a])).stdout.trim(), id, 'dockerd sees the same image ID');
  const r = await dk(['run', '--rm', '--network', 'none', a, 'sh', '-c', 'echo from-$((40+2))']);
  assert.equal(r.stdout, 'from-42\n', r.stderr);

  const b = `${host}/fromdockerd/busybox:2`;
  assert.equal((await dk(['tag', a, b])).code, 0);
  const push = await dk(['push', b]);
  assert.equal(push.code, 0, push.stderr);
  assert.match(push.stdout, /2: digest: sha256:[0-9a-f]{64} size: \d+/);
  const digest = /digest: (sha256:[0-9a-f]{64})/.exec(push.stdout)![1]!;
  const g = await d.berth(['pull', b]);
  assert.equal(g.code, 0, g.stderr);
  assert.match(g.stdout, new RegExp(`Digest: ${digest}`), 'berthd resolves the manifest dockerd pushed');
  assert.equal((await d.berth(['image', 'inspect', '--format', '{{.Id}}', b])).stdout.trim(), id);
  assert.equal((await d.berth(['run', '--rm', b, 'echo', 'back'])).stdout, 'back\n');
  assert.equal((await d.berth(['rmi', a, b])).code, 0);
  assert.equal((await dk(['rmi', a, b])).code, 0);
});

void test('an archive dockerd saved loads into berthd, and one berthd saved loads into dockerd: same image IDs', { skip, timeout: 300_000 }, async () => {
  // An image made by dockerd itself (a commit on top of busybox, so the archive holds two layers written by dockerd).
  const bb = `${registry!.host}/fromberth/busybox:save`;
  assert.equal((await d.berth(['tag', 'busybox', bb])).code, 0);
  assert.equal((await d.berth(['push', bb])).code, 0);
  assert.equal((await dk(['pull', bb])).code, 0);
  const c = await dk(['run', '-d', '--network', 'none', bb, 'sh', '-c', 'echo made-by-dockerd > /made.txt']);
  assert.equal(c.code, 0, c.stderr);
  const cid = c.stdout.trim();
  assert.equal((await dk(['wait', cid])).stdout.trim(), '0');
  const commit = await dk(['commit', '-c', 'CMD ["cat", "/made.txt"]', cid, 'dockerd-made:1']);
  assert.equal(commit.code, 0, commit.stderr);
  await dk(['rm', '-f', cid]);
  const made = (await dk(['image', 'inspect', '--format', '{{.Id}}', 'dockerd-made:1'])).stdout.trim();
  const fromDocker = join(dir, 'dockerd-save.tar');
  assert.equal((await dk(['save', '-o', fromDocker, 'dockerd-made:1'])).code, 0);
  const load = await d.berth(['load', '-i', fromDocker]);
  assert.equal(load.code, 0, load.stderr);
  assert.match(load.stdout, /Loaded image: dockerd-made:1/);
  assert.equal((await d.berth(['image', 'inspect', '--format', '{{.Id}}', 'dockerd-made:1'])).stdout.trim(), made);
  const r = await d.berth(['run', '--rm', '--network', 'none', 'dockerd-made:1']);
  assert.equal(r.stdout, 'made-by-dockerd\n', r.stderr);

  // The other way: what berthd saves, dockerd 20.10 loads under the same ID.
  const fromBerth = join(dir, 'berthd-save.tar');
  assert.equal((await d.berth(['save', '-o', fromBerth, 'dockerd-made:1'])).code, 0);
  assert.equal((await dk(['rmi', 'dockerd-made:1', bb])).code, 0);
  const back = await dk(['load', '-i', fromBerth]);
  assert.equal(back.code, 0, back.stderr);
  assert.equal((await dk(['image', 'inspect', '--format', '{{.Id}}', 'dockerd-made:1'])).stdout.trim(), made);
  const r2 = await dk(['run', '--rm', '--network', 'none', 'dockerd-made:1']);
  assert.equal(r2.stdout, 'made-by-dockerd\n', r2.stderr);
  assert.equal((await dk(['rmi', 'dockerd-made:1'])).code, 0);
  assert.equal((await d.berth(['rmi', 'dockerd-made:1', bb])).code, 0);
});

/** A gzip layer of exactly `size` bytes: a random file's tar, gzipped, its header padded with a comment (FCOMMENT). */
async function gzipLayerOf(size: number): Promise<{ tar: Buffer; compression: 'gzip'; blob: Buffer }> {
  // Go's gzip reader takes a comment of at most 511 bytes: the random file is sized to leave about 200.
  const data = randomBytes(size);
  let tar = await makeTar({ 'f.bin': data.subarray(0, size - 400) });
  let gz = gzipSync(tar);
  tar = await makeTar({ 'f.bin': data.subarray(0, size - 400 + (size - 200 - gz.length)) });
  gz = gzipSync(tar);
  const pad = size - gz.length;
  assert.ok(pad >= 1 && pad < 500 && gz[3] === 0, `gzip of ${gz.length} bytes, flags ${gz[3]}`);
  const header = Buffer.from(gz.subarray(0, 10));
  header[3] = 0x10; // FCOMMENT: a NUL-terminated comment follows the 10-byte header
  return { tar, compression: 'gzip', blob: Buffer.concat([header, Buffer.alloc(pad - 1, 'x'), Buffer.from([0]), gz.subarray(10)]) };
}

interface ProgressLine { status?: string; id?: string; progress?: string; progressDetail?: { current?: number; total?: number } }

void test('dockerd\'s progress text for its pull is what berth renders for the same numbers', { skip, timeout: 300_000 }, async () => {
  // Layers whose sizes show go-units' rounding: 10625 bytes is an exact tie (10.62kB, ties to even), 999999 bytes
  // rounds up to 1000kB; a 3 MiB one gives many Downloading and Extracting steps.
  const layout = new OciLayout(join(dir, 'progress-layout'));
  const img = await layout.image([
    { tar: await makeTar({ 'big.bin': randomBytes(3 << 20) }), compression: 'gzip' },
    await gzipLayerOf(10_625),
    await gzipLayerOf(999_999),
  ]);
  layout.tag('p', img.descriptor as never);
  await layout.write();
  const ref = `${registry!.host}/progress/img:1`;
  await skopeoCopy(`oci:${join(dir, 'progress-layout')}:p`, `docker://${ref}`);

  const lines = await new Promise<ProgressLine[]>((resolve, reject) => {
    const req = request({ socketPath: sock, method: 'POST', path: `/v1.41/images/create?fromImage=${encodeURIComponent(ref)}` }, (res) => {
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { buf += c; });
      res.on('end', () => resolve(buf.split('\n').filter(Boolean).map((l) => JSON.parse(l) as ProgressLine)));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
  const withProgress = lines.filter((l) => l.progressDetail?.current !== undefined);
  assert.ok(withProgress.length >= 6, JSON.stringify(lines));
  for (const total of [10_625, 999_999]) assert.ok(withProgress.some((l) => l.progressDetail!.total === total), `a message with total ${total}`);
  for (const l of withProgress) {
    assert.equal(progressBar(l.progressDetail!.current!, l.progressDetail!.total), l.progress ?? '', JSON.stringify(l));
  }
  assert.equal((await dk(['rmi', ref])).code, 0);
});
