import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { GZIP_BLOCK, gzipFile, looksIncompressible } from './gzip-parallel.js';

async function gz(path: string): Promise<{ out: Buffer; progress: number[] }> {
  const chunks: Buffer[] = [];
  const progress: number[] = [];
  await gzipFile(path, (c) => { chunks.push(c); return Promise.resolve(); }, { onRead: (n) => progress.push(n) });
  return { out: Buffer.concat(chunks), progress };
}

void test('gzipFile: valid, deterministic gzip of empty, small, block-sized and mixed files', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-gz-'));
  try {
    const text = Buffer.from(Array.from({ length: 60000 }, (_, i) => `line ${i % 977} of some text, repeated ${i % 13}\n`).join(''));
    const cases: Record<string, Buffer> = {
      empty: Buffer.alloc(0),
      small: Buffer.from('hello\n'),
      block: Buffer.concat([text, text]).subarray(0, GZIP_BLOCK),
      mixed: Buffer.concat([randomBytes(GZIP_BLOCK + 5), text, randomBytes(100), text, Buffer.alloc(GZIP_BLOCK)]),
    };
    for (const [name, data] of Object.entries(cases)) {
      const p = join(dir, name);
      await writeFile(p, data);
      const a = await gz(p);
      assert.ok(gunzipSync(a.out).equals(data), name);
      assert.ok((await gz(p)).out.equals(a.out), `${name}: deterministic`);
      if (data.length) assert.equal(a.progress.at(-1), data.length);
    }
    // Compressible data is compressed about as well as zlib's default level; random data is stored.
    const ours = (await gz(join(dir, 'mixed'))).out.length;
    assert.ok(ours < gzipSync(cases['mixed']!).length * 1.1, `${ours}`);
    assert.equal(looksIncompressible(randomBytes(1 << 20)), true);
    assert.equal(looksIncompressible(text.subarray(0, 1 << 20)), false);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

void test('gzipFile: a failing writer fails the call and leaves no job behind', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-gz-'));
  try {
    const p = join(dir, 'f');
    await writeFile(p, randomBytes(3 * GZIP_BLOCK));
    let n = 0;
    await assert.rejects(gzipFile(p, () => (++n === 2 ? Promise.reject(new Error('disk full')) : Promise.resolve())), /disk full/);
    const ac = new AbortController();
    ac.abort(new Error('stopped'));
    await assert.rejects(gzipFile(p, () => Promise.resolve(), { signal: ac.signal }), /stopped/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
