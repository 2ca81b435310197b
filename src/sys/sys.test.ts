import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  cgroupDirs, cgroupHierarchies, isAlive, isMounted, isSameProcessAlive, mountOverlay, overlayMountOptions,
  processStartTime, processState, removeCgroup, unmount,
} from './index.js';

void test('isAlive / processStartTime / zombies', async () => {
  assert.equal(isAlive(process.pid), true);
  assert.equal(processState(process.pid), 'R');
  const st = processStartTime(process.pid);
  assert.ok(st && st > 0);
  assert.equal(isSameProcessAlive(process.pid, st), true);
  assert.equal(isSameProcessAlive(process.pid, st + 1), false);
  assert.equal(isAlive(0), false);
  assert.equal(isAlive(2 ** 22 + 5), false);
  assert.equal(processStartTime(2 ** 22 + 5), undefined);
  // A child that exited but was not reaped yet is a zombie: kill -0 would say alive, isAlive must not.
  const child = spawn('/bin/sh', ['-c', 'exit 0'], { stdio: 'ignore' });
  const pid = child.pid!;
  // libuv reaps on SIGCHLD; stop the event loop from doing so by checking synchronously in a busy loop.
  const end = Date.now() + 2000;
  let sawZombie = false;
  while (Date.now() < end) {
    const s = processState(pid);
    if (s === 'Z') { sawZombie = true; break; }
    if (s === undefined) break;
  }
  if (sawZombie) assert.equal(isAlive(pid), false);
  await new Promise((r) => child.on('close', r));
  assert.equal(isAlive(pid), false);
});

void test('overlay option string and page-size limit', async () => {
  assert.equal(
    overlayMountOptions({ lowerDirs: ['/a', '/b'], upperDir: '/u', workDir: '/w', target: '/t' }),
    'lowerdir=/a:/b,upperdir=/u,workdir=/w',
  );
  assert.throws(() => overlayMountOptions({ lowerDirs: ['/a:b'], upperDir: '/u', workDir: '/w', target: '/t' }), /must not contain/);
  assert.throws(() => overlayMountOptions({ lowerDirs: [], upperDir: '/u', workDir: '/w', target: '/t' }), /at least one/);
  const many = Array.from({ length: 200 }, (_, i) => `/var/lib/berth/overlay/${'f'.repeat(40)}${i}/diff`);
  await assert.rejects(mountOverlay({ lowerDirs: many, upperDir: '/u', workDir: '/w', target: '/t' }), /over the kernel's \d+-byte limit/);
});

void test('mountOverlay, isMounted, unmount (tolerant of not mounted)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-sys-'));
  try {
    for (const d of ['l1', 'l2', 'u', 'w', 'm']) await mkdir(join(dir, d));
    await writeFile(join(dir, 'l1/a'), 'top');
    await writeFile(join(dir, 'l2/a'), 'bottom');
    await writeFile(join(dir, 'l2/b'), 'b');
    const target = join(dir, 'm');
    assert.equal(await isMounted(target), false);
    await mountOverlay({ lowerDirs: [join(dir, 'l1'), join(dir, 'l2')], upperDir: join(dir, 'u'), workDir: join(dir, 'w'), target });
    try {
      assert.equal(await isMounted(target), true);
      assert.equal(await readFile(join(target, 'a'), 'utf8'), 'top');
      assert.equal(await readFile(join(target, 'b'), 'utf8'), 'b');
      await writeFile(join(target, 'c'), 'c');
      assert.equal(await readFile(join(dir, 'u/c'), 'utf8'), 'c');
    } finally {
      await unmount(target);
    }
    assert.equal(await isMounted(target), false);
    await unmount(target); // not mounted: fine
    await unmount(join(dir, 'missing'), { lazy: true }); // does not exist: fine
    await mountOverlay({ lowerDirs: [join(dir, 'l1')], upperDir: join(dir, 'u'), workDir: join(dir, 'w'), target });
    await unmount(target, { lazy: true });
    assert.equal(await isMounted(target), false);
    await assert.rejects(
      mountOverlay({ lowerDirs: [join(dir, 'nope')], upperDir: join(dir, 'u'), workDir: join(dir, 'w'), target }),
      /mounting overlay/,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

void test('cgroup helpers', async () => {
  const hs = await cgroupHierarchies();
  assert.ok(hs.length > 0);
  const path = `/berth-sys-test-${process.pid}/leaf`;
  for (const h of hs) await mkdir(join(h, path), { recursive: true });
  assert.equal((await cgroupDirs(path)).length, hs.length);
  await removeCgroup(`/berth-sys-test-${process.pid}`);
  assert.deepEqual(await cgroupDirs(`/berth-sys-test-${process.pid}`), []);
  await assert.rejects(removeCgroup('/../etc'), /invalid cgroup path/);
});
