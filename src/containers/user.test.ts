import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, writeFile, symlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveUser, secureJoin } from './user.js';
import { InvalidArgumentError } from '../base/index.js';

let dir: string;
let root: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-user-'));
  root = join(dir, 'rootfs');
  await mkdir(join(root, 'etc'), { recursive: true });
  await writeFile(join(root, 'etc/passwd'), [
    'root:x:0:0:root:/root:/bin/sh',
    'daemon:x:1:1:daemon:/usr/sbin:/bin/false',
    'alice:x:1000:1000:Alice:/home/alice:/bin/sh',
    '# comment',
    'bob:x:1001:100::/home/bob:/bin/sh',
  ].join('\n') + '\n');
  await writeFile(join(root, 'etc/group'), [
    'root:x:0:',
    'wheel:x:10:root,alice',
    'users:x:100:',
    'alice:x:1000:',
    'docker:x:999:alice,bob',
  ].join('\n') + '\n');
});
after(async () => { await rm(dir, { recursive: true, force: true }); });

void test('empty user is root with its groups', async () => {
  assert.deepEqual(await resolveUser(root, ''), { uid: 0, gid: 0, additionalGids: [0, 10], home: '/root' });
  assert.deepEqual(await resolveUser(root, undefined), { uid: 0, gid: 0, additionalGids: [0, 10], home: '/root' });
});

void test('name and uid resolve through passwd, with supplementary groups', async () => {
  const a = await resolveUser(root, 'alice');
  assert.deepEqual(a, { uid: 1000, gid: 1000, additionalGids: [1000, 10, 999], home: '/home/alice' });
  assert.deepEqual(await resolveUser(root, '1000'), a);
  assert.deepEqual(await resolveUser(root, 'bob'), { uid: 1001, gid: 100, additionalGids: [100, 999], home: '/home/bob' });
});

void test('explicit group forms (no implicit supplementary groups)', async () => {
  assert.deepEqual(await resolveUser(root, 'alice:users'), { uid: 1000, gid: 100, additionalGids: [100], home: '/home/alice' });
  assert.deepEqual(await resolveUser(root, '1000:5'), { uid: 1000, gid: 5, additionalGids: [5], home: '/home/alice' });
  assert.deepEqual(await resolveUser(root, '4242:docker'), { uid: 4242, gid: 999, additionalGids: [999], home: '/' });
  await assert.rejects(resolveUser(root, 'alice:nogroup'), /unable to find group nogroup: no matching entries in group file/);
});

void test('numeric uid not in passwd is fine (gid 0)', async () => {
  assert.deepEqual(await resolveUser(root, '4242'), { uid: 4242, gid: 0, additionalGids: [0], home: '/' });
});

void test('unknown name: Docker wording', async () => {
  await assert.rejects(resolveUser(root, 'mallory'), (e: unknown) =>
    e instanceof InvalidArgumentError && e.message === 'unable to find user mallory: no matching entries in passwd file');
});

void test('GroupAdd by name and number', async () => {
  const u = await resolveUser(root, 'bob', ['wheel', '4000', '999']);
  assert.deepEqual(u.additionalGids, [100, 999, 10, 4000]);
  await assert.rejects(resolveUser(root, 'bob', ['nope']), /Unable to find group nope/);
});

void test('symlinks resolve inside the rootfs, never outside', async () => {
  const evil = join(dir, 'evil');
  await mkdir(join(evil, 'etc'), { recursive: true });
  await writeFile(join(evil, 'outside-passwd'), 'mallory:x:0:0::/:/bin/sh\n');
  await mkdir(join(evil, 'rootfs/etc'), { recursive: true });
  // absolute target naming a real host file: must be looked up under the rootfs instead
  await symlink(join(evil, 'outside-passwd'), join(evil, 'rootfs/etc/passwd'));
  await assert.rejects(resolveUser(join(evil, 'rootfs'), 'mallory'), /unable to find user mallory/);
  // relative escape with ..: clamped at the root
  await rm(join(evil, 'rootfs/etc/passwd'));
  await symlink('../../../../../../outside-passwd', join(evil, 'rootfs/etc/passwd'));
  await assert.rejects(resolveUser(join(evil, 'rootfs'), 'mallory'), /unable to find user mallory/);
  assert.equal(await secureJoin(join(evil, 'rootfs'), '/etc/passwd'), join(evil, 'rootfs/outside-passwd'));
  // an in-root symlink (e.g. /etc -> /usr/etc) is followed
  const r2 = join(dir, 'r2');
  await mkdir(join(r2, 'usr/etc'), { recursive: true });
  await writeFile(join(r2, 'usr/etc/passwd'), 'carol:x:7:7::/c:/bin/sh\n');
  await symlink('/usr/etc', join(r2, 'etc'));
  assert.deepEqual(await resolveUser(r2, 'carol'), { uid: 7, gid: 7, additionalGids: [7], home: '/c' });
  // symlink loop: treated as absent
  const r3 = join(dir, 'r3');
  await mkdir(join(r3, 'etc'), { recursive: true });
  await symlink('/etc/passwd', join(r3, 'etc/passwd'));
  assert.deepEqual(await resolveUser(r3, '0'), { uid: 0, gid: 0, additionalGids: [0], home: '/' });
});

void test('missing passwd: root still works, names do not', async () => {
  const empty = join(dir, 'empty');
  await mkdir(empty);
  assert.deepEqual(await resolveUser(empty, ''), { uid: 0, gid: 0, additionalGids: [0], home: '/' });
  await assert.rejects(resolveUser(empty, 'nobody'), /no matching entries in passwd file/);
});
