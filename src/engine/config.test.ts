import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from './config.js';

void test('daemon.json: max-concurrent-uploads (default 5) and upload-chunk-size, checked', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-config-'));
  const file = join(dir, 'daemon.json');
  const load = async (v: object): Promise<Awaited<ReturnType<typeof loadConfig>>> => {
    await writeFile(file, JSON.stringify(v));
    return loadConfig({ configFile: file });
  };
  try {
    let c = await load({});
    assert.equal(c.maxConcurrentUploads, 5);
    assert.equal(c.uploadChunkSize, undefined);
    c = await load({ 'max-concurrent-uploads': 2, 'upload-chunk-size': 0 });
    assert.equal(c.maxConcurrentUploads, 2);
    assert.equal(c.uploadChunkSize, 0);
    await assert.rejects(load({ 'max-concurrent-uploads': 0 }), /invalid max-concurrent-uploads 0: an integer of at least 1 is required/);
    await assert.rejects(load({ 'upload-chunk-size': '1M' }), /invalid upload-chunk-size "1M"/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
