import { createReadStream } from 'node:fs';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { Readable as R } from 'node:stream';
import { shortId, type Digest, type ImageConfig, type Reference } from '../oci/index.js';
import type { LocalContentStore } from '../content/index.js';
import type { DistributionMetadata } from './dist-meta.js';
import { progressBar, type Progress, type RegistrySession } from './pull.js';

const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
const DOCKER_CONFIG = 'application/vnd.docker.container.image.v1+json';
const DOCKER_LAYER = 'application/vnd.docker.image.rootfs.diff.tar.gzip';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
const GZIP_TYPES = new Set([DOCKER_LAYER, 'application/vnd.oci.image.layer.v1.tar+gzip']);

export interface PushHost {
  content: LocalContentStore;
  meta: DistributionMetadata;
}

interface Pushed { digest: Digest; mediaType: string; size: number }

/** Pushes one image (config `id`) as `target` (a tagged reference); returns the manifest digest and size. */
export async function pushOne(host: PushHost, session: RegistrySession, target: Reference, id: Digest, config: ImageConfig, progress: Progress): Promise<{ digest: Digest; size: number }> {
  const diffIds = config.rootfs.diff_ids;
  for (const d of [...diffIds].reverse()) progress({ status: 'Preparing', id: shortId(d) });
  const pushed: Pushed[] = new Array(diffIds.length);
  const done = new Map<string, Pushed>();
  for (let i = diffIds.length - 1; i >= 0; i--) {
    const diffId = diffIds[i]!;
    const sid = shortId(diffId);
    const prev = done.get(diffId);
    if (prev) { pushed[i] = prev; continue; }
    pushed[i] = await pushLayer(host, session, target, diffId, sid, progress);
    done.set(diffId, pushed[i]!);
  }
  // The config: no progress of its own, as with dockerd.
  const configBytes = await host.content.readBytes(id);
  if ((await session.headBlob(id)) === undefined) await session.uploadBlob(id, configBytes.length, () => R.from([configBytes]));
  const allGzip = pushed.every((p) => GZIP_TYPES.has(p.mediaType));
  const manifest = allGzip
    ? { schemaVersion: 2, mediaType: DOCKER_MANIFEST, config: { mediaType: DOCKER_CONFIG, size: configBytes.length, digest: id }, layers: pushed.map((p) => ({ mediaType: DOCKER_LAYER, size: p.size, digest: p.digest })) }
    : { schemaVersion: 2, mediaType: OCI_MANIFEST, config: { mediaType: OCI_CONFIG, size: configBytes.length, digest: id }, layers: pushed.map((p) => ({ mediaType: p.mediaType, size: p.size, digest: p.digest })) };
  const bytes = Buffer.from(JSON.stringify(manifest, null, 3));
  const digest = await session.putManifest(target.tag!, manifest.mediaType, bytes);
  return { digest, size: bytes.length };
}

async function pushLayer(host: PushHost, session: RegistrySession, target: Reference, diffId: Digest, sid: string, progress: Progress): Promise<Pushed> {
  const sources = (await host.meta.get(diffId)).filter((s) => s.domain === target.domain);
  // Already in the target repository?
  for (const s of sources.filter((x) => x.path === target.path)) {
    if ((await session.headBlob(s.digest)) !== undefined) {
      progress({ status: 'Layer already exists', id: sid });
      return { digest: s.digest, mediaType: s.mediaType, size: s.size };
    }
  }
  // Elsewhere on the same registry: mount it.
  for (const s of sources.filter((x) => x.path !== target.path)) {
    if ((await session.headBlob(s.digest)) !== undefined) {
      progress({ status: 'Layer already exists', id: sid });
      return { digest: s.digest, mediaType: s.mediaType, size: s.size };
    }
    if (await session.mountBlob(s.digest, s.path)) {
      progress({ status: `Mounted from ${s.path}`, id: sid });
      await host.meta.add(diffId, { ...s, path: target.path });
      return { digest: s.digest, mediaType: s.mediaType, size: s.size };
    }
  }
  // Compress (gzip is deterministic for the same input), then HEAD and upload.
  const gz = createGzip();
  const [, blob] = await Promise.all([pipeline(createReadStream(host.content.path(diffId)), gz), host.content.write(gz)]);
  try {
    const mediaType = DOCKER_LAYER;
    if ((await session.headBlob(blob.digest)) !== undefined) {
      progress({ status: 'Layer already exists', id: sid });
    } else {
      progress({ status: 'Waiting', id: sid });
      await session.uploadBlob(blob.digest, blob.size, (): Readable => {
        let n = 0;
        let last = 0;
        const counter = new Transform({
          transform(chunk: Buffer, _e, cb) {
            n += chunk.length;
            if (n - last >= 256 << 10 || n === blob.size) {
              last = n;
              progress({ status: 'Pushing', id: sid, progressDetail: { current: n, total: blob.size }, progress: progressBar(n, blob.size) });
            }
            cb(null, chunk);
          },
        });
        const src = createReadStream(host.content.path(blob.digest));
        src.on('error', (err) => counter.destroy(err));
        return src.pipe(counter);
      });
      progress({ status: 'Pushed', id: sid });
    }
    await host.meta.add(diffId, { digest: blob.digest, mediaType, size: blob.size, domain: target.domain, path: target.path });
    return { digest: blob.digest, mediaType, size: blob.size };
  } finally {
    await host.content.delete(blob.digest);
  }
}
