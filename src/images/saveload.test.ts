import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, readdir, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { ImageService } from './service.js';
import { saveImages } from './save.js';
import { loadImages } from './load.js';
import { imageHistory } from './history.js';
import { pruneImages } from './prune.js';
import { imageDiskUsage } from './df.js';

function tar(args: string[], input?: Buffer): Promise<Buffer> {
  return new Promise((res, rej) => {
    const c = spawn('tar', args, { stdio: ['pipe', 'pipe', 'inherit'] });
    const bufs: Buffer[] = [];
    c.stdout.on('data', (b: Buffer) => bufs.push(b));
    c.on('error', rej);
    c.on('close', (code) => (code === 0 ? res(Buffer.concat(bufs)) : rej(new Error(`tar exited ${code}`))));
    c.stdin.end(input);
  });
}

async function layerTar(dir: string, files: Record<string, string>): Promise<Buffer> {
  await mkdir(dir, { recursive: true });
  for (const [p, c] of Object.entries(files)) await writeFile(join(dir, p), c);
  return tar(['-C', dir, '--sort=name', '--owner=0', '--group=0', '--numeric-owner', '--mtime=@1600000000', '-cf', '-', '.']);
}

async function withStores(fn: (a: ImageService, b: ImageService, tmp: string) => Promise<void>): Promise<void> {
  const tmp = await mkdtemp(join(tmpdir(), 'berth-saveload-'));
  try {
    const a = new ImageService({ root: join(tmp, 'a') });
    const b = new ImageService({ root: join(tmp, 'b') });
    await a.init();
    await b.init();
    await fn(a, b, tmp);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

void test('save from one store, load into another: same IDs, tags, history; shared layer once', async () => {
  await withStores(async (a, b, tmp) => {
    const t1 = await layerTar(join(tmp, 'l1'), { 'hello.txt': 'hello' });
    const id1 = await a.importImage(Readable.from([t1]), { repo: 'one', tag: 'v1' });
    await a.tag(id1, 'alias:latest');
    const t2 = await layerTar(join(tmp, 'l2'), { 'other.txt': 'other' });
    const id2 = await a.importImage(Readable.from([t2]), { repo: 'two' });
    const archive = await buffer(await saveImages(a, ['one:v1', 'alias', 'two']));
    const names = (await tar(['-tf', '-'], archive)).toString().trim().split('\n');
    assert.equal(names.filter((n) => n.startsWith('blobs/sha256/') && n.length > 14).length, 6); // 2 layers, 2 configs, 2 manifests
    const lines: string[] = [];
    await loadImages(b, Readable.from([archive]), b.dataRoot, async (l) => { lines.push(l); });
    assert.deepEqual(lines.sort(), ['Loaded image: alias:latest', 'Loaded image: one:v1', 'Loaded image: two:latest']);
    assert.equal(b.snapshot('one:v1').id, id1);
    assert.equal(b.snapshot('alias').id, id1);
    assert.equal(b.snapshot('two').id, id2);
    assert.deepEqual(await imageHistory(b, 'two'), await imageHistory(a, 'two'));
    assert.deepEqual(await readdir(join(b.dataRoot, 'load-tmp')), []);
    // unknown names fail before anything is streamed
    assert.throws(() => a.snapshot('nosuch'), /No such image: nosuch:latest/);
    await assert.rejects(saveImages(a, ['nosuch']), /No such image/);
  });
});

void test('prune removes only unused images; dangling first; df counts layers once', async () => {
  await withStores(async (a, _b, tmp) => {
    const used = new Set<string>();
    const svc = new ImageService({ root: join(tmp, 'c'), usedBy: (id) => (used.has(id) ? 'c'.repeat(64) : undefined), isRunning: () => false });
    await svc.init();
    void a;
    const mk = async (name: string, repo?: string) => svc.importImage(Readable.from([await layerTar(join(tmp, name), { [name]: name })]), repo ? { repo } : {});
    const dangling = await mk('d1');
    const danglingUsed = await mk('d2');
    used.add(danglingUsed);
    const tagged = await mk('t1', 'tagged');
    const r1 = await pruneImages(svc, {});
    assert.deepEqual(r1.ImagesDeleted?.filter((r) => r.Deleted === dangling).length, 1);
    assert.ok(r1.SpaceReclaimed > 0);
    assert.equal(svc.snapshot(danglingUsed).id, danglingUsed);
    assert.equal(svc.snapshot('tagged').id, tagged);
    const r2 = await pruneImages(svc, { dangling: ['false'], until: ['2000-01-01'] });
    assert.equal(r2.ImagesDeleted, null);
    const r3 = await pruneImages(svc, { dangling: ['false'] });
    assert.deepEqual(r3.ImagesDeleted?.[0], { Untagged: 'tagged:latest' });
    assert.equal(svc.snapshots().length, 1);
    await assert.rejects(pruneImages(svc, { bogus: ['1'] }), /invalid filter 'bogus'/);
    const du = await imageDiskUsage(svc, (id) => (used.has(id) ? 1 : 0));
    assert.equal(du.Images.length, 1);
    assert.equal(du.LayersSize, svc.snapshot(danglingUsed).size);
  });
});
