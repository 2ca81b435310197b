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
