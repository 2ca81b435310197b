import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { computeChanges } from './changes.js';
import { diffTar } from './diff-tar.js';

const isRoot = process.getuid?.() === 0;

function sh(cmd: string): void {
  const r = spawnSync('bash', ['-c', cmd]);
  assert.equal(r.status, 0, r.stderr.toString());
}

async function collect(r: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

void test('computeChanges and diffTar: whiteouts, opaque dirs, init mount points', { skip: !isRoot }, async () => {
  const base = mkdtempSync(join(tmpdir(), 'changes-test-'));
  try {
    const lower = join(base, 'lower');
    const upper = join(base, 'upper');
    mkdirSync(join(lower, 'etc'), { recursive: true });
    mkdirSync(join(lower, 'var', 'www'), { recursive: true });
    mkdirSync(join(lower, 'usr', 'bin'), { recursive: true });
    writeFileSync(join(lower, 'etc', 'passwd'), 'a');
    writeFileSync(join(lower, 'etc', 'group'), 'g');
    writeFileSync(join(lower, 'usr', 'bin', 'tool'), 't');
    // upper: /etc copied up with a new mtime, group deleted, passwd changed, a new file, /var replaced (opaque),
    // /usr/bin/tool changed (its dirs copied up unchanged), /etc/hosts a mount point the daemon made
    sh(`cd ${base} && cp -a lower/etc upper-etc-tmp && mkdir -p upper && mv upper-etc-tmp upper/etc && rm upper/etc/group upper/etc/passwd`);
    sh(`mknod ${join(upper, 'etc', 'group')} c 0 0 && echo b > ${join(upper, 'etc', 'passwd')} && touch ${join(upper, 'etc', 'hosts')}`);
    utimesSync(join(upper, 'etc'), new Date(1e12), new Date(1e12));
    writeFileSync(join(upper, 'new.txt'), 'n');
    mkdirSync(join(upper, 'var'));
    sh(`setfattr -n trusted.overlay.opaque -v y ${join(upper, 'var')}`);
    writeFileSync(join(upper, 'var', 'only'), 'o');
    sh(`cd ${base} && mkdir -p upper/usr && cp -a --attributes-only lower/usr/bin upper/usr/ 2>/dev/null || true; rm -rf upper/usr/bin/*; touch -r lower/usr upper/usr; echo T > upper/usr/bin/tool; touch -r lower/usr/bin upper/usr/bin`);
    const changes = await computeChanges(upper, [lower]);
    assert.deepEqual(changes.map((c) => `${'CAD'[c.Kind]} ${c.Path}`), [
      'C /etc', 'D /etc/group', 'C /etc/passwd', 'A /new.txt', 'C /usr/bin/tool', 'D /var', 'A /var/only',
    ]);
    const tar = await collect(await diffTar(upper, changes, base));
    const names = spawnSync('tar', ['-t', '-f', '-'], { input: tar }).stdout.toString().split('\n').filter(Boolean);
    assert.deepEqual(names.sort(), ['etc/', 'etc/.wh.group', 'etc/passwd', 'new.txt', 'usr/', 'usr/bin/', 'usr/bin/tool', 'var/', 'var/.wh..wh..opq', 'var/only'].sort());
    // the scratch mirror is removed once the stream closed (asynchronously: give a loaded machine time)
    const mirrors = (): string[] => spawnSync('ls', ['-a', base]).stdout.toString().split('\n').filter((n) => n.startsWith('.diff-'));
    for (let i = 0; i < 100 && mirrors().length; i++) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(mirrors(), []);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});
