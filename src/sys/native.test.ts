import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadNative } from './native.js';
import { isMounted } from './mount.js';

const isRoot = process.getuid?.() === 0;

void test('native mount/umount2: a tmpfs mounted and unmounted; errors carry the errno name', { skip: !isRoot }, async () => {
  const n = loadNative();
  const dir = await mkdtemp(join(tmpdir(), 'berth-native-'));
  const target = join(dir, 'mnt');
  await mkdir(target);
  try {
    await n.mount('tmpfs', target, 'tmpfs', 0, 'size=1m,mode=0700');
    assert.ok(await isMounted(target));
    await writeFile(join(target, 'f'), 'x');
    assert.equal(await readFile(join(target, 'f'), 'utf8'), 'x');
    await n.umount2(target, 0);
    assert.equal(await isMounted(target), false);
    await assert.rejects(readFile(join(target, 'f')), /ENOENT/, 'the file lived on the tmpfs only');
    // Not a mount point: EINVAL; no such target: ENOENT; an unknown fs type: ENODEV.
    await assert.rejects(n.umount2(target, 0), (e: NodeJS.ErrnoException) => e.code === 'EINVAL' && /umount2/.test(e.message));
    await assert.rejects(n.mount('tmpfs', join(dir, 'missing'), 'tmpfs', 0, null), (e: NodeJS.ErrnoException) => e.code === 'ENOENT');
    await assert.rejects(n.mount('x', target, 'nosuchfs', 0, null), (e: NodeJS.ErrnoException) => e.code === 'ENODEV');
  } finally {
    if (await isMounted(target)) await n.umount2(target, 2);
    await rm(dir, { recursive: true, force: true });
  }
});

void test('native mount: bad arguments are a TypeError, not a crash', () => {
  const n = loadNative();
  assert.throws(() => (n.mount as unknown as (...a: unknown[]) => unknown)('a', 42, 'tmpfs', 0, null), TypeError);
  assert.throws(() => (n.umount2 as unknown as (...a: unknown[]) => unknown)('/x'), TypeError);
});
