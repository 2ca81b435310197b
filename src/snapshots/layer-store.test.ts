import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, mkdir, writeFile, lstat, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { execFile, NotFoundError } from '../base/index.js';
import { childChainId, digestOf, digestHex } from '../oci/index.js';
import { LayerStore } from './layer-store.js';

const isRoot = process.getuid?.() === 0;

async function tarOf(src: string): Promise<Buffer> {
  const r = await new Promise<Buffer>((resolve, reject) => {
    import('node:child_process').then(({ spawn }) => {
      const c = spawn('tar', ['-C', src, '--sort=name', '--owner=0', '--group=0', '--numeric-owner', '--mtime=@0', '-cf', '-', '.']);
      const bufs: Buffer[] = [];
      c.stdout.on('data', (b: Buffer) => bufs.push(b));
      c.on('close', (code) => (code === 0 ? resolve(Buffer.concat(bufs)) : reject(new Error(`tar ${code}`))));
    }, reject);
  });
  return r;
}

void test('apply, whiteouts, chain IDs, shared reuse, remove', { skip: !isRoot && 'needs root' }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-layers-'));
  try {
    const store = new LayerStore(join(dir, 'overlay'));
    await store.init();
    // base layer
    const base = join(dir, 'base');
    await mkdir(join(base, 'etc', 'sub'), { recursive: true });
    await writeFile(join(base, 'etc', 'x'), 'xx');
    await writeFile(join(base, 'etc', 'sub', 'y'), 'yyy');
    const baseTar = await tarOf(base);
    const l0 = await store.apply(Readable.from([baseTar]));
    assert.equal(l0.diffId, digestOf(baseTar));
    assert.equal(l0.chainId, l0.diffId);
    assert.equal(l0.size, 5);
    assert.equal(await readFile(join(store.diffPath(l0.chainId), 'etc', 'x'), 'utf8'), 'xx');
    // upper layer deleting x and making sub opaque
    const up = join(dir, 'up');
    await mkdir(join(up, 'etc', 'sub'), { recursive: true });
    await writeFile(join(up, 'etc', '.wh.x'), '');
    await writeFile(join(up, 'etc', 'sub', '.wh..wh..opq'), '');
    await writeFile(join(up, 'etc', 'sub', 'z'), 'z');
    const upTar = await tarOf(up);
    const l1 = await store.apply(Readable.from([upTar]), l0.chainId);
    assert.equal(l1.diffId, digestOf(upTar));
    assert.equal(l1.chainId, childChainId(l0.chainId, l1.diffId));
    assert.equal(l1.parent, l0.chainId);
    const wh = await lstat(join(store.diffPath(l1.chainId), 'etc', 'x'));
    assert.ok(wh.isCharacterDevice());
    assert.equal(wh.rdev, 0);
    const op = await execFile('getfattr', ['--only-values', '-n', 'trusted.overlay.opaque', join(store.diffPath(l1.chainId), 'etc', 'sub')]);
    assert.equal(op.stdout, 'y');
    assert.deepEqual(store.lowerDirs([l0.chainId, l1.chainId]), [store.diffPath(l1.chainId), store.diffPath(l0.chainId)]);

    // the stack really works as overlayfs lower dirs: x is deleted, sub is opaque
    const mnt = join(dir, 'mnt');
    await mkdir(mnt);
    await execFile('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${store.lowerDirs([l0.chainId, l1.chainId]).join(':')}`, mnt]);
    try {
      assert.deepEqual((await readdir(join(mnt, 'etc'))).sort(), ['sub']);
      assert.deepEqual(await readdir(join(mnt, 'etc', 'sub')), ['z']);
    } finally {
      await execFile('umount', [mnt]);
    }

    // reuse: same content applied again returns the same layer, nothing duplicated, no temp dirs left
    const marker = join(store.diffPath(l0.chainId), 'marker');
    await writeFile(marker, 'm');
    const again = await store.apply(Readable.from([baseTar]));
    assert.deepEqual(again, l0);
    assert.equal(await readFile(marker, 'utf8'), 'm'); // the existing directory was kept
    const names = (await readdir(store.root)).sort();
    assert.deepEqual(names, [digestHex(l0.chainId), digestHex(l1.chainId)].sort());
    assert.deepEqual(await store.list(), [l0.chainId, l1.chainId].sort());

    // the same diff on a different parent is a different chain
    const other = await store.apply(Readable.from([upTar]));
    assert.equal(other.chainId, other.diffId);
    assert.notEqual(other.chainId, l1.chainId);

    // persistence
    const reopened = new LayerStore(store.root);
    await reopened.init();
    assert.equal(await reopened.size(l1.chainId), l1.size);

    await assert.rejects(store.apply(Readable.from([upTar]), digestOf('missing')), NotFoundError);
    await store.remove(l1.chainId);
    assert.equal(await store.exists(l1.chainId), false);
    await store.remove(l1.chainId); // idempotent
    await assert.rejects(store.get(l1.chainId), NotFoundError);
    assert.ok(!(await readdir(store.root)).some((n) => n.startsWith('.')));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

void test('failed extraction leaves nothing behind', { skip: !isRoot && 'needs root' }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-layers-'));
  try {
    const store = new LayerStore(join(dir, 'overlay'));
    await store.init();
    await assert.rejects(store.apply(Readable.from([Buffer.from('this is not a tar archive'.repeat(40))])), /failed to extract layer/);
    assert.deepEqual(await readdir(store.root), []);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

void test('prepare in any order, commit bottom-up; a missing parent or a discard leaves nothing', { skip: !isRoot && 'needs root' }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-layers-'));
  try {
    const store = new LayerStore(join(dir, 'overlay'));
    await store.init();
    const tars: Buffer[] = [];
    for (const name of ['a', 'b', 'c']) {
      const src = join(dir, name);
      await mkdir(src, { recursive: true });
      await writeFile(join(src, `${name}.txt`), name.repeat(3));
      tars.push(await tarOf(src));
    }
    // The upper layers are unpacked first and at once; nothing is visible before a commit.
    const [pc, pb, pa] = await Promise.all([tars[2]!, tars[1]!, tars[0]!].map((t) => store.prepare(Readable.from([t]))));
    assert.deepEqual(await store.list(), []);
    assert.equal(pb!.diffId, digestOf(tars[1]!));
    assert.equal(pb!.size, 3);
    // A child before its parent is refused, and its prepared directory is gone.
    await assert.rejects(store.commit(pb!, childChainId(undefined, pa!.diffId)), NotFoundError);
    await assert.rejects(lstat(pb!.tmp), /ENOENT/);
    const la = await store.commit(pa!);
    assert.equal(la.chainId, pa!.diffId);
    const lb = await store.apply(Readable.from([tars[1]!]), la.chainId);
    const lc = await store.commit(pc!, lb.chainId);
    assert.equal(lc.chainId, childChainId(lb.chainId, digestOf(tars[2]!)));
    assert.equal(await readFile(join(store.diffPath(lc.chainId), 'c.txt'), 'utf8'), 'ccc');
    assert.deepEqual((await store.list()).sort(), [la.chainId, lb.chainId, lc.chainId].sort());
    // verifiedElsewhere: the stream is not hashed, the given diff ID is recorded; discard removes the directory.
    const trusted = await store.prepare(Readable.from([tars[0]!]), { verifiedElsewhere: digestOf(tars[0]!) });
    assert.equal(trusted.diffId, digestOf(tars[0]!));
    await store.discard(trusted);
    await assert.rejects(lstat(trusted.tmp), /ENOENT/);
    assert.deepEqual((await readdir(store.root)).filter((n) => n.startsWith('.')), []);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
