import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isBeneath, secureJoin, SymlinkLoopError } from './securejoin.js';

async function tree(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'securejoin-'));
  await mkdir(join(root, 'etc'));
  await writeFile(join(root, 'etc/passwd'), 'x');
  await mkdir(join(root, 'a/b'), { recursive: true });
  await symlink('/', join(root, 'escape'));
  await symlink('../../../../../../', join(root, 'up'));
  await symlink('/etc', join(root, 'etclink'));
  await symlink('b', join(root, 'a/rel'));
  await symlink('../etc/passwd', join(root, 'a/pw'));
  await symlink('loop2', join(root, 'loop1'));
  await symlink('loop1', join(root, 'loop2'));
  return root;
}

void test('plain paths resolve beneath the root', async () => {
  const root = await tree();
  try {
    assert.equal(await secureJoin(root, '/etc/passwd'), join(root, 'etc/passwd'));
    assert.equal(await secureJoin(root, 'etc/passwd'), join(root, 'etc/passwd'));
    assert.equal(await secureJoin(root, '/'), root);
    assert.equal(await secureJoin(root, ''), root);
    assert.equal(await secureJoin(root, '/a/./b/'), join(root, 'a/b'));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

void test('.. and absolute symlinks never leave the root', async () => {
  const root = await tree();
  try {
    assert.equal(await secureJoin(root, '/../../..'), root);
    assert.equal(await secureJoin(root, '/escape'), root);
    assert.equal(await secureJoin(root, '/escape/etc/shadow'), join(root, 'etc/shadow'));
    assert.equal(await secureJoin(root, '/up'), root);
    assert.equal(await secureJoin(root, '/up/tmp/x'), join(root, 'tmp/x'));
    assert.equal(await secureJoin(root, '/etclink/passwd'), join(root, 'etc/passwd'));
    assert.equal(await secureJoin(root, '/a/rel'), join(root, 'a/b'));
    assert.equal(await secureJoin(root, '/a/pw'), join(root, 'etc/passwd'));
    for (const p of ['/escape', '/up/..', '/escape/../..', '/a/../../up/x']) {
      assert.ok(isBeneath(root, await secureJoin(root, p)), p);
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

void test('followLast: false keeps a final symlink as itself', async () => {
  const root = await tree();
  try {
    assert.equal(await secureJoin(root, '/escape', { followLast: false }), join(root, 'escape'));
    assert.equal(await secureJoin(root, '/etclink/passwd', { followLast: false }), join(root, 'etc/passwd'));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

void test('symlink loops are reported, missing components appended', async () => {
  const root = await tree();
  try {
    await assert.rejects(secureJoin(root, '/loop1'), SymlinkLoopError);
    assert.equal(await secureJoin(root, '/nosuch/dir/file'), join(root, 'nosuch/dir/file'));
    assert.equal(await secureJoin(root, '/etc/passwd/x'), join(root, 'etc/passwd/x'));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

void test('isBeneath', () => {
  assert.ok(isBeneath('/r', '/r'));
  assert.ok(isBeneath('/r', '/r/x'));
  assert.ok(!isBeneath('/r', '/rx'));
  assert.ok(!isBeneath('/r', '/'));
});
