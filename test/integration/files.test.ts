import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { chown, link, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { BERTH, TestDaemon, isRoot, run, sh, waitFor, type RunResult } from '../helpers/daemon.js';

// Items 4-6 of issue 3: docker cp (archive API), export, diff and commit, through the berth CLI and the real
// docker CLI, on running and stopped containers; hostile symlinks inside a container never reach the host.

let d: TestDaemon;
let tmp: string;
let tree: string;
const images: string[] = [];

type Cli = 'berth' | 'docker';

function cli(which: Cli, args: string[], opts: { input?: string } = {}): Promise<RunResult> {
  return which === 'docker' ? d.docker(args, opts) : d.berth(args, opts);
}

async function ok(which: Cli, args: string[]): Promise<string> {
  const r = await cli(which, args);
  assert.equal(r.code, 0, `${which} ${args.join(' ')}: exit ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** Shell pipeline with berth/docker available as $BERTH / $DOCKER pointed at the test daemon. */
function shell(script: string): Promise<RunResult> {
  return sh(`export DOCKER_HOST=${d.host} DOCKER_CONFIG=${join(d.dir, 'docker-config')}; BERTH="${BERTH} -H ${d.host}"; ${script}`);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function inspect(ref: string, kind = 'container'): Promise<Record<string, any>> {
  return JSON.parse(await ok('berth', [kind, 'inspect', ref]))[0];
}

async function upperOf(name: string): Promise<string> {
  return (await inspect(name)).GraphDriver.Data.UpperDir as string;
}

/** A running container (sleeping) with a shell command run first. */
async function runDetached(name: string, script = '', extra: string[] = []): Promise<void> {
  await ok('berth', ['run', '-d', '--name', name, ...extra, 'busybox', 'sh', '-c', `${script}${script ? '; ' : ''}exec sleep 1000`]);
}

before(async () => {
  if (!isRoot) return;
  d = await TestDaemon.start();
  tmp = await mkdtemp(join(tmpdir(), 'berth-files-'));
  // The tree copied in and out: a symlink, a hard link, an empty file, a name with spaces, a foreign owner.
  tree = join(tmp, 'tree');
  await mkdir(join(tree, 'sub'), { recursive: true });
  await writeFile(join(tree, 'file.txt'), 'hello\n');
  await link(join(tree, 'file.txt'), join(tree, 'hard.txt'));
  await symlink('file.txt', join(tree, 'link'));
  await writeFile(join(tree, 'empty'), '');
  await writeFile(join(tree, 'with space.txt'), 'spaced\n');
  await writeFile(join(tree, 'sub', 'owned'), 'owned\n');
  await chown(join(tree, 'sub', 'owned'), 1234, 5678);
});

after(async () => {
  if (!isRoot) return;
  for (const img of images) await d.berth(['rmi', '-f', img]);
  const leaks = await d.cleanup();
  await rm(tmp, { recursive: true, force: true });
  assert.deepEqual(leaks, [], 'nothing left behind');
});

function checkTree(dir: string): void {
  assert.equal(readFileSync(join(dir, 'file.txt'), 'utf8'), 'hello\n');
  assert.equal(readlinkSync(join(dir, 'link')), 'file.txt', 'symlink kept as a symlink');
  assert.equal(lstatSync(join(dir, 'hard.txt')).ino, lstatSync(join(dir, 'file.txt')).ino, 'hard link kept');
  assert.equal(statSync(join(dir, 'empty')).size, 0);
  assert.equal(readFileSync(join(dir, 'with space.txt'), 'utf8'), 'spaced\n');
  assert.equal(readFileSync(join(dir, 'sub', 'owned'), 'utf8'), 'owned\n');
}

for (const which of ['berth', 'docker'] as const) {
  void test(`${which} cp: a tree in and out of a running container`, { skip: !isRoot }, async () => {
    const name = `cp-${which}`;
    await runDetached(name);
    try {
      await ok(which, ['cp', '-a', tree, `${name}:/dst`]);
      const upper = await upperOf(name);
      // inside the container (its writable layer): same files, links, owners
      checkTree(join(upper, 'dst'));
      const st = lstatSync(join(upper, 'dst', 'sub', 'owned'));
      assert.deepEqual([st.uid, st.gid], [1234, 5678], 'uid/gid kept');

      const out = join(tmp, `out-${which}`);
      await ok(which, ['cp', `${name}:/dst`, out]);
      checkTree(out);
      // into an existing directory: the source's name is kept
      await mkdir(join(tmp, `into-${which}`));
      await ok(which, ['cp', `${name}:/dst`, join(tmp, `into-${which}`)]);
      checkTree(join(tmp, `into-${which}`, 'dst'));
      // `/.`: the directory's contents, into a new or an existing directory
      await ok(which, ['cp', `${name}:/dst/.`, join(tmp, `dot-${which}`)]);
      checkTree(join(tmp, `dot-${which}`));
      await mkdir(join(tmp, `dot2-${which}`));
      await ok(which, ['cp', `${name}:/dst/.`, join(tmp, `dot2-${which}`)]);
      checkTree(join(tmp, `dot2-${which}`));
      // a file to a new name, and into an existing directory given with a trailing `/`
      await ok(which, ['cp', `${name}:/dst/with space.txt`, join(tmp, `renamed-${which}`)]);
      assert.equal(readFileSync(join(tmp, `renamed-${which}`), 'utf8'), 'spaced\n');
      await ok(which, ['cp', `${name}:/dst/file.txt`, `${join(tmp, `into-${which}`)}/`]);
      assert.equal(readFileSync(join(tmp, `into-${which}`, 'file.txt'), 'utf8'), 'hello\n');
      // a trailing `/` on a destination that does not exist: docker's "no such directory"
      const bad = await cli(which, ['cp', `${name}:/dst/file.txt`, `${join(tmp, `nodir-${which}`)}/`]);
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /no such directory/);
      const bad2 = await cli(which, ['cp', join(tree, 'file.txt'), `${name}:/nodir/`]);
      assert.equal(bad2.code, 1);
      assert.match(bad2.stderr, /no such directory/);
      // `tree/.` into the container: contents land directly in the new directory
      await ok(which, ['cp', `${tree}/.`, `${name}:/dot`]);
      checkTree(join(upper, 'dot'));
      // a file into an existing directory of the container (trailing `/`), and to a new name
      await ok(which, ['cp', join(tree, 'file.txt'), `${name}:/tmp/`]);
      assert.equal(readFileSync(join(upper, 'tmp', 'file.txt'), 'utf8'), 'hello\n');
      await ok(which, ['cp', join(tree, 'file.txt'), `${name}:/tmp/other name`]);
      assert.equal(readFileSync(join(upper, 'tmp', 'other name'), 'utf8'), 'hello\n');
      // -L follows a symlink source; without it the link itself is copied
      await ok(which, ['cp', '-L', `${name}:/dst/link`, join(tmp, `followed-${which}`)]);
      assert.ok(lstatSync(join(tmp, `followed-${which}`)).isFile());
      assert.equal(readFileSync(join(tmp, `followed-${which}`), 'utf8'), 'hello\n');
      await ok(which, ['cp', `${name}:/dst/link`, join(tmp, `nofollow-${which}`)]);
      assert.equal(readlinkSync(join(tmp, `nofollow-${which}`)), 'file.txt');
      // a missing path: moby's wording
      const missing = await cli(which, ['cp', `${name}:/nope`, join(tmp, 'x')]);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, new RegExp(`Could not find the file /nope in container ${name}`));
    } finally {
      await d.berth(['rm', '-f', name]);
    }
  });
}

void test('cp -a gives the files to the container user; without it the archive owners stay', { skip: !isRoot }, async () => {
  await runDetached('cp-user', '', ['--user', '33:33']);
  try {
    await ok('berth', ['cp', '-a', tree, 'cp-user:/tmp/a']);
    await ok('docker', ['cp', tree, 'cp-user:/tmp/b']);
    const upper = await upperOf('cp-user');
    const a = lstatSync(join(upper, 'tmp', 'a', 'sub', 'owned'));
    assert.deepEqual([a.uid, a.gid], [33, 33], '-a: chowned to the container user');
    const b = lstatSync(join(upper, 'tmp', 'b', 'sub', 'owned'));
    assert.deepEqual([b.uid, b.gid], [1234, 5678], 'no -a: the archive owners');
  } finally {
    await d.berth(['rm', '-f', 'cp-user']);
  }
});

void test('archive API: the stat header, a read-only rootfs, a missing container', { skip: !isRoot }, async () => {
  await runDetached('cp-api', 'ln -s /etc /etclink', ['--read-only']);
  try {
    const id = (await inspect('cp-api')).Id as string;
    const head = await d.api('HEAD', `/v1.45/containers/${id}/archive?path=/etc/`);
    assert.equal(head.status, 200);
    const stat = JSON.parse(Buffer.from(String(head.headers['x-docker-container-path-stat']), 'base64').toString());
    assert.equal(stat.name, 'etc');
    assert.equal(stat.mode, 2 ** 31 + 0o755, 'Go os.FileMode: ModeDir | 0755');
    assert.equal(stat.linkTarget, '');
    assert.match(stat.mtime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    const missing = await d.api('GET', `/v1.45/containers/${id}/archive?path=/nope`);
    assert.equal(missing.status, 404);
    assert.equal(JSON.parse(missing.body).message, `Could not find the file /nope in container ${id}`);
    const empty = await d.api('GET', `/v1.45/containers/${id}/archive`);
    assert.equal(empty.status, 400);
    const ro = await d.berth(['cp', join(tree, 'file.txt'), 'cp-api:/tmp/']);
    assert.equal(ro.code, 1);
    assert.match(ro.stderr, /container rootfs is marked read-only/);
    const nosuch = await d.docker(['cp', join(tree, 'file.txt'), 'nosuch-container:/tmp/x']);
    assert.equal(nosuch.code, 1);
    assert.match(nosuch.stderr, /No such container: nosuch-container/);
  } finally {
    await d.berth(['rm', '-f', 'cp-api']);
  }
});

void test('cp to and from - (a tar on stdin/stdout)', { skip: !isRoot }, async () => {
  await runDetached('cp-stdio');
  try {
    for (const [which, cmd] of [['berth', '$BERTH'], ['docker', 'docker']] as const) {
      const put = await shell(`tar -c -C ${tree} . | ${cmd} cp - cp-stdio:/tmp`);
      assert.equal(put.code, 0, `${which}: ${put.stderr}`);
      const list = await shell(`${cmd} cp cp-stdio:/tmp - | tar -t | sort`);
      assert.equal(list.code, 0, list.stderr);
      const names = list.stdout.split('\n').filter(Boolean);
      for (const n of ['tmp/', 'tmp/file.txt', 'tmp/hard.txt', 'tmp/link', 'tmp/empty', 'tmp/with space.txt', 'tmp/sub/owned']) {
        assert.ok(names.includes(n), `${which}: ${n} in ${names.join(',')}`);
      }
      // a file: one entry named after it
      const one = await shell(`${cmd} cp cp-stdio:/tmp/file.txt - | tar -xO`);
      assert.equal(one.stdout, 'hello\n');
      // `-` needs a directory destination
      const bad = await shell(`tar -c -C ${tree} . | ${cmd} cp - cp-stdio:/tmp/file.txt`);
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /must be a directory/);
    }
  } finally {
    await d.berth(['rm', '-f', 'cp-stdio']);
  }
});

void test('cp into a stopped container, then start it and see the file', { skip: !isRoot }, async () => {
  for (const which of ['berth', 'docker'] as const) {
    const name = `cp-stopped-${which}`;
    await ok('berth', ['create', '--name', name, 'busybox', 'cat', '/hello/file.txt', '/hello/with space.txt']);
    try {
      await ok(which, ['cp', tree, `${name}:/hello`]);
      assert.equal((await inspect(name)).State.Status, 'created');
      const r = await d.berth(['start', '-a', name]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'hello\nspaced\n');
      // and out of the exited container
      await ok(which, ['cp', `${name}:/hello/sub/owned`, join(tmp, `stopped-${which}`)]);
      assert.equal(readFileSync(join(tmp, `stopped-${which}`), 'utf8'), 'owned\n');
      assert.equal((await inspect(name)).State.Status, 'exited');
    } finally {
      await d.berth(['rm', '-f', name]);
    }
  }
  // nothing stays mounted for a stopped container after cp
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8');
  assert.ok(!mounts.includes(d.dir), 'no mount left under the data root');
});

/** PUT /containers/{id}/archive with a raw tar body. */
function putArchive(id: string, path: string, body: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: d.socket, method: 'PUT', path: `/v1.45/containers/${id}/archive?path=${encodeURIComponent(path)}`, headers: { 'Content-Type': 'application/x-tar' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

void test('hostile symlinks in a container never lead cp to the host', { skip: !isRoot }, async () => {
  const name = 'cp-hostile';
  const tag = randomBytes(6).toString('hex');
  await runDetached(name, 'ln -s / /escape; ln -s ../../../../ /x; mkdir /inner; ln -s /etc /inner/etc-link');
  try {
    const upper = await upperOf(name);
    await waitFor(() => existsSync(join(upper, 'x')) || undefined, 'symlinks created');
    // a host directory with a marker file, named by its host path through the container's symlinks
    const hostDir = await mkdtemp(join(tmpdir(), 'berth-marker-'));
    await writeFile(join(hostDir, 'marker'), 'host\n');
    await writeFile(join(tmp, 'evil'), 'evil\n');
    for (const which of ['berth', 'docker'] as const) {
      for (const link of ['/escape', '/x']) {
        // reading through the link resolves inside the container: the host file is not found there
        const rd = await cli(which, ['cp', `${name}:${link}${hostDir}/marker`, join(tmp, `leak-${which}`)]);
        assert.equal(rd.code, 1, `${which} read ${link}: ${rd.stdout}`);
        assert.match(rd.stderr, /Could not find the file/);
        assert.ok(!existsSync(join(tmp, `leak-${which}`)));
        // writing through it: refused (the directory does not exist in the container), host untouched
        const wr = await cli(which, ['cp', join(tmp, 'evil'), `${name}:${link}${hostDir}/marker`]);
        assert.notEqual(wr.code, 0, `${which} write ${link}`);
        // a copy to <link>/<new name> lands in the container's root, not in the host's
        const evil = `evil-${which}-${link.slice(1)}-${tag}`;
        await ok(which, ['cp', join(tmp, 'evil'), `${name}:${link}/${evil}`]);
        assert.equal(readFileSync(join(upper, evil), 'utf8'), 'evil\n');
        assert.ok(!existsSync(`/${evil}`), 'nothing written in the host /');
      }
      // reading /x/etc/passwd gives the container's passwd (busybox's), not the host's
      const pw = await cli(which, ['cp', `${name}:/x/etc/passwd`, '-']);
      assert.equal(pw.code, 0, pw.stderr);
      assert.match(pw.stdout, /www-data:x:33:33:www-data:\/var\/www:\/bin\/false/);
      // a relative-to-absolute link inside the container resolves within it too
      const grp = await cli(which, ['cp', `${name}:/inner/etc-link/group`, '-']);
      assert.equal(grp.code, 0, grp.stderr);
    }
    // raw API: extraction through the links, and hostile archives
    const id = (await inspect(name)).Id as string;
    const mk = async (script: string): Promise<Buffer> => {
      const r = await run('bash', ['-c', `cd ${tmp} && rm -rf hostile && mkdir hostile && cd hostile && ${script}`]);
      assert.equal(r.code, 0, r.stderr);
      return readFile(join(tmp, 'hostile.tar'));
    };
    const viaLink = await mk(`echo in > f-${tag} && tar -cf ../hostile.tar f-${tag}`);
    assert.equal((await putArchive(id, '/escape', viaLink)).status, 200);
    assert.ok(existsSync(join(upper, `f-${tag}`)), 'landed in the container root');
    assert.ok(!existsSync(`/f-${tag}`), 'not in the host /');
    const dotdot = await mk(`echo x > f && tar -cf ../hostile.tar --transform 's,^f,../../../../../tmp/dotdot-${tag},' f`);
    assert.notEqual((await putArchive(id, '/', dotdot)).status, 200, '.. members refused');
    assert.ok(!existsSync(`/tmp/dotdot-${tag}`));
    const linkThen = await mk(`ln -s / l && mkdir -p d && echo x > d/f && tar -cf ../hostile.tar l --transform 's,^d,l/tmp/via-${tag},' d`);
    await putArchive(id, '/tmp', linkThen);
    assert.ok(!existsSync(`/tmp/via-${tag}`), 'no write through a symlink the archive itself made');
    assert.equal(readFileSync(join(hostDir, 'marker'), 'utf8'), 'host\n', 'host marker unchanged');
    assert.deepEqual(readdirSync(hostDir), ['marker']);
    await rm(hostDir, { recursive: true, force: true });
  } finally {
    await d.berth(['rm', '-f', name]);
  }
});

void test('diff shows A/C/D, export holds the files, commit keeps deletions and the parent image', { skip: !isRoot }, async () => {
  const name = 'fs-changes';
  const beforeBusybox = await inspect('busybox', 'image');
  const r = await d.berth(['run', '--name', name, 'busybox', 'sh', '-c', 'rm /etc/group; echo more >> /etc/passwd; echo new > /new.txt; rm -rf /var; mkdir /var; echo v > /var/only']);
  assert.equal(r.code, 0, r.stderr);
  try {
    for (const which of ['berth', 'docker'] as const) {
      const diff = (await ok(which, ['diff', name])).split('\n').filter(Boolean);
      assert.deepEqual(diff, ['C /etc', 'D /etc/group', 'C /etc/passwd', 'A /new.txt', 'D /var', 'A /var/only'], which);
    }
    // export: the flattened filesystem
    const list = await shell(`$BERTH export ${name} | tar -t`);
    assert.equal(list.code, 0, list.stderr);
    const names = list.stdout.split('\n');
    for (const n of ['new.txt', 'etc/passwd', 'bin/busybox', 'var/only']) assert.ok(names.includes(n), n);
    assert.ok(!names.includes('etc/group'));
    assert.ok(!names.includes('var/www/'));
    const out = join(tmp, 'export.tar');
    await ok('docker', ['export', '-o', out, name]);
    const t = await run('tar', ['-xOf', out, 'new.txt']);
    assert.equal(t.stdout, 'new\n');

    // commit through both CLIs
    const id1 = (await ok('berth', ['commit', '-m', 'msg', '-a', 'me', name, 'committed:one'])).trim();
    images.push('committed:one');
    const id2 = (await ok('docker', ['commit', '-c', 'CMD ["echo","x"]', name, 'committed:two'])).trim();
    images.push('committed:two');
    assert.match(id1, /^sha256:[0-9a-f]{64}$/);
    assert.notEqual(id1, id2);
    const img = await inspect('committed:one', 'image');
    assert.equal(img.Comment, 'msg');
    assert.equal(img.Author, 'me');
    assert.deepEqual(img.RootFS.Layers.slice(0, -1), beforeBusybox.RootFS.Layers, 'parent layers shared');
    assert.equal(img.RootFS.Layers.length, beforeBusybox.RootFS.Layers.length + 1);
    assert.deepEqual(img.Config.Cmd, ['sh', '-c', 'rm /etc/group; echo more >> /etc/passwd; echo new > /new.txt; rm -rf /var; mkdir /var; echo v > /var/only']);
    assert.deepEqual((await inspect('committed:two', 'image')).Config.Cmd, ['echo', 'x']);
    assert.equal((await ok('docker', ['run', '--rm', 'committed:two'])).trim(), 'x');

    // a container of the new image: the deleted file stays deleted, the opaque directory hides the old contents
    const seen = await d.berth(['run', '--rm', 'committed:one', 'sh', '-c', 'cat /new.txt; tail -1 /etc/passwd; ls /var; test -e /etc/group && echo group-present; true']);
    assert.equal(seen.code, 0, seen.stderr);
    assert.equal(seen.stdout, 'new\nmore\nonly\n');
    // the parent image is unchanged
    const afterBusybox = await inspect('busybox', 'image');
    assert.equal(afterBusybox.Id, beforeBusybox.Id);
    assert.deepEqual(afterBusybox.RootFS.Layers, beforeBusybox.RootFS.Layers);
    const parent = await d.berth(['run', '--rm', 'busybox', 'sh', '-c', 'test -e /etc/group && ls /var && test ! -e /new.txt']);
    assert.equal(parent.code, 0, parent.stderr);
    assert.match(parent.stdout, /www/);
  } finally {
    await d.berth(['rm', '-f', name]);
  }
});

void test('commit of a running container leaves it running; an unchanged container adds no layer', { skip: !isRoot }, async () => {
  await runDetached('fs-running', 'echo hi > /running.txt');
  try {
    const upper = await upperOf('fs-running');
    await waitFor(() => existsSync(join(upper, 'running.txt')) || undefined, 'file written');
    await ok('berth', ['commit', 'fs-running', 'committed:running']);
    images.push('committed:running');
    assert.equal((await inspect('fs-running')).State.Status, 'running');
    const r = await d.berth(['run', '--rm', 'committed:running', 'cat', '/running.txt']);
    assert.equal(r.stdout, 'hi\n');
    // a container with no change: no new layer (Docker's empty layer)
    await ok('berth', ['create', '--name', 'fs-nochange', 'busybox', 'true']);
    await ok('berth', ['commit', 'fs-nochange', 'committed:same']);
    images.push('committed:same');
    const same = await inspect('committed:same', 'image');
    assert.deepEqual(same.RootFS.Layers, (await inspect('busybox', 'image')).RootFS.Layers);
    await ok('berth', ['rm', 'fs-nochange']);
    const bad = await d.berth(['commit', 'nope-container']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /No such container: nope-container/);
  } finally {
    await d.berth(['rm', '-f', 'fs-running']);
  }
});
