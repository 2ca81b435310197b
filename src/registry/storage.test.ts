import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, readdir, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createHash } from 'node:crypto';
import { RegistryStorage, parseManifest, MT } from './storage.js';
import { RegistryError } from './errors.js';

const sha = (b: string): `sha256:${string}` => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const D = `sha256:${'b'.repeat(64)}`;

void test('parseManifest: media types, referenced blobs, subject, artifactType', () => {
  const m = parseManifest(Buffer.from(JSON.stringify({
    schemaVersion: 2, config: { mediaType: 'application/x.cfg', digest: D, size: 1 },
    layers: [{ mediaType: 'l', digest: D, size: 1 }, { mediaType: 'foreign', digest: sha('f'), size: 1, urls: ['http://x'] }],
    subject: { mediaType: MT.ociManifest, digest: D, size: 3 },
  })), MT.ociManifest);
  assert.equal(m.mediaType, MT.ociManifest);
  assert.deepEqual(m.blobs, [D, D], 'foreign layers are not required');
  assert.equal(m.subject?.digest, D);
  assert.equal(m.artifactType, 'application/x.cfg');
  const idx = parseManifest(Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: MT.ociManifest, digest: D, size: 1 }] })), undefined);
  assert.equal(idx.mediaType, MT.ociIndex);
  assert.deepEqual(idx.manifests, [D]);
  const bad = (body: unknown, ct?: string): void => {
    assert.throws(() => parseManifest(Buffer.from(JSON.stringify(body)), ct), (e: RegistryError) => e.code === 'MANIFEST_INVALID');
  };
  bad({ schemaVersion: 1, config: { digest: D, size: 1 }, layers: [] });
  bad({ schemaVersion: 2, mediaType: MT.dockerManifest, config: { digest: D, size: 1 }, layers: [] }, MT.ociManifest);
  bad({ schemaVersion: 2, config: { digest: 'sha256:short', size: 1 }, layers: [] });
  bad({ schemaVersion: 2, mediaType: 'application/x-unknown', manifests: [] });
});

void test('uploads: hashed as written, verified before visible; a crashed upload is never a blob and gc drops it', async () => {
  const root = await mkdtemp(join(tmpdir(), 'berth-regstore-'));
  try {
    const s = new RegistryStorage(root);
    await s.init();
    const uuid = await s.startUpload('a');
    assert.equal(await s.appendUpload('a', uuid, Readable.from([Buffer.from('hello ')]), 0), 6);
    await assert.rejects(s.appendUpload('a', uuid, Readable.from([Buffer.from('x')]), 3), (e: RegistryError) => e.status === 416);
    await assert.rejects(s.uploadSize('other', uuid), (e: RegistryError) => e.code === 'BLOB_UPLOAD_UNKNOWN');
    // A fresh storage object (as after a restart) rebuilds the hash from the data file.
    const s2 = new RegistryStorage(root);
    assert.equal(await s2.appendUpload('a', uuid, Readable.from([Buffer.from('world')])), 11);
    await s2.finishUpload('a', uuid, sha('hello world'));
    assert.equal(await s2.repoBlobSize('a', sha('hello world')), 11);
    assert.equal(await s2.repoBlobSize('b', sha('hello world')), undefined);

    const u2 = await s.startUpload('a');
    await s.appendUpload('a', u2, Readable.from([Buffer.from('evil')]));
    await assert.rejects(s.finishUpload('a', u2, sha('good')), (e: RegistryError) => e.code === 'DIGEST_INVALID');
    assert.equal(await s.blobSize(sha('good')), undefined);
    assert.equal(await s.blobSize(sha('evil')), undefined);

    // An abandoned upload (a crash mid-upload) stays invisible; gc removes it once stale.
    const u3 = await s.startUpload('a');
    await s.appendUpload('a', u3, Readable.from([Buffer.from('partial')]));
    assert.equal(await s.blobSize(sha('partial')), undefined);
    await utimes(join(root, '_uploads', u3), new Date(0), new Date(0));
    const r = await s.gc();
    assert.deepEqual(r.removed, [sha('hello world')], 'no manifest references the blob');
    assert.deepEqual(await readdir(join(root, '_uploads')), []);
    assert.equal(await s.repoBlobSize('a', sha('hello world')), undefined);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
