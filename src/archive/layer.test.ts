import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, mkdir, writeFile, lstat, readFile, readdir, stat } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { execFile } from '../base/index.js';
import { digestOf } from '../oci/index.js';
import { extractLayer, diffIdOf, treeSize } from './layer.js';
import { decompressStream, detectCompression } from './compression.js';

const isRoot = process.getuid?.() === 0;

async function tmp(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'berth-archive-'));
}

/** Builds a tar of `src` (deterministic) and returns its bytes. */
async function tarOf(src: string, extra: string[] = ['--owner=0', '--group=0']): Promise<Buffer> {
  const out = join(src, '..', `t-${Math.random().toString(36).slice(2)}.tar`);
  await execFile('tar', ['-C', src, '--sort=name', '--numeric-owner', '--mtime=@0', ...extra, '-cf', out, '.']);
  const b = await readFile(out);
  await rm(out);
  return b;
}

void test('extract converts whiteouts and opaque dirs into overlayfs form', { skip: !isRoot && 'needs root' }, async () => {
  const dir = await tmp();
  try {
    const src = join(dir, 'src');
    await mkdir(join(src, 'etc', 'opq'), { recursive: true });
    await writeFile(join(src, 'etc', '.wh.gone'), '');
    await writeFile(join(src, 'etc', 'kept'), 'kept\n');
    await writeFile(join(src, 'etc', 'opq', '.wh..wh..opq'), '');
    await writeFile(join(src, 'etc', 'opq', 'new'), 'new\n');
    await writeFile(join(src, '.wh..wh.plnk'), '');
    const bytes = await tarOf(src);
    const out = join(dir, 'out');
    const r = await extractLayer(Readable.from([bytes]), out);
    assert.equal(r.diffId, digestOf(bytes));
    assert.equal(r.tarSize, bytes.length);
    const gone = await lstat(join(out, 'etc', 'gone'));
    assert.ok(gone.isCharacterDevice());
    assert.equal(gone.rdev, 0);
    await assert.rejects(lstat(join(out, 'etc', '.wh.gone')), { code: 'ENOENT' });
    await assert.rejects(lstat(join(out, 'etc', 'opq', '.wh..wh..opq')), { code: 'ENOENT' });
    await assert.rejects(lstat(join(out, '.wh..wh.plnk')), { code: 'ENOENT' });
    const x = await execFile('getfattr', ['--only-values', '-n', 'trusted.overlay.opaque', join(out, 'etc', 'opq')]);
    assert.equal(x.stdout, 'y');
    assert.equal(await readFile(join(out, 'etc', 'opq', 'new'), 'utf8'), 'new\n');
    const noX = await execFile('getfattr', ['--only-values', '-n', 'trusted.overlay.opaque', join(out, 'etc')], { allowFail: true });
    assert.notEqual(noX.code, 0);
    assert.equal(await treeSize(out), 'kept\n'.length + 'new\n'.length);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

void test('extract preserves owners, modes, xattrs, device nodes and hard links', { skip: !isRoot && 'needs root' }, async () => {
  const dir = await tmp();
  try {
    const src = join(dir, 'src');
    await mkdir(join(src, 'tmp'), { recursive: true });
    await execFile('chmod', ['1777', join(src, 'tmp')]);
    await writeFile(join(src, 'owned'), 'x');
    await execFile('chown', ['1234:5678', join(src, 'owned')]);
    await execFile('setfattr', ['-n', 'user.test', '-v', 'hello', join(src, 'owned')]);
    await execFile('mknod', [join(src, 'null'), 'c', '1', '3']);
    await execFile('ln', [join(src, 'owned'), join(src, 'link')]);
    const bytes = await tarOf(src, ['--xattrs', '--xattrs-include=*']);
    const out = join(dir, 'out');
    await extractLayer(Readable.from([bytes]), out);
    const st = await lstat(join(out, 'owned'));
    assert.equal(st.uid, 1234);
    assert.equal(st.gid, 5678);
    assert.equal((await stat(join(out, 'tmp'))).mode & 0o7777, 0o1777);
    assert.ok((await lstat(join(out, 'null'))).isCharacterDevice());
    assert.equal((await lstat(join(out, 'link'))).ino, st.ino);
    const x = await execFile('getfattr', ['--only-values', '-n', 'user.test', join(out, 'owned')]);
    assert.equal(x.stdout, 'hello');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

void test('extract refuses path escapes', { skip: !isRoot && 'needs root' }, async () => {
  const dir = await tmp();
  try {
    const work = join(dir, 'a', 'b');
    await mkdir(work, { recursive: true });
    await writeFile(join(dir, 'a', 'evil'), 'evil');
    const tarFile = join(dir, 'evil.tar');
    await execFile('tar', ['-C', work, '-P', '-cf', tarFile, '../evil']);
    const out = join(dir, 'out', 'x');
    await assert.rejects(extractLayer(createReadStream(tarFile), out), /failed to extract layer/);
    await assert.rejects(lstat(join(dir, 'out', 'evil')), { code: 'ENOENT' });
    assert.deepEqual(await readdir(out), []);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

void test('decompression sniffing: gzip, bzip2, xz, plain', async () => {
  const dir = await tmp();
  try {
    const payload = Buffer.concat(Array.from({ length: 50 }, (_, i) => Buffer.alloc(4096, i)));
    const f = join(dir, 'p');
    await writeFile(f, payload);
    await execFile('bzip2', ['-k', f]);
    await execFile('xz', ['-k', f]);
    const gz = await new Promise<Buffer>((resolve, reject) => {
      const bufs: Buffer[] = [];
      const z = createGzip();
      z.on('data', (b: Buffer) => bufs.push(b)).on('end', () => resolve(Buffer.concat(bufs))).on('error', reject);
      z.end(payload);
    });
    const cases: Array<[string, Buffer]> = [
      ['gzip', gz], ['bzip2', await readFile(f + '.bz2')], ['xz', await readFile(f + '.xz')], ['none', payload],
    ];
    for (const [kind, data] of cases) {
      assert.equal(detectCompression(data.subarray(0, 6)), kind);
      const chunks = Array.from({ length: Math.ceil(data.length / 1000) }, (_, i) => data.subarray(i * 1000, (i + 1) * 1000));
      const { stream, compression } = await decompressStream(Readable.from(chunks));
      assert.equal(compression, kind);
      const r = await diffIdOf(stream);
      assert.equal(r.digest, digestOf(payload), kind);
      assert.equal(r.size, payload.length);
    }
    // corrupt xz → error
    const bad = Buffer.from(cases[2]![1]);
    bad.fill(0x41, 20, 200);
    const { stream } = await decompressStream(Readable.from([bad]));
    await assert.rejects(diffIdOf(stream), /xz decompression failed/);
    // empty input
    const empty = await decompressStream(Readable.from([]));
    assert.equal((await diffIdOf(empty.stream)).size, 0);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
