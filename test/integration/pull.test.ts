// Pull from a real registry (Debian's docker-registry, distribution 2.8) on 127.0.0.1, seeded with skopeo.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { BERTH, BUSYBOX_TAR_SCRIPT, TestDaemon, hasDocker, isRoot, rawJsonStream, run, sleep, waitFor, type RawStream } from '../helpers/daemon.js';
import { CountingProxy, OciLayout, TestRegistry, makeTar, runBuf, sha256, skopeoCopy } from '../helpers/registry.js';

async function blobFiles(d: TestDaemon): Promise<string[]> {
  return (await readdir(join(d.dataRoot, 'content', 'blobs', 'sha256'))).sort();
}

async function overlayDirs(d: TestDaemon): Promise<string[]> {
  return (await readdir(join(d.dataRoot, 'overlay'))).sort();
}

function rawPull(d: TestDaemon, image: string): RawStream {
  return rawJsonStream(d, `/v1.45/images/create?fromImage=${encodeURIComponent(image)}`);
}

/** Every blob's bytes hash to its name and no ingest is left. */
async function storeIsClean(d: TestDaemon): Promise<void> {
  for (const name of await blobFiles(d)) {
    assert.equal(sha256(await readFile(join(d.dataRoot, 'content', 'blobs', 'sha256', name))), `sha256:${name}`);
  }
}

void describe('pull from docker-registry', { skip: !isRoot }, () => {
  let reg: TestRegistry;
  let proxy: CountingProxy;
  let d: TestDaemon;
  let work: string;
  let R: string; // registry address as berthd sees it (through the proxy)
  const imgs: Record<string, { manifestDigest: string; configDigest: string; layerDigests: string[] }> = {};

  before(async () => {
    reg = await TestRegistry.start();
    proxy = await new CountingProxy(reg.addr).start();
    R = proxy.addr;
    work = await mkdtemp(join(tmpdir(), 'berth-pull-'));
    const layout = new OciLayout(join(work, 'layout'));
    const busybox = await runBuf('bash', [BUSYBOX_TAR_SCRIPT]);
    const bb = await layout.image([{ tar: busybox, compression: 'gzip' }]);
    layout.tag('busybox', bb.descriptor as never);
    const shared = [
      { tar: busybox, compression: 'gzip' as const },
      { tar: await makeTar({ 'a.txt': 'layer a (zstd)\n' }), compression: 'zstd' as const },
      { tar: await makeTar({ 'b.txt': 'layer b (plain)\n' }), compression: 'none' as const },
    ];
    const four1 = await layout.image([...shared, { tar: await makeTar({ 'c.txt': 'layer c one\n' }), compression: 'gzip' }], { cmd: ['cat', '/a.txt'] });
    const four2 = await layout.image([...shared, { tar: await makeTar({ 'c.txt': 'layer c two\n' }), compression: 'gzip' }]);
    layout.tag('four1', four1.descriptor as never);
    layout.tag('four2', four2.descriptor as never);
    const arm = await layout.image([{ tar: await makeTar({ 'arch.txt': 'arm64\n' }), compression: 'gzip' }], { arch: 'arm64' });
    const idx = await layout.index([bb.descriptor, arm.descriptor]);
    layout.tag('multi', { mediaType: 'application/vnd.oci.image.index.v1+json', ...idx });
    const tamper = await layout.image([{ tar: await makeTar({ 't.txt': 'original\n' }), compression: 'gzip' }]);
    layout.tag('tamper', tamper.descriptor as never);
    const slow = await layout.image([{ tar: await makeTar({ 'big.bin': randomBytes(3 << 20).toString('base64') }), compression: 'none' }]);
    layout.tag('slow', slow.descriptor as never);
    const flaky = await layout.image([
      { tar: await makeTar({ 'flaky.bin': randomBytes(1536 << 10) }), compression: 'gzip' },
      { tar: await makeTar({ 'steady.txt': 'a layer that downloads fine\n' }), compression: 'gzip' },
    ]);
    layout.tag('flaky', flaky.descriptor as never);
    await layout.write();
    const src = (t: string): string => `oci:${join(work, 'layout')}:${t}`;
    await skopeoCopy(src('busybox'), `docker://${reg.addr}/test/busybox:latest`);
    await skopeoCopy(src('busybox'), `docker://${reg.addr}/test/busybox-v2:latest`, ['--format', 'v2s2']);
    await skopeoCopy(src('four1'), `docker://${reg.addr}/test/four:1`);
    await skopeoCopy(src('four2'), `docker://${reg.addr}/test/four:2`);
    await skopeoCopy(src('multi'), `docker://${reg.addr}/test/multi:latest`, ['--all']);
    await skopeoCopy(src('tamper'), `docker://${reg.addr}/test/tamper:latest`);
    await skopeoCopy(src('slow'), `docker://${reg.addr}/test/slow:latest`);
    await skopeoCopy(src('flaky'), `docker://${reg.addr}/test/flaky:latest`);
    Object.assign(imgs, { bb, four1, four2, arm, tamper, slow, flaky });
    // Retries of failed layer downloads wait 10 ms, 20 ms... here (dockerd: 5 s, 10 s...).
    d = await TestDaemon.start({ busybox: false, config: { 'transfer-retry-delay': 10 } });
  });

  after(async () => {
    const leaks = d ? await d.cleanup() : [];
    await proxy?.stop();
    await reg?.stop();
    if (work) await rm(work, { recursive: true, force: true });
    assert.deepEqual(leaks, []);
  });

  void test('pull by tag shows Docker progress, records RepoDigests; a second pull transfers no layer', async () => {
    proxy.blobGets = [];
    const r = await d.berth(['pull', `${R}/test/busybox`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Using default tag: latest/);
    assert.match(r.stdout, /latest: Pulling from test\/busybox/);
    const sid = imgs['bb']!.layerDigests[0]!.slice(7, 19);
    assert.match(r.stdout, new RegExp(`${sid}: Pull complete`));
    assert.match(r.stdout, new RegExp(`Digest: ${imgs['bb']!.manifestDigest}`));
    assert.match(r.stdout, new RegExp(`Status: Downloaded newer image for ${R}/test/busybox:latest`));
    assert.ok(proxy.blobGets.includes(imgs['bb']!.layerDigests[0]!));
    const insp = JSON.parse((await d.berth(['image', 'inspect', `${R}/test/busybox`])).stdout) as Array<{ Id: string; RepoDigests: string[]; RepoTags: string[] }>;
    assert.equal(insp[0]!.Id, imgs['bb']!.configDigest);
    assert.deepEqual(insp[0]!.RepoDigests, [`${R}/test/busybox@${imgs['bb']!.manifestDigest}`]);
    const run = await d.berth(['run', '--rm', '--network', 'none', `${R}/test/busybox`, 'echo', 'pulled-ok']);
    assert.equal(run.stdout, 'pulled-ok\n', run.stderr);

    proxy.blobGets = [];
    const again = await d.berth(['pull', `${R}/test/busybox:latest`]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, new RegExp(`Status: Image is up to date for ${R}/test/busybox:latest`));
    assert.deepEqual(proxy.blobGets, []);
    await storeIsClean(d);
  });

  void test('pull by digest of a Docker schema2 manifest of a held image fetches nothing', async () => {
    const m = JSON.parse((await runBuf('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${reg.addr}/test/busybox-v2:latest`])).toString()) as { mediaType: string };
    assert.equal(m.mediaType, 'application/vnd.docker.distribution.manifest.v2+json');
    const raw = await runBuf('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${reg.addr}/test/busybox-v2:latest`]);
    const digest = sha256(raw);
    proxy.blobGets = [];
    const r = await d.berth(['pull', `${R}/test/busybox-v2@${digest}`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`${digest}: Pulling from test/busybox-v2`));
    // The image is held, but not under this digest reference yet: moby says "Downloaded newer image", and "Image is
    // up to date" once the reference exists.
    assert.match(r.stdout, /Status: Downloaded newer image for /);
    const again = await d.berth(['pull', `${R}/test/busybox-v2@${digest}`]);
    assert.match(again.stdout, /Status: Image is up to date for /);
    assert.deepEqual(proxy.blobGets, []);
    const insp = JSON.parse((await d.berth(['image', 'inspect', `${R}/test/busybox-v2@${digest}`])).stdout) as Array<{ RepoDigests: string[]; RepoTags: string[] }>;
    assert.ok(insp[0]!.RepoDigests.includes(`${R}/test/busybox-v2@${digest}`));
  });

  void test('zstd, plain and gzip layers; an image sharing 3 of 4 layers fetches one; pull -a', async () => {
    proxy.blobGets = [];
    const r1 = await d.berth(['pull', `${R}/test/four:1`]);
    assert.equal(r1.code, 0, r1.stderr);
    assert.deepEqual(proxy.blobGets.filter((g) => g !== imgs['four1']!.configDigest).sort(), imgs['four1']!.layerDigests.slice(1).sort());
    const run = await d.berth(['run', '--rm', '--network', 'none', `${R}/test/four:1`, 'cat', '/a.txt', '/b.txt', '/c.txt']);
    assert.equal(run.stdout, 'layer a (zstd)\nlayer b (plain)\nlayer c one\n', run.stderr);
    proxy.blobGets = [];
    const r2 = await d.berth(['pull', `${R}/test/four:2`]);
    assert.equal(r2.code, 0, r2.stderr);
    assert.deepEqual(proxy.blobGets.filter((g) => g !== imgs['four2']!.configDigest), [imgs['four2']!.layerDigests[3]]);
    assert.equal((r2.stdout.match(/Already exists/g) ?? []).length, 3);
    proxy.blobGets = [];
    const all = await d.berth(['pull', '-a', `${R}/test/four`]);
    assert.equal(all.code, 0, all.stderr);
    assert.match(all.stdout, /1: Pulling from test\/four/);
    assert.match(all.stdout, /2: Pulling from test\/four/);
    assert.match(all.stdout, /Status: Image is up to date for /);
    assert.deepEqual(proxy.blobGets, []);
    await storeIsClean(d);
  });

  void test('an OCI index: linux/amd64 by default, --platform linux/arm64', async () => {
    const r = await d.berth(['pull', `${R}/test/multi`]);
    assert.equal(r.code, 0, r.stderr);
    let insp = JSON.parse((await d.berth(['image', 'inspect', `${R}/test/multi`])).stdout) as Array<{ Id: string; Architecture: string }>;
    assert.equal(insp[0]!.Architecture, 'amd64');
    assert.equal(insp[0]!.Id, imgs['bb']!.configDigest);
    const r2 = await d.berth(['pull', '--platform', 'linux/arm64', `${R}/test/multi`]);
    assert.equal(r2.code, 0, r2.stderr);
    insp = JSON.parse((await d.berth(['image', 'inspect', `${R}/test/multi`])).stdout) as typeof insp;
    assert.equal(insp[0]!.Architecture, 'arm64');
    assert.equal(insp[0]!.Id, imgs['arm']!.configDigest);
    const bad = await d.berth(['pull', '--platform', 'linux/s390x', `${R}/test/multi`]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /no matching manifest for linux\/s390x/);
  });

  void test('a missing tag is a clear error', async () => {
    const r = await d.berth(['pull', `${R}/test/busybox:nosuch`]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /manifest for .*test\/busybox:nosuch not found: manifest unknown/);
  });

  void test('a tampered blob fails with a digest error and stores nothing', async () => {
    const layer = imgs['tamper']!.layerDigests[0]!;
    const original = await readFile(reg.blobPath(layer));
    const evil = gzipSync(await makeTar({ 't.txt': 'evil!!!!\n' }));
    const forged = Buffer.concat([evil, Buffer.alloc(Math.max(0, original.length - evil.length))]).subarray(0, original.length);
    await writeFile(reg.blobPath(layer), forged);
    const blobsBefore = await blobFiles(d);
    const layersBefore = (await readdir(join(d.dataRoot, 'overlay'))).sort();
    proxy.blobGets = [];
    try {
      const r = await d.berth(['pull', `${R}/test/tamper`]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /verification failed for digest sha256:/);
      assert.doesNotMatch(r.stdout, /Retrying in/, 'a digest mismatch is not retried');
      assert.deepEqual(proxy.blobGets.filter((g) => g === layer), [layer]);
      assert.deepEqual(await blobFiles(d), blobsBefore);
      assert.deepEqual((await readdir(join(d.dataRoot, 'overlay'))).sort(), layersBefore);
      assert.deepEqual(await readdir(join(d.dataRoot, 'content', 'ingest')), []);
      assert.notEqual((await d.berth(['image', 'inspect', `${R}/test/tamper`])).code, 0);
    } finally {
      await writeFile(reg.blobPath(layer), original);
    }
  });

  void test('a layer download reset mid-body is retried alone: the pull succeeds, "Retrying in" shown, store clean', async () => {
    const [flakyLayer, steadyLayer] = imgs['flaky']!.layerDigests as [string, string];
    const aborts = proxy.blobAborts;
    proxy.blobGets = [];
    proxy.cutBlobs.set(flakyLayer, 1);
    let r;
    try {
      r = await d.berth(['pull', `${R}/test/flaky`]);
    } finally {
      proxy.cutBlobs.clear();
    }
    assert.equal(r.code, 0, r.stderr);
    const sid = flakyLayer.slice(7, 19);
    assert.match(r.stdout, new RegExp(`${sid}: Retrying in 1 second\n`));
    assert.match(r.stdout, new RegExp(`${sid}: Pull complete\n`));
    assert.match(r.stdout, /Status: Downloaded newer image/);
    assert.equal(proxy.blobAborts, aborts + 1, 'the first download was cut');
    assert.deepEqual(proxy.blobGets.filter((g) => g === flakyLayer), [flakyLayer, flakyLayer], 'the cut layer fetched again');
    assert.deepEqual(proxy.blobGets.filter((g) => g === steadyLayer), [steadyLayer], 'the other layer fetched once');
    await storeIsClean(d);
    assert.deepEqual(await readdir(join(d.dataRoot, 'content', 'ingest')), []);
    assert.deepEqual((await overlayDirs(d)).filter((n) => n.startsWith('.')), [], 'no overlay/.tmp-* left');
    const inspect = await d.berth(['image', 'inspect', '--format', '{{.Id}} {{len .RootFS.Layers}}', `${R}/test/flaky`]);
    assert.equal(inspect.stdout, `${imgs['flaky']!.configDigest} 2\n`, inspect.stderr);
    assert.equal((await d.berth(['rmi', `${R}/test/flaky`])).code, 0);
  });

  void test('a layer answered 500 every time: a clear error after 5 retries, nothing left; a 403 is not retried', async () => {
    const layer = imgs['flaky']!.layerDigests[0]!;
    const blobsBefore = await blobFiles(d);
    const layersBefore = await overlayDirs(d);
    let status = 500;
    let answered = 0;
    proxy.intercept = (req, res) => {
      if (req.method !== 'GET' || !req.url?.endsWith(`/blobs/${layer}`)) return false;
      answered++;
      req.resume();
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ code: status === 500 ? 'UNKNOWN' : 'DENIED', message: 'injected failure' }] }));
      return true;
    };
    try {
      let r = await d.berth(['pull', `${R}/test/flaky`]);
      assert.equal(r.code, 1, r.stdout);
      assert.match(r.stderr, new RegExp(`fetching blob ${layer}: unknown: injected failure`));
      assert.equal(answered, 6, 'the first attempt and 5 retries');
      assert.equal((r.stdout.match(/Retrying in 1 second\n/g) ?? []).length, 5, r.stdout);
      status = 403;
      answered = 0;
      r = await d.berth(['pull', `${R}/test/flaky`]);
      assert.equal(r.code, 1, r.stdout);
      assert.match(r.stderr, /denied: injected failure/);
      assert.equal(answered, 1, 'a 403 is not retried');
      assert.doesNotMatch(r.stdout, /Retrying/);
    } finally {
      proxy.intercept = undefined;
    }
    assert.ok(await d.ping(), 'the daemon is healthy');
    assert.deepEqual(await blobFiles(d), blobsBefore);
    assert.deepEqual(await overlayDirs(d), layersBefore, 'no layer and no overlay/.tmp-* left');
    assert.deepEqual(await readdir(join(d.dataRoot, 'content', 'ingest')), []);
    assert.notEqual((await d.berth(['image', 'inspect', `${R}/test/flaky`])).code, 0);
  });

  void test('two pulls needing the same layers at once fetch each of them once', async () => {
    // Shared: the busybox layer (held by test/busybox: "Already exists") and two small ones, fetched here.
    const shared = imgs['four1']!.layerDigests.filter((l) => imgs['four2']!.layerDigests.includes(l) && l !== imgs['bb']!.layerDigests[0]);
    assert.equal(shared.length, 2);
    // Removed by ID: every reference goes (tags, and the digests of earlier pulls), so no shared layer is held.
    await d.berth(['rmi', '-f', imgs['four1']!.configDigest, imgs['four2']!.configDigest]);
    proxy.blobGets = [];
    proxy.throttle = 512; // bytes per 100 ms: each small layer takes seconds
    try {
      const a = d.berth(['pull', `${R}/test/four:1`]);
      // The second pull starts while the first is fetching the shared layers.
      await waitFor(() => shared.every((l) => proxy.blobGets.includes(l)), 'the first pull fetching the shared layers');
      const b = await d.berth(['pull', `${R}/test/four:2`]);
      assert.equal(b.code, 0, b.stderr);
      assert.equal((await a).code, 0);
      assert.match(b.stdout, /Waiting/);
    } finally {
      proxy.throttle = 0;
    }
    for (const l of shared) assert.equal(proxy.blobGets.filter((g) => g === l).length, 1, `${l} fetched once`);
    await storeIsClean(d);
    assert.equal((await d.berth(['run', '--rm', '--network', 'none', `${R}/test/four:2`, 'cat', '/c.txt'])).stdout, 'layer c two\n');
  });

  void test('a pull killed halfway, then repeated, succeeds and leaves a clean store', async () => {
    const layer = imgs['slow']!.layerDigests[0]!;
    proxy.throttle = 64 << 10;
    proxy.blobGets = [];
    const cli = spawn(BERTH, ['-H', d.host, 'pull', `${R}/test/slow`], { stdio: 'ignore' });
    const cliDone = new Promise((r) => cli.once('exit', r));
    try {
      await waitFor(async () => proxy.blobGets.includes(layer) && (await readdir(join(d.dataRoot, 'content', 'ingest'))).length > 0, 'download started');
      await sleep(500);
      await d.kill9();
    } finally {
      proxy.throttle = 0;
      await cliDone;
    }
    const diffId = JSON.parse((await runBuf('skopeo', ['inspect', '--config', '--raw', '--tls-verify=false', `docker://${reg.addr}/test/slow:latest`])).toString()) as { rootfs: { diff_ids: string[] } };
    assert.ok(!(await blobFiles(d)).includes(diffId.rootfs.diff_ids[0]!.slice(7)), 'no partial blob is visible');
    await d.spawn();
    assert.deepEqual(await readdir(join(d.dataRoot, 'content', 'ingest')), []);
    const r = await d.berth(['pull', `${R}/test/slow`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Status: Downloaded newer image/);
    await storeIsClean(d);
    assert.equal((await d.berth(['rmi', `${R}/test/slow`])).code, 0);
  });

  void test('a client that goes away mid-pull cancels it: blob download aborted, nothing left, a repeat pull works', async () => {
    const layer = imgs['slow']!.layerDigests[0]!;
    const blobsBefore = await blobFiles(d);
    const layersBefore = await overlayDirs(d);
    const aborts = proxy.blobAborts;
    proxy.throttle = 64 << 10;
    proxy.blobGets = [];
    const c = rawPull(d, `${R}/test/slow:latest`);
    try {
      await waitFor(() => c.lines.some((l) => l.status === 'Downloading' && (l.progressDetail?.current ?? 0) > 0), 'download progress');
      c.destroy();
      await waitFor(() => proxy.blobAborts > aborts, 'the registry download aborted');
      const sent = proxy.blobBytes;
      await sleep(1000);
      assert.equal(proxy.blobBytes, sent, 'no blob bytes flow after the abort');
      assert.equal(proxy.blobGets.filter((g) => g === layer).length, 1, 'the layer was not fetched again');
    } finally {
      proxy.throttle = 0;
    }
    assert.ok(await d.ping(), 'the daemon is healthy');
    await waitFor(async () => (await readdir(join(d.dataRoot, 'content', 'ingest'))).length === 0 && String(await blobFiles(d)) === String(blobsBefore), 'the partial download removed');
    assert.deepEqual(await blobFiles(d), blobsBefore);
    assert.deepEqual(await overlayDirs(d), layersBefore, 'no layer and no overlay/.tmp-* left');
    const images = await d.berth(['images', '--format', '{{.Repository}}:{{.Tag}}']);
    assert.ok(!images.stdout.includes('test/slow'), images.stdout);
    const r = await d.berth(['pull', `${R}/test/slow`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Status: Downloaded newer image/);
    await storeIsClean(d);
    assert.equal((await d.berth(['rmi', `${R}/test/slow`])).code, 0);
  });

  void test('clients pulling the same image share the pull: one leaving does not stop it for the other', async () => {
    const layer = imgs['slow']!.layerDigests[0]!;
    proxy.throttle = 64 << 10;
    proxy.blobGets = [];
    const aborts = proxy.blobAborts;
    const a = rawPull(d, `${R}/test/slow:latest`);
    let b: RawStream | undefined;
    try {
      await waitFor(() => a.lines.some((l) => l.status === 'Downloading' && (l.progressDetail?.current ?? 0) > 0), 'download progress');
      b = rawPull(d, `${R}/test/slow:latest`);
      // the late client first gets the latest state of every line
      await waitFor(() => b!.lines.some((l) => l.status === 'Downloading'), 'the second client sees the download');
      assert.match(b.lines[0]!.status ?? '', /^Pulling from test\/slow$/);
      a.destroy();
      await b.done;
    } finally {
      proxy.throttle = 0;
      a.destroy();
      b?.destroy();
    }
    assert.ok(!b.lines.some((l) => l.error), JSON.stringify(b.lines.filter((l) => l.error)));
    assert.equal(b.lines.at(-1)!.status, `Status: Downloaded newer image for ${R}/test/slow:latest`);
    assert.equal(proxy.blobGets.filter((g) => g === layer).length, 1, 'one download for both clients');
    assert.equal(proxy.blobAborts, aborts, 'the download was not aborted');
    assert.equal((await d.berth(['image', 'inspect', `${R}/test/slow`])).code, 0);
    await storeIsClean(d);
    assert.equal((await d.berth(['rmi', `${R}/test/slow`])).code, 0);
  });

  void test('the docker CLI pulls through berthd', { skip: !hasDocker() }, async () => {
    assert.equal((await d.berth(['rmi', `${R}/test/four:1`])).code, 0);
    const r = await d.docker(['pull', `${R}/test/four:1`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /1: Pulling from test\/four/);
    assert.equal((r.stdout.match(/: Already exists/g) ?? []).length, 3, r.stdout);
    assert.match(r.stdout, new RegExp(`${imgs['four1']!.layerDigests[3]!.slice(7, 19)}: Pull complete`));
    assert.match(r.stdout, new RegExp(`Digest: ${imgs['four1']!.manifestDigest}`));
    assert.match(r.stdout, new RegExp(`Status: Downloaded newer image for ${R}/test/four:1\n${R}/test/four:1\n$`));
    const q = await d.docker(['pull', '-q', `${R}/test/four:2`]);
    assert.equal(q.stdout, `${R}/test/four:2\n`, q.stderr);
  });

  void test('push: cross-repository mounts, HEAD first, upload of what is missing, round trip', async () => {
    assert.equal((await d.berth(['tag', `${R}/test/four:2`, `${R}/other/four:x`])).code, 0);
    proxy.uploads = 0;
    proxy.mounts = 0;
    const r = await d.berth(['push', `${R}/other/four:x`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^The push refers to repository \\[${R}/other/four\\]\n`));
    // Docker's push ids are short diff IDs; each layer is mounted from a repository it was pulled from.
    assert.equal((r.stdout.match(/: Mounted from test\/(four|busybox)\n/g) ?? []).length, 4, r.stdout);
    assert.match(r.stdout, /x: digest: sha256:[a-f0-9]{64} size: \d+\n$/);
    assert.equal(proxy.uploads, 1, 'only the config is uploaded');
    const again = await d.berth(['push', `${R}/other/four:x`]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal((again.stdout.match(/: Layer already exists/g) ?? []).length, 4, again.stdout);
    assert.equal(proxy.uploads, 1);

    // An imported image (never pulled): compressed and uploaded, then pulled back with the same ID.
    const tarFile = join(work, 'fresh.tar');
    await writeFile(tarFile, await makeTar({ 'fresh.txt': randomBytes(64 << 10).toString('hex') }));
    const imp = await d.berth(['import', tarFile, `${R}/fresh/bb:1`]);
    assert.equal(imp.code, 0, imp.stderr);
    const id = imp.stdout.trim();
    proxy.uploads = 0;
    const p = await d.berth(['push', `${R}/fresh/bb:1`]);
    assert.equal(p.code, 0, p.stderr);
    assert.match(p.stdout, /: Pushed\n/);
    assert.equal(proxy.uploads, 2, 'layer and config');
    const digest = /1: digest: (sha256:[a-f0-9]{64})/.exec(p.stdout)![1]!;
    const raw = await runBuf('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${reg.addr}/fresh/bb:1`]);
    assert.equal(sha256(raw), digest);
    assert.equal((await d.berth(['rmi', `${R}/fresh/bb:1`])).code, 0);
    const back = await d.berth(['pull', `${R}/fresh/bb:1`]);
    assert.equal(back.code, 0, back.stderr);
    const insp = JSON.parse((await d.berth(['image', 'inspect', `${R}/fresh/bb:1`])).stdout) as Array<{ Id: string; RepoDigests: string[] }>;
    assert.equal(insp[0]!.Id, id);
    assert.deepEqual(insp[0]!.RepoDigests, [`${R}/fresh/bb@${digest}`]);
    if (hasDocker()) {
      const dk = await d.docker(['push', `${R}/fresh/bb:1`]);
      assert.equal(dk.code, 0, dk.stderr);
      assert.match(dk.stdout, /Layer already exists/);
      assert.match(dk.stdout, new RegExp(`1: digest: ${digest} size: \\d+`));
    }
    assert.equal((await d.berth(['rmi', `${R}/fresh/bb:1`, `${R}/other/four:x`])).code, 0);
  });

  void test('token (Bearer) auth: anonymous tokens with the pull scope; credentials from login', async () => {
    const tp = await new CountingProxy(reg.addr).start();
    const cfg = join(work, 'bearer-config');
    const berth = (args: string[], input?: string) => run(BERTH, ['-H', d.host, ...args], { env: { DOCKER_CONFIG: cfg }, ...(input !== undefined ? { input } : {}) });
    try {
      tp.bearer = {};
      let r = await berth(['pull', `${tp.addr}/test/tamper`]);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(tp.tokenScopes.includes('repository:test/tamper:pull'), tp.tokenScopes.join(','));
      tp.bearer = { user: 'bob', password: 'tok-pw' };
      r = await berth(['pull', `${tp.addr}/test/busybox`]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /may require 'docker login'/);
      r = await berth(['login', '-u', 'bob', '--password-stdin', tp.addr], 'bad\n');
      assert.equal(r.code, 1);
      assert.match(r.stderr, /unauthorized/);
      r = await berth(['login', '-u', 'bob', '--password-stdin', tp.addr], 'tok-pw\n');
      assert.equal(r.code, 0, r.stderr);
      r = await berth(['pull', `${tp.addr}/test/busybox`]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal((await berth(['rmi', `${tp.addr}/test/busybox`, `${tp.addr}/test/tamper`])).code, 0);
    } finally {
      await tp.stop();
    }
  });

  void test('run pulls a missing image', async () => {
    await d.berth(['rmi', '-f', `${R}/test/four:1`]);
    const r = await d.berth(['run', '--rm', '--network', 'none', `${R}/test/four:1`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`Unable to find image '${R}/test/four:1' locally`));
    assert.equal(r.stdout, 'layer a (zstd)\n');
  });

  void test('on a terminal, each layer keeps one line, redrawn in place (berth and docker CLIs)', { skip: spawnSync('tmux', ['-V']).status !== 0 }, async () => {
    // In a 160x50 tmux terminal: the final screen holds each layer once, ending in its last state, as docker's own
    // rendering of dockerd's stream does (per-layer updates carry progressDetail, so a line is redrawn in place).
    const layerIds = imgs['four1']!.layerDigests.map((g) => g.slice(7, 19));
    let n = 0;
    const onTerminal = async (line: string): Promise<{ screen: string; code: number }> => {
      const name = `berth-pull-tty-${process.pid}-${++n}`;
      const exitFile = join(work, `${name}.exit`);
      const tmux = (...args: string[]): string => spawnSync('tmux', ['-L', name, ...args], { encoding: 'utf8' }).stdout;
      tmux('new-session', '-d', '-x', '160', '-y', '50', '-s', 'main', `${line}; echo EXIT=$? > ${exitFile}; sleep 600`);
      try {
        const text = await waitFor(() => readFile(exitFile, 'utf8').catch(() => ''), `${line} to finish`, 90_000);
        return { screen: tmux('capture-pane', '-p', '-t', 'main', '-S', '-200'), code: Number(/EXIT=(\d+)/.exec(text)![1]) };
      } finally {
        tmux('kill-server');
      }
    };
    const clis = [`${BERTH} -H ${d.host}`];
    if (hasDocker()) clis.push(`env DOCKER_HOST=${d.host} DOCKER_CONFIG=${join(d.dir, 'docker-config')} docker`);
    for (const cli of clis) {
      await d.berth(['rmi', '-f', `${R}/test/four:1`, `${R}/test/four:2`]);
      const { screen, code } = await onTerminal(`${cli} pull ${R}/test/four:1`);
      assert.equal(code, 0, screen);
      const lines = screen.split('\n').map((l) => l.trimEnd()).filter(Boolean);
      for (const id of layerIds) {
        const mine = lines.filter((l) => l.startsWith(`${id}:`));
        assert.equal(mine.length, 1, `${cli}: one line for ${id}:\n${screen}`);
        assert.match(mine[0]!, /: (Pull complete|Already exists)$/, screen);
      }
      assert.ok(lines.some((l) => l.startsWith('Digest: sha256:')), screen);
      assert.ok(lines.some((l) => l.startsWith(`Status: Downloaded newer image for ${R}/test/four:1`)), screen);
    }
  });

  void test('docker-py pulls and pushes through berthd', async () => {
    // docker-py (Debian's python3-docker or a newer one under /usr/bin/python3), as a real API client.
    const py = `
import json, sys, docker
c = docker.DockerClient(base_url='unix://' + sys.argv[1], version='1.45')
src, dst = sys.argv[2], sys.argv[3]
msgs = list(c.api.pull(src, tag='2', stream=True, decode=True))
errs = [m for m in msgs if 'error' in m]
img = c.images.get(src + ':2')
img.tag(dst, tag='py')
pushed = list(c.images.push(dst, tag='py', stream=True, decode=True))
print(json.dumps({'pull': [m.get('status') for m in msgs], 'errors': errs + [m for m in pushed if 'error' in m],
                  'id': img.id, 'push': [m.get('status') for m in pushed], 'aux': [m['aux'] for m in pushed if 'aux' in m]}))
`;
    await d.berth(['rmi', '-f', `${R}/test/four:2`]);
    const r = await run('/usr/bin/python3', ['-c', py, d.socket, `${R}/test/four`, `${R}/test/pydocker`], { timeoutMs: 120_000 });
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { pull: string[]; errors: unknown[]; id: string; push: string[]; aux: Array<{ Tag: string; Digest: string }> };
    assert.deepEqual(out.errors, []);
    assert.equal(out.id, imgs['four2']!.configDigest);
    assert.ok(out.pull.some((s) => /Downloaded newer image|Image is up to date/.test(s)), out.pull.join('|'));
    assert.equal(out.aux[0]?.Tag, 'py');
    // The registry serves what docker-py pushed, under the digest berthd reported.
    const res = await fetch(`http://${reg.addr}/v2/test/pydocker/manifests/py`, { headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json' } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('docker-content-digest'), out.aux[0]!.Digest);
  });
});

void describe('registry with htpasswd auth: login, pull, logout', { skip: !isRoot }, () => {
  let reg: TestRegistry;
  let d: TestDaemon;
  let work: string;
  let cfgDir: string;
  const berth = (args: string[], input?: string) => run(BERTH, ['-H', d.host, ...args], { env: { DOCKER_CONFIG: cfgDir }, ...(input !== undefined ? { input } : {}) });

  before(async () => {
    reg = await TestRegistry.start({ users: { alice: 's3cret-pw' } });
    work = await mkdtemp(join(tmpdir(), 'berth-auth-'));
    cfgDir = join(work, 'docker-config');
    const layout = new OciLayout(join(work, 'layout'));
    const img = await layout.image([{ tar: await makeTar({ 'hello.txt': 'private\n' }), compression: 'gzip' }]);
    layout.tag('priv', img.descriptor as never);
    await layout.write();
    await skopeoCopy(`oci:${join(work, 'layout')}:priv`, `docker://${reg.addr}/team/priv:1`, ['--dest-creds', 'alice:s3cret-pw']);
    d = await TestDaemon.start({ busybox: false });
  });

  after(async () => {
    const leaks = d ? await d.cleanup() : [];
    await reg?.stop();
    if (work) await rm(work, { recursive: true, force: true });
    assert.deepEqual(leaks, []);
  });

  void test('pull fails clearly until login; a wrong password saves nothing; logout removes the entry', async () => {
    const ref = `${reg.addr}/team/priv:1`;
    let r = await berth(['pull', ref]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /pull access denied for .*team\/priv, repository does not exist or may require 'docker login'/);

    r = await berth(['login', '-u', 'alice', '-p', 'wrong', reg.addr]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /401 Unauthorized/);
    await assert.rejects(readFile(join(cfgDir, 'config.json')), /ENOENT/);

    r = await berth(['login', '-u', 'alice', '--password-stdin', reg.addr], 's3cret-pw\n');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'Login Succeeded\n');
    const cfg = JSON.parse(await readFile(join(cfgDir, 'config.json'), 'utf8')) as { auths: Record<string, { auth: string }> };
    assert.equal(Buffer.from(cfg.auths[reg.addr]!.auth, 'base64').toString(), 'alice:s3cret-pw');

    r = await berth(['pull', ref]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Status: Downloaded newer image for /);

    r = await berth(['logout', reg.addr]);
    assert.equal(r.stdout, `Removing login credentials for ${reg.addr}\n`);
    const after = JSON.parse(await readFile(join(cfgDir, 'config.json'), 'utf8')) as { auths: Record<string, unknown> };
    assert.deepEqual(after.auths, {});
    assert.equal((await berth(['rmi', ref])).code, 0);
    r = await berth(['pull', ref]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /may require 'docker login'/);
  });

  void test('the docker CLI logs in through berthd and pulls', { skip: !hasDocker() }, async () => {
    const env = { DOCKER_HOST: d.host, DOCKER_CONFIG: join(work, 'docker-cli-config') };
    let r = await run('docker', ['login', '-u', 'alice', '--password-stdin', reg.addr], { env, input: 'nope\n' });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /401 Unauthorized/);
    r = await run('docker', ['login', '-u', 'alice', '--password-stdin', reg.addr], { env, input: 's3cret-pw\n' });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Login Succeeded/);
    r = await run('docker', ['pull', `${reg.addr}/team/priv:1`], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Pull complete/);
    assert.equal((await berth(['rmi', `${reg.addr}/team/priv:1`])).code, 0);
  });
});

void describe('registry-mirrors for docker.io', { skip: !isRoot }, () => {
  let reg: TestRegistry;
  let d: TestDaemon;
  let work: string;

  before(async () => {
    reg = await TestRegistry.start();
    work = await mkdtemp(join(tmpdir(), 'berth-mirror-'));
    const layout = new OciLayout(join(work, 'layout'));
    const img = await layout.image([{ tar: await makeTar({ 'mirror.txt': 'from the mirror\n' }), compression: 'gzip' }]);
    layout.tag('m', img.descriptor as never);
    await layout.write();
    await skopeoCopy(`oci:${join(work, 'layout')}:m`, `docker://${reg.addr}/library/mirrored:1`);
    d = await TestDaemon.start({ busybox: false, config: { 'registry-mirrors': [`http://${reg.addr}`] } });
  });

  after(async () => {
    const leaks = d ? await d.cleanup() : [];
    await reg?.stop();
    if (work) await rm(work, { recursive: true, force: true });
    assert.deepEqual(leaks, []);
  });

  void test('a docker.io image is pulled from the mirror', async () => {
    const r = await d.berth(['pull', 'mirrored:1']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /1: Pulling from library\/mirrored/);
    assert.match(r.stdout, /Status: Downloaded newer image for mirrored:1\ndocker.io\/library\/mirrored:1\n$/);
    const insp = JSON.parse((await d.berth(['image', 'inspect', 'mirrored:1'])).stdout) as Array<{ RepoTags: string[] }>;
    assert.deepEqual(insp[0]!.RepoTags, ['mirrored:1']);
    const ev = await d.berth(['events', '--since', '0', '--until', String(Math.ceil(Date.now() / 1000) + 1), '--filter', 'event=pull', '--format', '{{.Type}} {{.Action}} {{.Actor.ID}} {{.Actor.Attributes.name}}']);
    assert.equal(ev.stdout, 'image pull mirrored:1 mirrored\n', ev.stderr);
    assert.equal((await d.berth(['rmi', 'mirrored:1'])).code, 0);
  });
});
