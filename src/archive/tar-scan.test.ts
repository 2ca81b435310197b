import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, mkdir, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from '../base/index.js';
import { TarScanner } from './tar-scan.js';

void test('tar scanner finds entries and newest mtime (gnu, pax, odd chunking)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-tarscan-'));
  try {
    const src = join(dir, 'src');
    await mkdir(join(src, 'd'), { recursive: true });
    await writeFile(join(src, 'd', 'a'), 'a'.repeat(1000));
    await writeFile(join(src, 'x'.repeat(150)), 'long name');
    await execFile('touch', ['-d', '@1700000000', join(src, 'd', 'a')]);
    await execFile('touch', ['-d', '@1600000000', join(src, 'd'), src, join(src, 'x'.repeat(150))]);
    for (const format of ['gnu', 'pax']) {
      const out = join(dir, `${format}.tar`);
      await execFile('tar', ['-C', src, `--format=${format}`, '-cf', out, '.']);
      const bytes = await readFile(out);
      for (const step of [1, 7, 512, 100_000]) {
        const s = new TarScanner();
        for (let i = 0; i < bytes.length; i += step) s.update(bytes.subarray(i, i + step));
        assert.equal(s.valid, true);
        assert.equal(s.entries, 4, `${format}/${step}`);
        assert.equal(s.maxMtime, 1700000000, `${format}/${step}`);
      }
    }
    const junk = new TarScanner();
    junk.update(Buffer.alloc(1024, 0x41));
    assert.equal(junk.valid, false);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
