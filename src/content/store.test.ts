import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile, mkdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { LocalContentStore } from './store.js';
import { digestOf } from '../oci/index.js';
import { InvalidArgumentError, NotFoundError } from '../base/index.js';

async function withStore(fn: (s: LocalContentStore, dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-content-'));
  try {
    const s = new LocalContentStore(join(dir, 'content'));
    await s.init();
    await fn(s, dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

void test('write streams, verifies and stores by digest', () => withStore(async (s) => {
  const chunks = Array.from({ length: 100 }, (_, i) => Buffer.alloc(10_000, i));
  const all = Buffer.concat(chunks);
  const r = await s.write(Readable.from(chunks), { expected: digestOf(all) });
  assert.equal(r.digest, digestOf(all));
  assert.equal(r.size, all.length);
  assert.ok(await s.has(r.digest));
  assert.deepEqual(await readFile(s.path(r.digest)), all);
  assert.deepEqual(await s.list(), [r.digest]);
  assert.deepEqual(await readdir(s.ingestDir), []);
  // idempotent
  const r2 = await s.write(Readable.from(chunks));
  assert.equal(r2.digest, r.digest);
  assert.equal(await s.delete(r.digest), true);
  assert.equal(await s.delete(r.digest), false);
  assert.equal(await s.has(r.digest), false);
}));

void test('wrong expected digest keeps neither blob nor ingest file', () => withStore(async (s) => {
  const wrong = digestOf('something else');
  await assert.rejects(s.write(Readable.from([Buffer.from('payload')]), { expected: wrong }),
    (e: unknown) => e instanceof InvalidArgumentError && e.message.includes(wrong));
  assert.deepEqual(await s.list(), []);
  assert.deepEqual(await readdir(s.ingestDir), []);
  assert.equal(await s.has(digestOf('payload')), false);
}));

void test('failing source stream keeps nothing', () => withStore(async (s) => {
  const src = new Readable({ read() { this.push(Buffer.from('x')); this.destroy(new Error('boom')); } });
  await assert.rejects(s.write(src), /boom/);
  assert.deepEqual(await s.list(), []);
  assert.deepEqual(await readdir(s.ingestDir), []);
}));

void test('json round trip, size limit, missing blob, stale ingest cleanup', () => withStore(async (s) => {
  const d = await s.writeJson({ b: 1, a: [1, 2] });
  assert.equal(d, digestOf('{"b":1,"a":[1,2]}'));
  assert.deepEqual(await s.readJson(d), { b: 1, a: [1, 2] });
  await assert.rejects(s.readJson(d, 4), /too large/);
  await assert.rejects(s.readJson(digestOf('nope')), NotFoundError);
  await mkdir(s.ingestDir, { recursive: true });
  await writeFile(join(s.ingestDir, 'stale'), 'x');
  const s2 = new LocalContentStore(s.root);
  await s2.init();
  assert.deepEqual(await readdir(s2.ingestDir), []);
  assert.deepEqual(await s2.list(), [d]);
}));
