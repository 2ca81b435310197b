import { createReadStream } from 'node:fs';
import { open, rm, type FileHandle } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Readable, Transform, pipeline } from 'node:stream';
import { Semaphore, errorMessage } from '../base/index.js';
import { Digester, MediaTypes, digestOf, shortId, type Digest, type ImageConfig, type Reference } from '../oci/index.js';
import { gzipFile } from '../archive/index.js';
import type { LocalContentStore } from '../content/index.js';
import type { DistributionMetadata } from './dist-meta.js';
import { progressOf, type Progress, type RegistrySession, type UploadSource } from './pull.js';
import { DEFAULT_RETRY, withRetries, type RetryPolicy } from './retry.js';

const DOCKER_MANIFEST = MediaTypes.dockerManifest;
const DOCKER_CONFIG = MediaTypes.dockerConfig;
const DOCKER_LAYER = MediaTypes.dockerLayerGzip;
const OCI_MANIFEST = MediaTypes.ociManifest;
const OCI_CONFIG = MediaTypes.ociConfig;
const GZIP_TYPES = new Set<string>([DOCKER_LAYER, MediaTypes.ociLayerGzip]);

/** dockerd's default `max-concurrent-uploads`. */
export const DEFAULT_CONCURRENT_UPLOADS = 5;
/** How far (compressed bytes) the compression of a layer may run ahead of what the upload has sent or asked for. */
const SPOOL_LEAD = 8 << 20;

export interface PushHost {
  content: LocalContentStore;
  meta: DistributionMetadata;
  /** Layer uploads of the whole daemon at once (dockerd's max-concurrent-uploads). */
  uploads: Semaphore;
  /** How a layer upload that failed transiently is tried again (retry.ts; dockerd's 5 retries by default). */
  retry?: RetryPolicy;
}

interface Pushed { digest: Digest; mediaType: string; size: number }

/**
 * Pushes one image (config `id`) as `target` (a tagged reference); returns the manifest digest and size. Layers
 * go up concurrently (bounded by `host.uploads`); the first failure stops the others and is what is thrown.
 * `signal` (the client went away) stops them all too; the session's own requests end with it as well.
 */
export async function pushOne(host: PushHost, session: RegistrySession, target: Reference, id: Digest, config: ImageConfig, progress: Progress, signal?: AbortSignal): Promise<{ digest: Digest; size: number }> {
  signal?.throwIfAborted();
  const diffIds = config.rootfs.diff_ids;
  const topDown = [...diffIds].reverse();
  for (const d of topDown) progress({ status: 'Preparing', progressDetail: {}, id: shortId(d) });
  const ac = new AbortController();
  const stop = signal ? AbortSignal.any([signal, ac.signal]) : ac.signal;
  let firstError: unknown;
  const tasks = new Map<string, Promise<Pushed>>();
  for (const diffId of topDown) {
    if (tasks.has(diffId)) continue;
    const task = (async (): Promise<Pushed> => {
      const sid = shortId(diffId);
      if (!host.uploads.tryAcquire()) {
        progress({ status: 'Waiting', progressDetail: {}, id: sid });
        await host.uploads.acquire(stop);
      }
      try {
        // A transient failure starts the layer again (its upload session was cancelled, its spool removed).
        return await withRetries(() => pushLayer(host, session, target, diffId, sid, progress, stop),
          { policy: host.retry ?? DEFAULT_RETRY, id: sid, progress, signal: stop, what: 'Upload' });
      } finally {
        host.uploads.release();
      }
    })().catch((err: unknown) => {
      if (firstError === undefined) { firstError = err; ac.abort(err); }
      throw err;
    });
    tasks.set(diffId, task);
  }
  const settled = await Promise.allSettled(tasks.values());
  if (firstError !== undefined || settled.some((s) => s.status === 'rejected')) throw firstError;
  signal?.throwIfAborted();
  const done = new Map<string, Pushed>();
  for (const [d, t] of tasks) done.set(d, await t);
  const pushed = diffIds.map((d) => done.get(d)!);
  // The config: no progress of its own, as with dockerd (HEAD first, then uploaded).
  const configBytes = await host.content.readBytes(id);
  await session.uploadBlob(bytesSource(configBytes));
  const allGzip = pushed.every((p) => GZIP_TYPES.has(p.mediaType));
  const manifest = allGzip
    ? { schemaVersion: 2, mediaType: DOCKER_MANIFEST, config: { mediaType: DOCKER_CONFIG, size: configBytes.length, digest: id }, layers: pushed.map((p) => ({ mediaType: DOCKER_LAYER, size: p.size, digest: p.digest })) }
    : { schemaVersion: 2, mediaType: OCI_MANIFEST, config: { mediaType: OCI_CONFIG, size: configBytes.length, digest: id }, layers: pushed.map((p) => ({ mediaType: p.mediaType, size: p.size, digest: p.digest })) };
  const bytes = Buffer.from(JSON.stringify(manifest, null, 3));
  const digest = await session.putManifest(target.tag!, manifest.mediaType, bytes);
  return { digest, size: bytes.length };
}

function bytesSource(bytes: Buffer): UploadSource {
  const complete = { digest: digestOf(bytes), size: bytes.length };
  return {
    ready: () => Promise.resolve({ available: bytes.length, complete }),
    read: (start, end) => Readable.from([bytes.subarray(start, end)], { objectMode: false }),
  };
}

async function pushLayer(host: PushHost, session: RegistrySession, target: Reference, diffId: Digest, sid: string, progress: Progress, signal: AbortSignal): Promise<Pushed> {
  const sources = (await host.meta.get(diffId)).filter((s) => s.domain === target.domain);
  // Already in the target repository?
  for (const s of sources.filter((x) => x.path === target.path)) {
    if ((await session.headBlob(s.digest)) !== undefined) {
      progress({ status: 'Layer already exists', progressDetail: {}, id: sid });
      return { digest: s.digest, mediaType: s.mediaType, size: s.size };
    }
  }
  // Elsewhere on the same registry: mount it.
  for (const s of sources.filter((x) => x.path !== target.path)) {
    if ((await session.headBlob(s.digest)) !== undefined) {
      progress({ status: 'Layer already exists', progressDetail: {}, id: sid });
      return { digest: s.digest, mediaType: s.mediaType, size: s.size };
    }
    if (await session.mountBlob(s.digest, s.path)) {
      progress({ status: `Mounted from ${s.path}`, progressDetail: {}, id: sid });
      await host.meta.add(diffId, { ...s, path: target.path });
      return { digest: s.digest, mediaType: s.mediaType, size: s.size };
    }
  }
  // Compressed while it is uploaded (the digest is known only at the end, for the final PUT).
  const layerPath = host.content.path(diffId);
  const total = (await host.content.info(diffId)).size;
  const spool = await Spool.create(host.content.ingestDir);
  let last = -1;
  const onRead = (n: number): void => {
    if (n === last) return;
    last = n;
    progress({ status: 'Pushing', id: sid, ...progressOf(n, total) });
  };
  const produced = gzipFile(layerPath, (b) => spool.append(b), { signal, onRead }).then(() => spool.finish(), (err: unknown) => spool.fail(err));
  try {
    const r = await session.uploadBlob(spool, { signal });
    progress({ status: r.existed ? 'Layer already exists' : 'Pushed', progressDetail: {}, id: sid });
    const src = { digest: r.digest, mediaType: DOCKER_LAYER, size: r.size };
    await host.meta.add(diffId, { ...src, domain: target.domain, path: target.path });
    return src;
  } finally {
    spool.stop();
    await produced;
    await spool.close();
  }
}

/**
 * A layer's compressed bytes, written to a file in the content store's ingest folder as they are produced and
 * read back in ranges while they are uploaded. The producer waits while it is SPOOL_LEAD bytes ahead of both
 * what the uploader has sent and what it asked for; nothing outlives the push (ingest is wiped at start).
 */
class Spool implements UploadSource {
  private written = 0;
  private wanted = 0;
  private sent = 0;
  private complete: { digest: Digest; size: number } | undefined;
  private failed: Error | undefined;
  private stopped = false;
  private wakers: Array<() => void> = [];
  private readonly digester = new Digester();

  private constructor(private readonly path: string, private readonly fh: FileHandle) {}

  static async create(dir: string): Promise<Spool> {
    const path = join(dir, `push-${randomBytes(8).toString('hex')}`);
    return new Spool(path, await open(path, 'wx+', 0o600));
  }

  private wake(): void {
    const w = this.wakers;
    this.wakers = [];
    for (const f of w) f();
  }

  private wait(): Promise<void> {
    return new Promise((resolve) => this.wakers.push(resolve));
  }

  async append(b: Buffer): Promise<void> {
    if (this.stopped) throw new Error('push stopped');
    let off = 0;
    while (off < b.length) {
      const { bytesWritten } = await this.fh.write(b, off, b.length - off, this.written + off);
      off += bytesWritten;
    }
    this.digester.update(b);
    this.written += b.length;
    this.wake();
    while (!this.stopped && this.written >= Math.max(this.wanted, this.sent + SPOOL_LEAD)) await this.wait();
  }

  finish(): void {
    this.complete = { digest: this.digester.digest(), size: this.written };
    this.wake();
  }

  fail(err: unknown): void {
    this.failed = err instanceof Error ? err : new Error(errorMessage(err));
    this.wake();
  }

  async ready(n: number): Promise<{ available: number; complete?: { digest: Digest; size: number } }> {
    for (;;) {
      if (this.failed) throw this.failed;
      if (this.complete || this.written >= n) return { available: this.written, ...(this.complete ? { complete: this.complete } : {}) };
      if (n > this.wanted) this.wanted = n;
      this.wake();
      await this.wait();
    }
  }

  read(start: number, end: number): Readable {
    let pos = start;
    const counter = new Transform({
      transform: (chunk: Buffer, _enc, cb): void => {
        pos += chunk.length;
        if (pos > this.sent) { this.sent = pos; this.wake(); }
        cb(null, chunk);
      },
    });
    return pipeline(createReadStream(this.path, { start, end: end - 1, highWaterMark: 1 << 20 }), counter, () => undefined);
  }

  /** Lets a waiting producer go (its next append fails). */
  stop(): void {
    this.stopped = true;
    this.wake();
  }

  async close(): Promise<void> {
    await this.fh.close();
    await rm(this.path, { force: true });
  }
}
