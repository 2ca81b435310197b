import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, readdir, stat, readFile, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { ConflictError, InvalidArgumentError, NotFoundError, execFile } from '../base/index.js';
import { digestOf, digestHex } from '../oci/index.js';
import { ImageService, type ImageServiceOptions } from './service.js';

const isRoot = process.getuid?.() === 0;
// Works from src/images (tsx) and from dist/src/images (compiled).
const SCRIPT = [resolve(new URL('../../scripts/make-busybox-tar.sh', import.meta.url).pathname),
  resolve(new URL('../../../scripts/make-busybox-tar.sh', import.meta.url).pathname)].find((p) => existsSync(p))!;

function run(cmd: string, args: string[]): Promise<Buffer> {
  return new Promise((res, rej) => {
    const c = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    const bufs: Buffer[] = [];
    c.stdout.on('data', (b: Buffer) => bufs.push(b));
    c.on('error', rej);
    c.on('close', (code) => (code === 0 ? res(Buffer.concat(bufs)) : rej(new Error(`${cmd} exited ${code}`))));
  });
}

async function tarDir(files: Record<string, string>, mtime = 1_600_000_000): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-imgsrc-'));
  try {
    for (const [p, content] of Object.entries(files)) {
      await mkdir(join(dir, p, '..'), { recursive: true });
      await writeFile(join(dir, p), content);
    }
    return await run('tar', ['-C', dir, '--sort=name', '--owner=0', '--group=0', '--numeric-owner', `--mtime=@${mtime}`, '-cf', '-', '.']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

interface InspectJson {
  Id: string; RepoTags: string[]; RepoDigests: string[]; Parent: string; Comment: string; Created: string;
  Architecture: string; Os: string; Size: number; Config: Record<string, unknown>; ContainerConfig: Record<string, unknown>;
  GraphDriver: { Name: string; Data: Record<string, string | undefined> }; RootFS: unknown; Metadata: { LastTagTime: string };
}
interface ListJson { Id: string; RepoTags: string[]; SharedSize: number; Containers: number; Labels: unknown; Created: unknown }

const src = (b: Buffer): Readable => Readable.from([b.subarray(0, 1000), b.subarray(1000)]);

let root: string;
let busyboxTar: Buffer;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'berth-images-'));
  if (isRoot) busyboxTar = await run('bash', [SCRIPT]);
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

void test('busybox script is deterministic', { skip: !isRoot && 'needs root' }, async () => {
  const again = await run('bash', [SCRIPT]);
  assert.ok(again.equals(busyboxTar));
  const list = (await run('bash', ['-c', `bash '${SCRIPT}' | tar -tvf -`])).toString();
  assert.match(list, /^-rwxr-xr-x 0\/0 +\d+ .* \.\/bin\/\S+$/m);
  assert.match(list, /^h.* \.\/bin\/sh link to \.\/bin\/\S+$/m);
  assert.match(list, /^h.* \.\/usr\/bin\/env link to /m);
  assert.match(list, /^drwxrwxrwt 0\/0 .* \.\/tmp\/$/m);
  for (const p of ['./etc/passwd', './etc/group', './root/', './proc/', './sys/', './dev/']) assert.ok(list.includes(` ${p}\n`), p);
});

void test('image service end to end', { skip: !isRoot && 'needs root' }, async (t) => {
  const events: Array<{ action: string; id: string; ref?: string }> = [];
  let user: string | undefined;
  let userRunning = true;
  const opts: ImageServiceOptions = {
    root,
    emit: (e) => events.push(e),
    usedBy: () => user,
    isRunning: () => userRunning,
  };
  const svc = new ImageService(opts);
  await svc.init();
  assert.equal(svc.count(), 0);

  const id = await svc.importImage(src(busyboxTar), {
    repo: 'busybox:latest', changes: ['CMD ["sh"]', 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'LABEL org.test=bb'],
  });
  assert.match(id, /^sha256:[a-f0-9]{64}$/);
  assert.equal(svc.count(), 1);
  assert.deepEqual(events.map((e) => e.action), ['tag', 'import']);
  assert.equal(events[0]!.ref, 'busybox:latest');
  const diffId = digestOf(busyboxTar);

  await t.test('import is deterministic, across compressions', async () => {
    const changes = ['CMD ["sh"]', 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'LABEL org.test=bb'];
    assert.equal(await svc.importImage(src(busyboxTar), { changes }), id);
    assert.equal(await svc.importImage(src(gzipSync(busyboxTar)), { changes }), id);
    const xz = await new Promise<Buffer>((res, rej) => {
      const c = spawn('xz', ['-c', '-0'], { stdio: ['pipe', 'pipe', 'inherit'] });
      const bufs: Buffer[] = [];
      c.stdout.on('data', (b: Buffer) => bufs.push(b));
      c.on('close', (code) => (code === 0 ? res(Buffer.concat(bufs)) : rej(new Error('xz'))));
      c.stdin.end(busyboxTar);
    });
    assert.equal(await svc.importImage(src(xz), { changes }), id);
    assert.equal(svc.count(), 1);
    assert.deepEqual(await svc.content.list(), [diffId, id].sort());
  });

  await t.test('resolve by name, canonical name, id, hex and prefixes', async () => {
    const refs = ['busybox', 'busybox:latest', 'docker.io/library/busybox:latest', 'library/busybox', id, digestHex(id),
      `sha256:${digestHex(id).slice(0, 5)}`, digestHex(id).slice(0, 12), digestHex(id).slice(0, 1)];
    for (const r of refs) {
      const img = await svc.resolve(r);
      assert.equal(img.id, id, r);
    }
    const img = await svc.resolve('busybox');
    assert.deepEqual(img.config.Cmd, ['sh']);
    assert.deepEqual(img.config.Labels, { 'org.test': 'bb' });
    assert.deepEqual(img.chainIds, [diffId]);
    assert.equal(img.lowerDirs.length, 1);
    assert.equal(img.lowerDirs[0], join(root, 'overlay', digestHex(diffId), 'diff'));
    assert.ok((await stat(join(img.lowerDirs[0]!, 'bin', 'busybox'))).isFile());
    assert.ok((await stat(join(img.lowerDirs[0]!, 'bin', 'sh'))).isFile());
    assert.equal((await stat(join(img.lowerDirs[0]!, 'tmp'))).mode & 0o7777, 0o1777);
    assert.match(await readFile(join(img.lowerDirs[0]!, 'etc', 'passwd'), 'utf8'), /^root:x:0:0:root:\/root:\/bin\/sh$/m);
    await assert.rejects(svc.resolve('nope'), (e: unknown) => e instanceof NotFoundError && e.message === 'No such image: nope:latest');
    await assert.rejects(svc.resolve('busybox:1.0'), /No such image: busybox:1.0/);
    await assert.rejects(svc.resolve('sha256:' + 'f'.repeat(64)), NotFoundError);
    await assert.rejects(svc.resolve('Bad Ref'), InvalidArgumentError);
  });

  await t.test('inspect shape', async () => {
    const j = (await svc.inspect('busybox')) as InspectJson;
    assert.equal(j.Id, id);
    assert.deepEqual(j.RepoTags, ['busybox:latest']);
    assert.deepEqual(j.RepoDigests, []);
    assert.equal(j.Parent, '');
    assert.equal(j.Comment, 'Imported from -');
    assert.match(j.Created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    assert.equal(j.Architecture, process.arch === 'x64' ? 'amd64' : j.Architecture);
    assert.equal(j.Os, 'linux');
    assert.deepEqual(j.Config.Cmd, ['sh']);
    assert.equal(j.Config.Entrypoint, null);
    assert.equal(j.Config.WorkingDir, '');
    assert.deepEqual(j.Config.Env, ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin']);
    assert.deepEqual(j.ContainerConfig, j.Config);
    assert.equal(j.GraphDriver.Name, 'overlay2');
    assert.equal(j.GraphDriver.Data.UpperDir, join(root, 'overlay', digestHex(diffId), 'diff'));
    assert.equal(j.GraphDriver.Data.LowerDir, undefined);
    assert.deepEqual(j.RootFS, { Type: 'layers', Layers: [diffId] });
    assert.ok(j.Size > 1_000_000 && j.Size < busyboxTar.length, String(j.Size));
    assert.notEqual(j.Metadata.LastTagTime, '0001-01-01T00:00:00Z');
    assert.ok(Math.abs(Date.parse(j.Metadata.LastTagTime) - Date.now()) < 60_000);
  });

  const small = await tarDir({ 'hello.txt': 'hi\n' });
  const smallId = await svc.importImage(src(small), { changes: ['LABEL kind=small', 'WORKDIR /srv'], message: 'my msg' });

  await t.test('untagged image and list filters', async () => {
    const sj = (await svc.inspect(smallId)) as InspectJson;
    assert.deepEqual(sj.RepoTags, []);
    assert.equal(sj.Comment, 'my msg');
    assert.equal(sj.Created, '2020-09-13T12:26:40Z');
    const all = (await svc.list({})) as ListJson[];
    assert.equal(all.length, 2);
    assert.deepEqual(Object.keys(all[0]!).sort(), ['Containers', 'Created', 'Id', 'Labels', 'ParentId', 'RepoDigests', 'RepoTags', 'SharedSize', 'Size']);
    assert.deepEqual(all.map((i) => i.Id), [id, smallId]); // newest first
    const bb = all[0]!;
    assert.deepEqual(bb.RepoTags, ['busybox:latest']);
    assert.equal(bb.SharedSize, -1);
    assert.equal(bb.Containers, -1);
    assert.deepEqual(bb.Labels, { 'org.test': 'bb' });
    assert.equal(typeof bb.Created, 'number');
    const ids = async (filters: Record<string, string[]>): Promise<string[]> =>
      ((await svc.list({ filters })) as Array<{ Id: string }>).map((i) => i.Id);
    assert.deepEqual(await ids({ dangling: ['true'] }), [smallId]);
    assert.deepEqual(await ids({ dangling: ['false'] }), [id]);
    assert.deepEqual(await ids({ label: ['kind'] }), [smallId]);
    assert.deepEqual(await ids({ label: ['kind=small'] }), [smallId]);
    assert.deepEqual(await ids({ label: ['kind=big'] }), []);
    assert.deepEqual(await ids({ reference: ['busy*'] }), [id]);
    assert.deepEqual(await ids({ reference: ['busybox:lat*'] }), [id]);
    assert.deepEqual(await ids({ reference: ['docker.io/library/*'] }), [id]);
    assert.deepEqual(await ids({ reference: ['*'] }), [id]);
    assert.deepEqual(await ids({ reference: ['other'] }), []);
    await svc.tag('busybox', 'mybox', '1');
    const narrowed = (await svc.list({ filters: { reference: ['mybox'] } })) as ListJson[];
    assert.deepEqual(narrowed.map((i) => i.RepoTags), [['mybox:1']], 'a reference filter narrows RepoTags like moby');
    await svc.remove('mybox:1');
    assert.deepEqual(await ids({ before: ['busybox'] }), [smallId]);
    assert.deepEqual(await ids({ since: [smallId] }), [id]);
    assert.deepEqual(await ids({ until: ['2021-01-01'] }), [smallId]);
    assert.deepEqual(await ids({ until: ['1h'] }).then((x) => x.includes(smallId)), true);
    await assert.rejects(svc.list({ filters: { bogus: ['x'] } }), InvalidArgumentError);
    await assert.rejects(svc.list({ filters: { dangling: ['maybe'] } }), /Invalid filter 'dangling=maybe'/);
    await assert.rejects(svc.list({ filters: { before: ['nope'] } }), NotFoundError);
  });

  await t.test('tag and untag', async () => {
    events.length = 0;
    await svc.tag('busybox', 'myrepo/bb', 'v1');
    await svc.tag(digestHex(id).slice(0, 6), 'localhost:5000/x');
    await svc.tag('busybox', 'docker.io/library/busybox:copy');
    await svc.tag(smallId, 'small:1');
    assert.deepEqual(events.map((e) => `${e.action} ${e.ref}`), ['tag myrepo/bb:v1', 'tag localhost:5000/x:latest', 'tag busybox:copy', 'tag small:1']);
    const j = (await svc.inspect(id)) as { RepoTags: string[] };
    assert.deepEqual(j.RepoTags, ['busybox:copy', 'busybox:latest', 'localhost:5000/x:latest', 'myrepo/bb:v1']);
    await assert.rejects(svc.tag('busybox', 'Bad/Repo'), /must be lowercase/);
    await assert.rejects(svc.tag('busybox', 'ok', '-bad'), /invalid reference format/);
    await assert.rejects(svc.tag('busybox', `x@sha256:${'a'.repeat(64)}`), /digest reference/);
    await assert.rejects(svc.tag('missing', 'x'), /No such image: missing:latest/);
    // retagging moves the tag: small:1 → busybox
    await svc.tag('busybox', 'small', '1');
    assert.deepEqual(((await svc.inspect(smallId)) as { RepoTags: string[] }).RepoTags, []);
    assert.deepEqual(await svc.remove('small:1'), [{ Untagged: 'small:1' }]);

    assert.deepEqual(await svc.remove('myrepo/bb:v1'), [{ Untagged: 'myrepo/bb:v1' }]);
    assert.deepEqual(await svc.remove('busybox:copy'), [{ Untagged: 'busybox:copy' }]);
    await assert.rejects(svc.remove('myrepo/bb:v1'), NotFoundError);
    // by ID with several tags needs force
    await assert.rejects(svc.remove(id), (e: unknown) => e instanceof ConflictError &&
      e.message === `conflict: unable to delete ${digestHex(id).slice(0, 12)} (must be forced) - image is referenced in multiple repositories`);
    assert.equal(svc.count(), 2);
  });

  await t.test('removal refused while a container uses the image', async () => {
    const cid = 'c'.repeat(64);
    user = cid;
    userRunning = true;
    // not the last tag: plain untag is fine
    assert.deepEqual(await svc.remove('localhost:5000/x'), [{ Untagged: 'localhost:5000/x:latest' }]);
    await assert.rejects(svc.remove('busybox'), (e: unknown) => e instanceof ConflictError &&
      e.message === `conflict: unable to remove repository reference "busybox" (must force) - container ${'c'.repeat(12)} is using its referenced image ${digestHex(id).slice(0, 12)}`);
    await assert.rejects(svc.remove(id, { force: true }), (e: unknown) => e instanceof ConflictError &&
      e.message === `conflict: unable to delete ${digestHex(id).slice(0, 12)} (cannot be forced) - image is being used by running container ${'c'.repeat(12)}`);
    userRunning = false;
    await assert.rejects(svc.remove(id), /\(must be forced\) - image is being used by stopped container c{12}/);
    // forced removal by name untags; the image stays (dangling) because a container still needs its layers
    assert.deepEqual(await svc.remove('busybox', { force: true }), [{ Untagged: 'busybox:latest' }]);
    assert.equal(svc.count(), 2);
    assert.deepEqual(((await svc.inspect(id)) as { RepoTags: string[] }).RepoTags, []);
    await svc.tag(id, 'busybox');
    user = undefined;
  });

  await t.test('shared layers survive removal of one image', async () => {
    const other = await svc.importImage(src(busyboxTar), { repo: 'bb2', changes: ['CMD ["ls"]'] });
    assert.notEqual(other, id);
    assert.deepEqual((await svc.resolve('bb2')).chainIds, [diffId]);
    events.length = 0;
    const recs = await svc.remove('bb2');
    assert.deepEqual(recs, [{ Untagged: 'bb2:latest' }, { Deleted: other }]); // layer still used by busybox
    assert.deepEqual(events.map((e) => e.action), ['untag', 'delete']);
    assert.ok(await svc.layers.exists(diffId));
    assert.equal(await svc.content.has(other as `sha256:${string}`), false);
    await assert.rejects(svc.resolve('bb2'), NotFoundError);
  });

  await t.test('bad input stores nothing', async () => {
    const before = await svc.content.list();
    await assert.rejects(svc.importImage(src(small), { changes: ['FOO bar'] }), /unknown instruction: FOO/);
    await assert.rejects(svc.importImage(src(small), { repo: 'Bad' }), /must be lowercase/);
    await assert.rejects(svc.importImage(src(Buffer.alloc(5000, 0x41)), {}), InvalidArgumentError);
    await assert.rejects(svc.importImage(Readable.from([]), {}), /empty/);
    await assert.rejects(svc.importImage(src(small), { platform: 'windows/amd64' }), /only linux/);
    assert.deepEqual(await svc.content.list(), before);
    assert.deepEqual(await readdir(svc.content.ingestDir), []);
    assert.ok(!(await readdir(svc.layers.root)).some((n) => n.startsWith('.')));
  });

  await t.test('state survives a restart', async () => {
    const before = { list: await svc.list({}), inspect: await svc.inspect('busybox') };
    const svc2 = new ImageService({ root });
    await svc2.init();
    assert.equal(svc2.count(), 2);
    assert.deepEqual(await svc2.list({}), before.list);
    assert.deepEqual(await svc2.inspect('busybox'), before.inspect);
    assert.equal((await svc2.resolve(digestHex(smallId).slice(0, 8))).id, smallId);
    const repos = JSON.parse(await readFile(join(root, 'image', 'repositories.json'), 'utf8'));
    assert.deepEqual(repos, { Repositories: { 'docker.io/library/busybox': { 'docker.io/library/busybox:latest': id } } });
  });

  await t.test('delete by id removes image, layer and blobs', async () => {
    const recs = await svc.remove(smallId);
    assert.deepEqual(recs, [{ Deleted: smallId }, { Deleted: digestOf(small) }]);
    const recs2 = await svc.remove(digestHex(id).slice(0, 12));
    assert.deepEqual(recs2, [{ Untagged: 'busybox:latest' }, { Deleted: id }, { Deleted: diffId }]);
    assert.equal(svc.count(), 0);
    assert.deepEqual(await svc.content.list(), []);
    assert.deepEqual(await readdir(svc.layers.root), []);
    assert.deepEqual(await readdir(join(root, 'image', 'meta')), []);
    assert.deepEqual(await svc.list({}), []);
  });
});

void test('init collects garbage left by an interrupted import', { skip: !isRoot && 'needs root' }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-images-gc-'));
  try {
    const svc = new ImageService({ root: dir });
    await svc.init();
    const keep = await svc.importImage(src(await tarDir({ a: 'a' })), { repo: 'keep' });
    // a layer and blob without an image (crash before the config/meta were written), plus stale temp dirs
    const orphanTar = await tarDir({ b: 'b' });
    await svc.content.writeBytes(orphanTar);
    await svc.layers.apply(Readable.from([orphanTar]));
    await mkdir(join(dir, 'overlay', '.tmp-dead'), { recursive: true });
    await writeFile(join(dir, 'content', 'ingest', 'dead'), 'x');
    const svc2 = new ImageService({ root: dir });
    await svc2.init();
    assert.equal(svc2.count(), 1);
    assert.equal(await svc2.content.has(digestOf(orphanTar)), false);
    assert.equal(await svc2.layers.exists(digestOf(orphanTar)), false);
    assert.deepEqual(await readdir(join(dir, 'content', 'ingest')), []);
    assert.ok(!(await readdir(join(dir, 'overlay'))).some((n) => n.startsWith('.')));
    assert.equal((await svc2.resolve('keep')).id, keep);
    await execFile('true', []);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
