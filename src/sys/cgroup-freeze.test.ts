import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cgroupFreezer, setCgroupFrozen } from './index.js';

const isRoot = process.getuid?.() === 0;
const v1 = existsSync('/sys/fs/cgroup/freezer');
const v2 = existsSync('/sys/fs/cgroup/cgroup.controllers');

void test('no freezer for an invalid or missing cgroup path: the caller falls back to the runtime', async () => {
  assert.equal(await cgroupFreezer('/'), undefined);
  assert.equal(await cgroupFreezer('/a/../b'), undefined);
  assert.equal(await cgroupFreezer('/berth-no-such-cgroup-here'), undefined);
  assert.equal(await setCgroupFrozen('/berth-no-such-cgroup-here', true), false);
});

void test('freezes and thaws the processes of a cgroup', { skip: !isRoot || (!v1 && !v2) }, async () => {
  const rel = `berth-freeze-test-${process.pid}`;
  const base = v1 ? '/sys/fs/cgroup/freezer' : '/sys/fs/cgroup';
  const dir = join(base, rel);
  await mkdir(dir);
  const child = spawn('sleep', ['100'], { stdio: 'ignore' });
  try {
    await writeFile(join(dir, 'cgroup.procs'), String(child.pid));
    assert.equal(await setCgroupFrozen(`/${rel}`, true), true);
    if (v1) assert.equal((await readFile(join(dir, 'freezer.state'), 'utf8')).trim(), 'FROZEN');
    else assert.match(await readFile(join(dir, 'cgroup.events'), 'utf8'), /^frozen 1$/m);
    assert.equal(await setCgroupFrozen(`/${rel}`, false), true);
    if (v1) assert.equal((await readFile(join(dir, 'freezer.state'), 'utf8')).trim(), 'THAWED');
    else assert.match(await readFile(join(dir, 'cgroup.events'), 'utf8'), /^frozen 0$/m);
  } finally {
    child.kill('SIGKILL');
    await new Promise((r) => child.once('close', r));
    for (let i = 0; i < 50; i++) {
      try {
        await rmdir(dir);
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  }
  assert.equal(existsSync(dir), false, 'test cgroup removed');
});
