import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { createReadStream, existsSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { BERTH, TestDaemon, isRoot, hasDocker, run, sh } from '../helpers/daemon.js';
import { OciLayout, makeTar } from '../helpers/registry.js';

// save/load (docker-archive + OCI layout, archives from skopeo and a hand-made docker 25+ one), history,
// image prune and system df, through berth and the real docker CLI against one berthd.
const skip = !isRoot;
const skipDocker = skip || !hasDocker();
let d: TestDaemon;
let files: string;

before(async () => {
  if (skip) return;
  d = await TestDaemon.start();
  files = join(d.dir, 'files');
  await mkdir(files);
});
after(async () => {
  if (skip) return;
  assert.deepEqual(await d.cleanup(), []);
});

async function ok(args: string[]): Promise<string> {
  const r = await d.berth(args);
  assert.equal(r.code, 0, `berth ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}
async function dok(args: string[]): Promise<string> {
  const r = await d.docker(args);
  assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}
async function shOk(script: string): Promise<string> {
  const r = await sh(script);
  assert.equal(r.code, 0, `${script}: ${r.stderr}`);
  return r.stdout;
}
const idOf = async (ref: string): Promise<string> => (await ok(['image', 'inspect', '--format', '{{.Id}}', ref])).trim();
const tarList = async (file: string): Promise<string[]> => (await shOk(`tar -tf ${file}`)).split('\n').filter(Boolean);
const blobCount = async (): Promise<number> => (await readdir(join(d.dataRoot, 'content', 'blobs', 'sha256'))).length;
const layerCount = async (): Promise<number> => (await readdir(join(d.dataRoot, 'overlay'))).filter((n) => !n.startsWith('.')).length;

/** Two images that share busybox's layer, each with one layer of its own (made by commit). */
async function makeLayered(): Promise<void> {
  for (const n of ['one', 'two']) {
    await ok(['run', '--name', `mk-${n}`, 'busybox', 'sh', '-c', `echo ${n} > /${n}`]);
    await ok(['commit', `mk-${n}`, `layered:${n}`]);
    await ok(['rm', `mk-${n}`]);
  }
}

void test('save → rmi → load (berth CLI): same IDs and tags, shared layers stored once', { skip }, async () => {
  await makeLayered();
  const ids = { busybox: await idOf('busybox'), one: await idOf('layered:one'), two: await idOf('layered:two') };
  const base = JSON.parse(await ok(['image', 'inspect', '--format', '{{json .RootFS.Layers}}', 'busybox'])) as string[];
  const archive = join(files, 'three.tar');
  await ok(['save', '-o', archive, 'busybox', 'layered:one', 'layered:two']);
  const names = await tarList(archive);
  // busybox's layer is used by all three images but stored once; 3 configs + 3 manifests + 3 layers in all
  assert.equal(names.filter((n) => n === `blobs/sha256/${base[0]!.slice(7)}`).length, 1);
  assert.equal(names.filter((n) => /^blobs\/sha256\/[0-9a-f]{64}$/.test(n)).length, 9);
  for (const f of ['index.json', 'manifest.json', 'oci-layout', 'repositories']) assert.ok(names.includes(f), f);
  const manifest = JSON.parse(await shOk(`tar -xOf ${archive} manifest.json`)) as Array<{ Config: string; RepoTags: string[]; Layers: string[] }>;
  assert.deepEqual(manifest.map((m) => m.RepoTags).flat().sort(), ['busybox:latest', 'layered:one', 'layered:two']);
  assert.deepEqual(manifest.find((m) => m.RepoTags[0] === 'layered:one')!.Layers.length, 2);
  // stdout without -o, redirected: the same bytes
  await shOk(`${BERTH} -H ${d.host} save busybox layered:one layered:two > ${join(files, 'stdout.tar')}`);
  assert.ok((await readFile(join(files, 'stdout.tar'))).equals(await readFile(archive)));

  await ok(['rmi', 'layered:one', 'layered:two']);
  const blobsBefore = await blobCount();
  const out = await ok(['load', '-i', archive]);
  assert.deepEqual(out.trim().split('\n').sort(), ['Loaded image: busybox:latest', 'Loaded image: layered:one', 'Loaded image: layered:two']);
  assert.equal(await idOf('layered:one'), ids.one);
  assert.equal(await idOf('layered:two'), ids.two);
  assert.equal(await idOf('busybox'), ids.busybox);
  assert.equal(await blobCount(), blobsBefore + 4); // two configs, two layers: busybox's was not stored again
  assert.equal((await ok(['run', '--rm', 'layered:two', 'cat', '/two'])).trim(), 'two');
  // loading again changes nothing; quiet load via stdin
  const again = await run('sh', ['-c', `${BERTH} -H ${d.host} load -q < ${archive}`]);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(await blobCount(), blobsBefore + 4);
  // an image saved by ID is untagged and loads as "Loaded image ID"
  await ok(['save', '-o', join(files, 'byid.tar'), ids.two.slice(7, 19)]);
  const m2 = JSON.parse(await shOk(`tar -xOf ${join(files, 'byid.tar')} manifest.json`)) as Array<{ RepoTags: unknown }>;
  assert.equal(m2[0]!.RepoTags, null);
  assert.equal((await ok(['load', '-i', join(files, 'byid.tar')])).trim(), `Loaded image ID: ${ids.two}`);
  // errors
  const missing = await d.berth(['save', '-o', join(files, 'x.tar'), 'nosuch:image']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /No such image: nosuch:image/);
  await assert.rejects(readFile(join(files, 'x.tar')));
});

void test('save → rmi → load through the docker CLI', { skip: skipDocker }, async () => {
  const id = await idOf('layered:one');
  const archive = join(files, 'docker.tar');
  await dok(['save', '-o', archive, 'layered:one']);
  assert.ok((await tarList(archive)).includes('manifest.json'));
  await dok(['rmi', 'layered:one']);
  assert.equal((await dok(['load', '-i', archive])).trim(), 'Loaded image: layered:one');
  assert.equal(await idOf('layered:one'), id);
  const piped = await sh(`DOCKER_HOST=${d.host} DOCKER_CONFIG=${join(d.dir, 'docker-config')} docker save layered:one | DOCKER_HOST=${d.host} DOCKER_CONFIG=${join(d.dir, 'docker-config')} docker load`);
  assert.equal(piped.code, 0, piped.stderr);
  assert.equal(piped.stdout.trim(), 'Loaded image: layered:one');
});

void test('archives written by skopeo (docker-archive, oci-archive) and a hand-made docker 25+ layout load', { skip }, async () => {
  const id = await idOf('layered:two');
  const oci = join(files, 'oci');
  await mkdir(oci);
  await shOk(`${BERTH} -H ${d.host} save layered:two | tar -x -C ${oci}`);
  // skopeo's docker-archive: legacy <id>/layer.tar (symlinks), <hex>.tar layers, <hex>.json config
  const da = join(files, 'skopeo-docker.tar');
  await shOk(`skopeo copy -q oci:${oci}:two docker-archive:${da}:skopeo/dockerarchive:v1`);
  assert.ok((await tarList(da)).some((n) => n.endsWith('/layer.tar')));
  // skopeo's oci-archive: layers gzip-compressed on the way
  const oa = join(files, 'skopeo-oci.tar');
  await shOk(`skopeo copy -q oci:${oci}:two oci-archive:${oa}:skopeo/ociarchive:v2`);
  assert.ok(!(await tarList(oa)).includes('manifest.json'));
  // docker 25+: OCI layout + manifest.json + repositories, here assembled by hand from the OCI layout
  const hand = join(files, 'hand');
  await mkdir(hand);
  await shOk(`skopeo copy -q oci:${oci}:two oci:${hand}:v3`);
  const index = JSON.parse(await readFile(join(hand, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
  const man = JSON.parse(await readFile(join(hand, 'blobs', 'sha256', index.manifests[0]!.digest.slice(7)), 'utf8')) as { config: { digest: string }; layers: Array<{ digest: string }> };
  await writeFile(join(hand, 'manifest.json'), JSON.stringify([{
    Config: `blobs/sha256/${man.config.digest.slice(7)}`, RepoTags: ['hand/made:v3', 'hand/made:also'],
    Layers: man.layers.map((l) => `blobs/sha256/${l.digest.slice(7)}`),
  }]));
  await writeFile(join(hand, 'repositories'), JSON.stringify({ 'hand/made': { v3: man.layers.at(-1)!.digest.slice(7) } }));
  const ha = join(files, 'hand.tar');
  await shOk(`tar -C ${hand} -cf ${ha} .`);

  await ok(['rmi', 'layered:two']);
  assert.equal((await ok(['load', '-i', da])).trim(), 'Loaded image: skopeo/dockerarchive:v1');
  assert.equal((await ok(['load', '-i', oa])).trim(), 'Loaded image: skopeo/ociarchive:v2');
  assert.equal((await ok(['load', '-i', ha])).trim(), 'Loaded image: hand/made:v3\nLoaded image: hand/made:also');
  for (const r of ['skopeo/dockerarchive:v1', 'skopeo/ociarchive:v2', 'hand/made:v3', 'hand/made:also']) assert.equal(await idOf(r), id, r);
  // a gzip-compressed archive loads too
  await shOk(`gzip -c ${da} > ${da}.gz`);
  assert.equal((await ok(['load', '-q', '-i', `${da}.gz`])).trim(), 'Loaded image: skopeo/dockerarchive:v1');
  await ok(['tag', 'skopeo/dockerarchive:v1', 'layered:two']);
  await ok(['rmi', 'skopeo/dockerarchive:v1', 'skopeo/ociarchive:v2', 'hand/made:v3', 'hand/made:also']);
});

void test('a corrupt archive fails cleanly: no image, no leftover blobs or layers', { skip }, async () => {
  const dir = join(files, 'corrupt');
  await mkdir(dir);
  await shOk(`${BERTH} -H ${d.host} save layered:two | tar -x -C ${dir}`);
  const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Array<{ Layers: string[]; RepoTags: string[] }>;
  // a different layer tar in place of the image's own: its diff ID no longer matches the config
  const top = join(dir, manifest[0]!.Layers[1]!);
  await shOk(`tar -C ${files} -cf ${top} corrupt/oci-layout`);
  manifest[0]!.RepoTags = ['corrupt:image'];
  await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest));
  await shOk(`tar -C ${dir} -cf ${join(files, 'corrupt.tar')} .`);
  await ok(['rmi', 'layered:two']);
  const blobs = await blobCount();
  const layers = await layerCount();
  const r = await d.berth(['load', '-i', join(files, 'corrupt.tar')]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /diff ID/);
  assert.equal((await d.berth(['image', 'inspect', 'corrupt:image'])).code, 1);
  assert.equal(await blobCount(), blobs);
  assert.equal(await layerCount(), layers);
  assert.deepEqual(await readdir(join(d.dataRoot, 'load-tmp')), []);
  const junk = await d.berth(['load'], { input: 'not a tar archive at all' });
  assert.equal(junk.code, 1);
  assert.match(junk.stderr, /Error response from daemon/);
  await ok(['load', '-q', '-i', join(files, 'three.tar')]);
});

void test('history: the same output as docker for the same image', { skip: skipDocker }, async () => {
  const long = `echo ${'x'.repeat(50)} > /long`;
  await ok(['run', '--name', 'hist', 'busybox', 'sh', '-c', long]);
  await ok(['commit', '-m', 'a comment', 'hist', 'hist:img']);
  await ok(['rm', 'hist']);
  const id = await idOf('hist:img');
  // "N seconds ago" may tick between the two commands: compare cells with recent times normalised
  const cells = (s: string) => s.split('\n').map((l) => l.replace(/Less than a second ago|\d+ seconds? ago|About a minute ago/g, 'recently').split(/\s{2,}/));
  for (const flags of [[], ['--no-trunc'], ['-q'], ['-H=false'], ['--human=false', '--no-trunc'], ['--format', '{{.ID}}|{{.CreatedBy}}|{{.Size}}|{{.Comment}}'], ['--format', 'json']]) {
    assert.deepEqual(cells(await ok(['history', ...flags, 'hist:img'])), cells(await dok(['history', ...flags, 'hist:img'])), flags.join(' '));
  }
  assert.equal(await ok(['history', '-H=false', 'hist:img']), await dok(['history', '-H=false', 'hist:img']));
  const lines = (await ok(['history', 'hist:img'])).trim().split('\n');
  assert.match(lines[0]!, /^IMAGE\s+CREATED\s+CREATED BY\s+SIZE\s+COMMENT$/);
  assert.equal(lines.length, 3);
  assert.ok(lines[1]!.startsWith(id.slice(7, 19)));
  assert.ok(lines[1]!.includes(`sh -c ${long}`.slice(0, 44) + '…'));
  assert.match(lines[1]!, /a comment$/);
  assert.match(lines[2]!, /^<missing>\s+.*\s1\.98MB\s+Imported from -$/);
  assert.ok((await ok(['history', '--no-trunc', 'hist:img'])).includes(`sh -c ${long}`));
  const api = JSON.parse((await d.api('GET', '/images/hist:img/history')).body) as Array<{ Id: string; Tags: string[] | null; CreatedBy: string; Size: number }>;
  assert.equal(api[0]!.Id, id);
  assert.deepEqual(api[0]!.Tags, ['hist:img']);
  assert.equal(api[1]!.Id, '<missing>');
  assert.equal(api[1]!.Tags, null);
  assert.ok(api[0]!.Size > 0);
  await ok(['rmi', 'hist:img']);
  const miss = await d.berth(['history', 'nosuch']);
  assert.equal(miss.code, 1);
  assert.match(miss.stderr, /No such image: nosuch:latest/);
});

void test('image prune: dangling only by default, unused ones with -a, never images containers use', { skip }, async () => {
  // a dangling image nobody uses, a dangling image a container uses, a tagged unused one, a tagged used one
  await ok(['run', '--name', 'p1', 'busybox', 'sh', '-c', 'echo 1 > /p1']);
  const dangling = (await ok(['commit', 'p1'])).trim();
  await ok(['run', '--name', 'p2', 'busybox', 'sh', '-c', 'echo 2 > /p2']);
  const danglingUsed = (await ok(['commit', 'p2'])).trim();
  await ok(['create', '--name', 'user-of-dangling', danglingUsed]);
  await ok(['create', '--name', 'user-of-one', 'layered:one']);
  const two = await idOf('layered:two');

  // until=24h: everything here is newer, nothing goes
  assert.equal(await ok(['image', 'prune', '-f', '--filter', 'until=24h']), 'Total reclaimed space: 0B\n');
  const out = await ok(['image', 'prune', '-f']);
  assert.match(out, new RegExp(`^Deleted Images:\ndeleted: ${dangling}\n(deleted: sha256:[0-9a-f]{64}\n)+\nTotal reclaimed space: \\d`));
  assert.ok(!out.includes(danglingUsed));
  assert.equal((await d.berth(['image', 'inspect', dangling])).code, 1);
  assert.equal(await idOf(danglingUsed), danglingUsed);
  assert.equal(await idOf('layered:two'), two);

  const all = await ok(['image', 'prune', '-a', '-f']);
  assert.match(all, /^Deleted Images:\nuntagged: layered:two\ndeleted: sha256:/);
  assert.equal((await d.berth(['image', 'inspect', 'layered:two'])).code, 1);
  for (const kept of ['busybox', 'layered:one', danglingUsed]) assert.equal((await d.berth(['image', 'inspect', kept])).code, 0, kept);
  // nothing left to prune: berth and docker print the same
  assert.equal(await ok(['image', 'prune', '-a', '-f']), 'Total reclaimed space: 0B\n');
  if (!skipDocker) assert.equal(await dok(['image', 'prune', '-a', '-f']), 'Total reclaimed space: 0B\n');
  // without -f the prompt is answered "N": nothing happens
  const no = await d.berth(['image', 'prune'], { input: 'N\n' });
  assert.equal(no.code, 0);
  assert.equal(no.stdout, 'WARNING! This will remove all dangling images.\nAre you sure you want to continue? [y/N] ');
  const bad = await d.api('POST', '/images/prune?filters=' + encodeURIComponent('{"bogus":{"x":true}}'));
  assert.equal(bad.status, 400);
  await ok(['rm', 'p1', 'p2', 'user-of-dangling']);
  await ok(['image', 'prune', '-f']);
  assert.equal((await d.berth(['image', 'inspect', danglingUsed])).code, 1);
});

void test('system df: counts and sizes consistent with images and containers, as docker shows them', { skip }, async () => {
  await ok(['run', '--name', 'df1', 'busybox', 'sh', '-c', 'head -c 100000 /dev/zero > /blob']);
  const df = JSON.parse((await d.api('GET', '/system/df')).body) as {
    LayersSize: number; Images: Array<{ Id: string; Size: number; SharedSize: number; Containers: number }>;
    Containers: Array<{ Id: string; SizeRw: number; ImageID: string }>; Volumes: unknown[]; BuildCache: unknown[];
  };
  const imageIds = new Set((await ok(['images', '-q', '--no-trunc'])).trim().split('\n'));
  assert.deepEqual(new Set(df.Images.map((i) => i.Id)), imageIds);
  const containers = (await ok(['ps', '-aq', '--no-trunc'])).trim().split('\n');
  assert.deepEqual(df.Containers.map((c) => c.Id).sort(), containers.sort());
  const df1Id = await idOfContainer('df1');
  const df1 = df.Containers.find((c) => c.Id === df1Id)!;
  assert.ok(df1.SizeRw >= 100000, String(df1.SizeRw));
  const busyboxId = await idOf('busybox');
  const busybox = df.Images.find((i) => i.Id === busyboxId)!;
  assert.equal(busybox.Containers, 1);
  assert.ok(busybox.SharedSize > 0); // layered:one shares its layer
  // every layer once: the busybox layer plus layered:one's own
  const oneId = await idOf('layered:one');
  const one = df.Images.find((i) => i.Id === oneId)!;
  assert.equal(df.LayersSize, one.Size);
  const text = await ok(['system', 'df']);
  const rows = text.trim().split('\n').map((l) => l.split(/\s{2,}/));
  assert.deepEqual(rows[0], ['TYPE', 'TOTAL', 'ACTIVE', 'SIZE', 'RECLAIMABLE']);
  assert.deepEqual(rows.slice(1).map((r) => r.slice(0, 3)), [['Images', String(imageIds.size), '2'], ['Containers', '2', '0'], ['Local Volumes', '0', '0'], ['Build Cache', '0', '0']]);
  if (!skipDocker) {
    assert.equal(text, await dok(['system', 'df']));
    assert.equal(await ok(['system', 'df', '--format', 'json']), await dok(['system', 'df', '--format', 'json']));
    const cells = (s: string) => s.split('\n').map((l) => l.replace(/Less than a second ago|\d+ seconds? ago|About a minute ago/g, 'recently').split(/\s{2,}/));
    assert.deepEqual(cells(await ok(['system', 'df', '-v'])), cells(await dok(['system', 'df', '-v'])));
  }
  assert.match(await ok(['system', 'df', '-v']), /^Images space usage:\n\nREPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE\s+SHARED SIZE\s+UNIQUE SIZE\s+CONTAINERS\n/);
  await ok(['rm', 'df1', 'user-of-one']);
});

async function idOfContainer(name: string): Promise<string> {
  return (await ok(['inspect', '--format', '{{.Id}}', name])).trim();
}

void test('--platform: save and load of a single-platform image; load picks its platform from a multi-platform OCI archive', { skip }, async () => {
  const enc = encodeURIComponent;
  await ok(['tag', 'busybox', 'plat/bb:1']);
  const plain = join(files, 'plat-plain.tar');
  await ok(['save', '-o', plain, 'plat/bb:1']);
  // save: the image's own platform saves as without the flag; another one is docker's error and writes nothing
  const amd = join(files, 'plat-amd64.tar');
  await ok(['save', '--platform', 'linux/amd64', '-o', amd, 'plat/bb:1']);
  assert.ok((await readFile(amd)).equals(await readFile(plain)), 'the same archive');
  const armOut = join(files, 'plat-arm64.tar');
  const arm = await d.berth(['save', '--platform', 'linux/arm64', '-o', armOut, 'plat/bb:1']);
  assert.equal(arm.code, 1);
  assert.equal(arm.stderr, 'Error response from daemon: no suitable export target found for platform linux/arm64\n');
  assert.ok(!existsSync(armOut));
  const badSpec = await d.berth(['save', '--platform', 'linux/nosuch', 'plat/bb:1']);
  assert.equal(badSpec.code, 1);
  assert.equal(badSpec.stderr, 'invalid platform: "linux/nosuch": unknown operating system or architecture: invalid argument\n');
  // the API takes API 1.48's JSON platform, with moby's checks
  const api = await d.api('GET', `/images/get?names=plat/bb:1&platform=${enc(JSON.stringify({ os: 'linux', architecture: 'arm64' }))}`);
  assert.equal(api.status, 404);
  assert.match(api.body, /no suitable export target found for platform linux\/arm64/);
  const noArch = await d.api('GET', `/images/get?names=plat/bb:1&platform=${enc('{"os":"linux"}')}`);
  assert.equal(noArch.status, 400);
  assert.match(noArch.body, /both OS and Architecture must be provided/);

  // load: another platform is an error and loads nothing; the image's own loads
  await ok(['rmi', 'plat/bb:1']);
  const blobs = await blobCount();
  const layers = await layerCount();
  const wrong = await d.berth(['load', '--platform', 'linux/arm64', '-i', plain]);
  assert.equal(wrong.code, 1);
  assert.equal(wrong.stderr, 'Error response from daemon: no images providing the requested platform(s) found: [linux/arm64]\n');
  assert.equal((await d.berth(['image', 'inspect', 'plat/bb:1'])).code, 1);
  assert.equal((await ok(['load', '--platform', 'linux/amd64', '-i', plain])).trim(), 'Loaded image: plat/bb:1');
  assert.equal(await idOf('plat/bb:1'), await idOf('busybox'));
  await ok(['rmi', 'plat/bb:1']);

  // a multi-platform OCI archive (an index of amd64 and arm64 under one name): the host's platform by default,
  // --platform picks another, a platform it lacks is an error
  const layout = new OciLayout(join(files, 'multi'));
  const a = await layout.image([{ tar: await makeTar({ 'arch.txt': 'amd64\n' }), compression: 'gzip' }]);
  const b = await layout.image([{ tar: await makeTar({ 'arch.txt': 'arm64\n' }), compression: 'gzip' }], { arch: 'arm64' });
  const idx = await layout.index([a.descriptor, b.descriptor]);
  layout.tag('multi/arch:v1', { mediaType: 'application/vnd.oci.image.index.v1+json', ...idx });
  await layout.write();
  const multi = join(files, 'multi.tar');
  await shOk(`tar -C ${layout.dir} -cf ${multi} .`);
  const arch = async (): Promise<string> => (await ok(['image', 'inspect', '--format', '{{.Os}}/{{.Architecture}}', 'multi/arch:v1'])).trim();
  assert.equal((await ok(['load', '-i', multi])).trim(), 'Loaded image: multi/arch:v1');
  assert.equal(await idOf('multi/arch:v1'), a.configDigest);
  assert.equal(await arch(), 'linux/amd64');
  await ok(['rmi', 'multi/arch:v1']);
  assert.equal((await ok(['load', '--platform', 'linux/arm64', '-i', multi])).trim(), 'Loaded image: multi/arch:v1');
  assert.equal(await idOf('multi/arch:v1'), b.configDigest);
  assert.equal(await arch(), 'linux/arm64');
  await ok(['rmi', 'multi/arch:v1']);
  const none = await d.berth(['load', '--platform', 'linux/s390x', '-i', multi]);
  assert.equal(none.code, 1);
  assert.equal(none.stderr, 'Error response from daemon: no images providing the requested platform(s) found: [linux/s390x]\n');
  assert.equal(await blobCount(), blobs);
  assert.equal(await layerCount(), layers);
  assert.deepEqual(await readdir(join(d.dataRoot, 'load-tmp')), []);
});

interface LoadMessage { stream?: string; status?: string; id?: string; progress?: string; progressDetail?: { current?: number; total?: number }; error?: string }

/** POST /images/load with a file as the body; the JSON messages of the answer. */
function rawLoad(file: string, query: string): Promise<LoadMessage[]> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: d.socket, method: 'POST', path: `/v1.45/images/load${query}`, headers: { 'content-type': 'application/x-tar' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (s: string) => (text += s));
      res.on('end', () => {
        try {
          resolve(text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as LoadMessage));
        } catch (err) { reject(err as Error); }
      });
    });
    req.on('error', reject);
    createReadStream(file).pipe(req);
  });
}

void test('load progress: "Loading layer" per layer not held yet unless quiet, then the result; docker and berth CLIs show it on a terminal', { skip }, async () => {
  await ok(['run', '--name', 'big', 'busybox', 'sh', '-c', 'head -c 3000000 /dev/urandom > /big']);
  await ok(['commit', 'big', 'progress:big']);
  await ok(['rm', 'big']);
  const archive = join(files, 'progress.tar');
  await ok(['save', '-o', archive, 'progress:big']);
  const [base, top] = JSON.parse(await ok(['image', 'inspect', '--format', '{{json .RootFS.Layers}}', 'progress:big'])) as [string, string];
  const layerSize = Number((await shOk(`tar -tvf ${archive} blobs/sha256/${top.slice(7)} | awk '{print $3}'`)).trim());
  assert.ok(layerSize > 3_000_000, String(layerSize));
  const loaded = 'Loaded image: progress:big\n';

  await ok(['rmi', 'progress:big']);
  const msgs = await rawLoad(archive, '?quiet=0');
  assert.equal(msgs.at(-1)!.stream, loaded);
  const prog = msgs.filter((m) => m.status === 'Loading layer');
  assert.ok(prog.length >= 1, JSON.stringify(msgs));
  assert.deepEqual(new Set(prog.map((m) => m.id)), new Set([top.slice(7, 19)]), 'only the layer not held yet (busybox\'s is)');
  assert.ok(!prog.some((m) => m.id === base.slice(7, 19)));
  for (const m of prog) {
    assert.equal(m.progressDetail!.total, layerSize);
    assert.match(m.progress!, /^\[[=> ]+\] +[\d.]+[kM]?B\/3\.\d+MB$/);
  }
  assert.equal(prog.at(-1)!.progressDetail!.current, layerSize);
  assert.deepEqual(prog.map((m) => m.progressDetail!.current), [...prog.map((m) => m.progressDetail!.current!)].sort((x, y) => x - y));
  // quiet=1, or no quiet at all (moby's default): the result only
  await ok(['rmi', 'progress:big']);
  assert.deepEqual(await rawLoad(archive, '?quiet=1'), [{ stream: loaded }]);
  await ok(['rmi', 'progress:big']);
  assert.deepEqual(await rawLoad(archive, ''), [{ stream: loaded }]);
  // a load of what is held already: no progress
  assert.deepEqual(await rawLoad(archive, '?quiet=0'), [{ stream: loaded }]);

  // the CLIs: no terminal → quiet, just the result line; a terminal (script(1), 200 columns) → the progress bar,
  // then the result
  await ok(['rmi', 'progress:big']);
  assert.equal(await ok(['load', '-i', archive]), loaded);
  const term = async (cmd: string): Promise<string> => {
    const r = await run('script', ['-qec', `stty cols 200 rows 50; ${cmd}`, '/dev/null'], { env: { DOCKER_HOST: d.host, DOCKER_CONFIG: join(d.dir, 'docker-config') } });
    assert.equal(r.code, 0, `${cmd}: ${r.stdout} ${r.stderr}`);
    return r.stdout.replace(/\r\n/g, '\n');
  };
  await ok(['rmi', 'progress:big']);
  const bt = await term(`${BERTH} -H ${d.host} load -i ${archive}`);
  assert.match(bt, new RegExp(`${top.slice(7, 19)}: Loading layer \\[=+>?\\] +3\\.\\d+MB/3\\.\\d+MB`));
  assert.ok(bt.endsWith(loaded), JSON.stringify(bt));
  if (!skipDocker) {
    await ok(['rmi', 'progress:big']);
    assert.equal(await dok(['load', '-i', archive]), loaded);
    await ok(['rmi', 'progress:big']);
    const dt = await term(`docker load -i ${archive}`);
    assert.match(dt, new RegExp(`${top.slice(7, 19)}: Loading layer \\[=+>?\\] +3\\.\\d+MB/3\\.\\d+MB`));
    assert.ok(dt.endsWith(loaded), JSON.stringify(dt));
  }
  await ok(['rmi', 'progress:big']);
});
