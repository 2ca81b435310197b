import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from './config.js';

async function withFile(body: unknown, fn: (path: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-config-'));
  try {
    const path = join(dir, 'daemon.json');
    await writeFile(path, JSON.stringify(body));
    await fn(path);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

void test('max-concurrent-downloads/uploads: defaults 4 and 5, docker keys honoured, bad values refused', async () => {
  await withFile({}, async (configFile) => {
    const c = await loadConfig({ configFile });
    assert.equal(c.maxConcurrentDownloads, 4);
    assert.equal(c.maxConcurrentUploads, 5);
  });
  await withFile({ 'max-concurrent-downloads': 1, 'max-concurrent-uploads': 2 }, async (configFile) => {
    const c = await loadConfig({ configFile });
    assert.equal(c.maxConcurrentDownloads, 1);
    assert.equal(c.maxConcurrentUploads, 2);
  });
  for (const bad of [0, -1, 1.5, '3']) {
    await withFile({ 'max-concurrent-downloads': bad }, async (configFile) => {
      await assert.rejects(loadConfig({ configFile }), /invalid max-concurrent-downloads/);
    });
  }
});

void test('unknown daemon.json keys are refused with docker\'s wording', async () => {
  await withFile({ 'no-such-key': true }, async (configFile) => {
    await assert.rejects(loadConfig({ configFile }), /the following directives don't match any configuration option: no-such-key/);
  });
});

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

void test('daemon.json: max-download-attempts, max-upload-attempts (default 5), transfer-retry-delay (default 5000 ms)', async () => {
  await withFile({}, async (configFile) => {
    const c = await loadConfig({ configFile });
    assert.deepEqual([c.maxDownloadAttempts, c.maxUploadAttempts, c.transferRetryDelay], [5, 5, 5000]);
  });
  await withFile({ 'max-download-attempts': 0, 'max-upload-attempts': 2, 'transfer-retry-delay': 10 }, async (configFile) => {
    const c = await loadConfig({ configFile });
    assert.deepEqual([c.maxDownloadAttempts, c.maxUploadAttempts, c.transferRetryDelay], [0, 2, 10]);
  });
  await withFile({ 'transfer-retry-delay': '5s' }, async (configFile) => {
    await assert.rejects(loadConfig({ configFile }), /invalid transfer-retry-delay "5s"/);
  });
  await withFile({ 'max-download-attempts': -1 }, async (configFile) => {
    await assert.rejects(loadConfig({ configFile }), /invalid max-download-attempts -1/);
  });
});
