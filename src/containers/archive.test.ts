import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { goBase } from '../base/index.js';
import { archivePath, containerAbsPath, extractToDir, goFileMode, goTime, statPath } from './archive.js';

void test('moby path rules', () => {
  assert.equal(containerAbsPath('etc'), '/etc');
  assert.equal(containerAbsPath('/etc/'), '/etc/');
  assert.equal(containerAbsPath('/etc/.'), '/etc/.');
  assert.equal(containerAbsPath('/a/../../b'), '/b');
  assert.equal(goBase('/etc/.'), '.');
  assert.equal(goBase('/'), '/');
});

void test('Go FileMode bits and time format', () => {
  assert.equal(goFileMode(0o040755), 2 ** 31 + 0o755);
  assert.equal(goFileMode(0o120777), 2 ** 27 + 0o777);
  assert.equal(goFileMode(0o100644), 0o644);
  assert.equal(goFileMode(0o104755), 2 ** 23 + 0o755);
  assert.equal(goFileMode(0o020666), 2 ** 26 + 2 ** 21 + 0o666);
  assert.equal(goFileMode(0o041777), 2 ** 31 + 2 ** 20 + 0o777);
  const st = { mtimeNs: 1_700_000_000_120_000_000n } as Parameters<typeof goTime>[0];
  assert.equal(goTime(st), '2023-11-14T22:13:20.12Z');
});

function fixture(): { root: string; host: string; done: () => void } {
  const base = mkdtempSync(join(tmpdir(), 'archive-test-'));
  const root = join(base, 'root');
  const host = join(base, 'host');
  mkdirSync(join(root, 'etc'), { recursive: true });
  mkdirSync(host);
  writeFileSync(join(root, 'etc', 'passwd'), 'container\n');
  writeFileSync(join(host, 'marker'), 'host\n');
  symlinkSync('/', join(root, 'escape'));
  symlinkSync('../../../../../../', join(root, 'x'));
  symlinkSync('/etc', join(root, 'etclink'));
  return { root, host, done: () => rmSync(base, { recursive: true, force: true }) };
}

async function collect(r: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function tarNames(buf: Buffer): string[] {
  return spawnSync('tar', ['-t', '-f', '-'], { input: buf }).stdout.toString().split('\n').filter(Boolean);
}

void test('statPath resolves symlinks inside the root and names entries like moby', async () => {
  const f = fixture();
  try {
    const s = await statPath(f.root, '/etclink');
    assert.equal(s.stat.name, 'etclink');
    assert.equal(s.stat.linkTarget, '/etc');
    assert.ok(s.stat.mode >= 2 ** 27 && s.stat.mode < 2 ** 28);
    assert.equal((await statPath(f.root, '/x')).stat.linkTarget, '/');
    // a trailing slash follows the link
    assert.ok((await statPath(f.root, '/etclink/')).stat.mode >= 2 ** 31);
    // a host path through a hostile link is looked up inside the root
    await assert.rejects(statPath(f.root, `/escape${f.host}/marker`), /marker|not found|Could not/i);
    await assert.rejects(statPath(f.root, `/x${f.host}/marker`));
  } finally {
    f.done();
  }
});

void test('archivePath entry names', async () => {
  const f = fixture();
  try {
    assert.deepEqual(tarNames(await collect((await archivePath(f.root, '/etc')).tar)), ['etc/', 'etc/passwd']);
    assert.deepEqual(tarNames(await collect((await archivePath(f.root, '/etc/.')).tar)), ['./', './passwd']);
    assert.deepEqual(tarNames(await collect((await archivePath(f.root, '/etclink/')).tar)), ['etclink/', 'etclink/passwd']);
    assert.deepEqual(tarNames(await collect((await archivePath(f.root, '/etc/passwd')).tar)), ['passwd']);
    assert.deepEqual(tarNames(await collect((await archivePath(f.root, '/etclink')).tar)), ['etclink']);
    const all = tarNames(await collect((await archivePath(f.root, '/')).tar));
    assert.ok(all.includes('./etc/passwd'), all.join(','));
    // through a hostile link: the container's file
    const p = await archivePath(f.root, '/x/etc/passwd');
    const out = spawnSync('tar', ['-xO', '-f', '-'], { input: await collect(p.tar) }).stdout.toString();
    assert.equal(out, 'container\n');
  } finally {
    f.done();
  }
});

function tarOf(dir: string, args: string[]): Readable {
  const r = spawnSync('bash', ['-c', `cd ${dir} && tar -cf - ${args.join(' ')}`]);
  assert.equal(r.status, 0, r.stderr.toString());
  return Readable.from([r.stdout]);
}

void test('extractToDir never writes outside the root', async () => {
  const f = fixture();
  const src = mkdtempSync(join(tmpdir(), 'archive-src-'));
  try {
    writeFileSync(join(src, 'new'), 'new\n');
    // through `/escape` and `/x`: lands in the root
    await extractToDir(f.root, '/escape', tarOf(src, ['new']), { noOverwriteDirNonDir: true });
    assert.equal(readFileSync(join(f.root, 'new'), 'utf8'), 'new\n');
    await extractToDir(f.root, `/x/etc`, tarOf(src, ['new']), { noOverwriteDirNonDir: true });
    assert.equal(readFileSync(join(f.root, 'etc', 'new'), 'utf8'), 'new\n');
    // an archive directory named like a hostile link: refused (no overwrite) ...
    mkdirSync(join(src, 'escape', f.host.slice(1)), { recursive: true });
    writeFileSync(join(src, 'escape', f.host.slice(1), 'marker'), 'evil\n');
    await assert.rejects(extractToDir(f.root, '/', tarOf(src, ['escape']), { noOverwriteDirNonDir: true }), /cannot overwrite non-directory/);
    // ... or the link is replaced by the directory, never followed
    await extractToDir(f.root, '/', tarOf(src, ['escape']), { noOverwriteDirNonDir: false });
    assert.ok(lstatSync(join(f.root, 'escape')).isDirectory());
    assert.equal(readFileSync(join(f.host, 'marker'), 'utf8'), 'host\n');
    // an archive that makes its own link then writes through it
    const src2 = mkdtempSync(join(tmpdir(), 'archive-src2-'));
    symlinkSync(f.host, join(src2, 'l'));
    mkdirSync(join(src2, 'd'));
    writeFileSync(join(src2, 'd', 'marker'), 'evil\n');
    await extractToDir(f.root, '/', tarOf(src2, ['l', `--transform 's,^d,l,'`, 'd']), { noOverwriteDirNonDir: false }).catch(() => undefined);
    assert.equal(readFileSync(join(f.host, 'marker'), 'utf8'), 'host\n');
    rmSync(src2, { recursive: true, force: true });
    // `..` members are refused
    await assert.rejects(extractToDir(f.root, '/etc', tarOf(src, [`--transform 's,^new,../../../host/evil,'`, 'new']), { noOverwriteDirNonDir: true }));
    assert.ok(!existsSync(join(f.host, 'evil')));
    // the extraction point must be a directory that exists
    await assert.rejects(extractToDir(f.root, '/etc/passwd', tarOf(src, ['new']), { noOverwriteDirNonDir: true }), /extraction point is not a directory/);
    await assert.rejects(extractToDir(f.root, '/nope', tarOf(src, ['new']), { noOverwriteDirNonDir: true }), /nope/);
    assert.equal(readlinkSync(join(f.root, 'x')), '../../../../../../');
    // no staging directory left behind
    assert.ok(!spawnSync('ls', ['-a', f.root]).stdout.toString().includes('.berth-cp-'));
  } finally {
    rmSync(src, { recursive: true, force: true });
    f.done();
  }
});
