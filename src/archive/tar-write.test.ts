import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { tarHeader, tarPadding, tarTrailer } from './tar-write.js';

void test('tarHeader writes archives GNU tar lists and extracts byte for byte', () => {
  const data = Buffer.from('hello, world\n');
  const long = `blobs/sha256/${'a'.repeat(64)}/${'b'.repeat(60)}`; // > 100 bytes: uses the ustar prefix
  const tar = Buffer.concat([
    tarHeader({ name: 'blobs', type: 'dir' }),
    tarHeader({ name: 'blobs/file.json', type: 'file', size: data.length }), data, tarPadding(data.length),
    tarHeader({ name: long, type: 'file', size: 0 }),
    tarTrailer(),
  ]);
  assert.equal(tar.length % 512, 0);
  const list = spawnSync('tar', ['-tvf', '-'], { input: tar });
  assert.equal(list.status, 0, list.stderr.toString());
  const names = list.stdout.toString().trim().split('\n').map((l) => l.split(/\s+/).pop());
  assert.deepEqual(names, ['blobs/', 'blobs/file.json', long]);
  const out = spawnSync('tar', ['-xOf', '-', 'blobs/file.json'], { input: tar });
  assert.equal(out.stdout.toString(), 'hello, world\n');
});

void test('tarHeader: checksum and size fields', () => {
  const h = tarHeader({ name: 'x', type: 'file', size: 8 ** 11 + 5 }); // past the octal limit: base-256
  assert.equal(h[124]! & 0x80, 0x80);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : h[i]!;
  assert.equal(Number.parseInt(h.subarray(148, 154).toString(), 8), sum);
  assert.equal(tarPadding(512).length, 0);
  assert.equal(tarPadding(1).length, 511);
  assert.throws(() => tarHeader({ name: 'n'.repeat(300), type: 'file' }), /name too long/);
});
