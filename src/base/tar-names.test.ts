import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rebaseTransforms, sedRegex, sedReplacement } from './tar-names.js';

void test('sed escaping', () => {
  assert.equal(sedRegex('a.b*[c]^$/\\'), 'a\\.b\\*\\[c\\]\\^\\$\\/\\\\');
  assert.equal(sedReplacement('a&b/c\\d'), 'a\\&b\\/c\\\\d');
  assert.deepEqual(rebaseTransforms('x', 'x'), []);
});

void test('rebaseTransforms renames the top entry with GNU tar, odd names included, symlink targets untouched', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tar-names-'));
  try {
    const src = 'we.ird&[name]\\';
    mkdirSync(join(dir, src));
    writeFileSync(join(dir, src, 'f'), 'x');
    symlinkSync(`../${src}/f`, join(dir, src, 'l'));
    const r = spawnSync('tar', ['-c', '-f', '-', '-C', dir, ...rebaseTransforms(src, 'new & / name'.replace('/', '')), src]);
    assert.equal(r.status, 0, r.stderr.toString());
    const list = spawnSync('tar', ['-tv', '--quoting-style=literal', '-f', '-'], { input: r.stdout }).stdout.toString();
    assert.match(list, / new &  name\/$/m);
    assert.match(list, / new &  name\/f$/m);
    assert.match(list, / new &  name\/l -> \.\.\/we\.ird&\[name\]\\\/f$/m);
    // prefix mode (a root directory archived as `./`)
    const r2 = spawnSync('tar', ['-c', '-f', '-', '-C', join(dir, src), ...rebaseTransforms('', 'top'), '.']);
    const list2 = spawnSync('tar', ['-t', '-f', '-'], { input: r2.stdout }).stdout.toString().split('\n');
    assert.ok(list2.includes('top/./f'), list2.join(','));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
