// berthd as a client of berth's own registry server (`berth registry serve`): push, rmi, pull back the same image,
// through the berth CLI and the real docker CLI, all on 127.0.0.1.
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestDaemon, hasDocker, isRoot, run } from '../helpers/daemon.js';
import { serveBerthRegistry } from '../helpers/registry.js';

const skip = !isRoot;
let d: TestDaemon;
let root: string;
let server: ChildProcess | undefined;
let host = '';

before(async () => {
  if (skip) return;
  d = await TestDaemon.start();
  root = await mkdtemp(join(tmpdir(), 'berth-own-registry-'));
  const r = await serveBerthRegistry(root);
  server = r.proc;
  host = r.host;
});

after(async () => {
  if (skip) return;
  if (server && server.exitCode === null) {
    const exited = new Promise((r) => server!.once('exit', r));
    server.kill('SIGTERM');
    await exited;
  }
  await rm(root, { recursive: true, force: true });
  assert.deepEqual(await d.cleanup(), []);
});

async function ok(args: string[]): Promise<string> {
  const r = await d.berth(args);
  assert.equal(r.code, 0, `berth ${args.join(' ')}: ${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

void test('berth push to and pull from berth registry serve: same image, layers stored once, runs', { skip }, async () => {
  const ref = `${host}/own/busybox:1`;
  const id = (await ok(['image', 'inspect', '--format', '{{.Id}}', 'busybox'])).trim();
  await ok(['tag', 'busybox', ref]);
  const pushed = await ok(['push', ref]);
  assert.match(pushed, /Pushed/);
  assert.match(pushed, /1: digest: sha256:[0-9a-f]{64} size: \d+/);
  const digest = /digest: (sha256:[0-9a-f]{64})/.exec(pushed)![1]!;
  // The server holds the blobs under its documented layout, verified.
  assert.ok((await readdir(join(root, 'blobs', 'sha256'))).length > 0);

  await ok(['rmi', ref]);
  const pulled = await ok(['pull', ref]);
  // The image is still held (as busybox:latest): nothing to download, but the name is new again (moby's wording).
  assert.match(pulled, /Status: Downloaded newer image for /);
  assert.doesNotMatch(pulled, /Pull complete/);
  assert.match(pulled, new RegExp(`Digest: ${digest}`));
  assert.equal((await ok(['image', 'inspect', '--format', '{{.Id}}', ref])).trim(), id, 'the same image ID comes back');
  assert.match(await ok(['image', 'inspect', '--format', '{{json .RepoDigests}}', ref]), new RegExp(`${host}/own/busybox@${digest}`));
  assert.match(await ok(['pull', ref]), /Image is up to date/);

  // A fresh image (a new layer) through the whole path: committed, pushed, removed, pulled, run.
  const c = (await ok(['create', 'busybox', 'sh', '-c', 'echo own-registry > /marker'])).trim();
  await ok(['start', '-a', c]);
  const ref2 = `${host}/own/marked:2`;
  await ok(['commit', c, ref2]);
  await ok(['rm', c]);
  await ok(['push', ref2]);
  await ok(['rmi', ref2]);
  const p2 = await ok(['pull', ref2]);
  assert.match(p2, /Pull complete/, 'the new layer is downloaded');
  assert.match(p2, /Already exists/, 'the busybox layer is not');
  assert.equal(await ok(['run', '--rm', ref2, 'cat', '/marker']), 'own-registry\n');
  await ok(['rmi', ref, ref2]);
});

void test('docker CLI through berthd: push to and pull from berth registry serve', { skip: skip || !hasDocker() }, async () => {
  const env = { DOCKER_HOST: d.host, DOCKER_CONFIG: join(d.dir, 'docker-config') };
  const ref = `${host}/own/dk:1`;
  await ok(['tag', 'busybox', ref]);
  const p = await run('docker', ['push', ref], { env });
  assert.equal(p.code, 0, p.stderr);
  assert.match(p.stdout, /1: digest: sha256:[0-9a-f]{64}/);
  await ok(['rmi', ref]);
  const g = await run('docker', ['pull', ref], { env });
  assert.equal(g.code, 0, g.stderr);
  assert.match(g.stdout, /Status: Downloaded newer image for/);
  const r = await run('docker', ['run', '--rm', ref, 'echo', 'from-own'], { env });
  assert.equal(r.stdout, 'from-own\n', r.stderr);
  await ok(['rmi', ref]);
});
