import { createReadStream } from 'node:fs';
import { PassThrough, Transform, type Readable, type TransformCallback, type Writable } from 'node:stream';
import {
  InvalidArgumentError, NotFoundError, Semaphore, drained, errorMessage, formatPlatform, goHumanSize, platformMatches, type PlatformSpec,
} from '../base/index.js';
import {
  Digester, MediaTypes, childChainId, digestOf, isDigest, shortId, type Descriptor, type Digest, type ImageConfig, type Reference,
} from '../oci/index.js';
import { decompressStream } from '../archive/index.js';
import type { LocalContentStore } from '../content/index.js';
import type { LayerStore, PreparedLayer } from '../snapshots/index.js';
import { DEFAULT_RETRY, withRetries, type RetryPolicy } from './retry.js';

/** What the image service needs from a registry client (src/distribution implements it; wired by the engine). */
export interface RegistrySession {
  headBlob(digest: Digest): Promise<number | undefined>;
  mountBlob(digest: Digest, from: string): Promise<boolean>;
  /** Uploads a blob that may still be being produced (src/distribution's chunked or monolithic upload). */
  uploadBlob(src: UploadSource, opts?: { signal?: AbortSignal }): Promise<{ digest: Digest; size: number; existed: boolean }>;
  putManifest(reference: string, mediaType: string, bytes: Buffer): Promise<Digest>;
  getManifest(reference: string): Promise<{ bytes: Buffer; mediaType: string; digest: Digest }>;
  getBlob(digest: Digest): Promise<{ stream: Readable; size: number | undefined }>;
  getBlobBytes(digest: Digest): Promise<Buffer>;
  listTags(): Promise<string[]>;
}

/** A blob to upload whose bytes may still be being produced; see UploadSource in src/distribution. */
export interface UploadSource {
  ready(n: number): Promise<{ available: number; complete?: { digest: Digest; size: number } }>;
  read(start: number, end: number): Readable;
}

export interface Registry {
  /** A session whose requests are all aborted when `signal` is (the client of a pull went away). */
  session(repo: { domain: string; path: string }, auth?: RegistryCredentials, actions?: string, signal?: AbortSignal): RegistrySession;
  /** Checks credentials against a registry (`docker login`); throws UnauthorizedError when they are wrong. */
  checkLogin(domain: string, auth: RegistryCredentials): Promise<void>;
}

export interface RegistryCredentials {
  username?: string;
  password?: string;
  auth?: string;
  identitytoken?: string;
  registrytoken?: string;
  serveraddress?: string;
}

/** One of Docker's JSON progress messages. */
export interface ProgressMessage {
  status?: string;
  aux?: unknown;
  id?: string;
  progress?: string;
  progressDetail?: { current?: number; total?: number };
}

export type Progress = (m: ProgressMessage) => void;


const INDEX_TYPES = new Set<string>([MediaTypes.ociIndex, MediaTypes.dockerManifestList]);
const MANIFEST_TYPES = new Set<string>([MediaTypes.ociManifest, MediaTypes.dockerManifest]);
const FOREIGN = /foreign|nondistributable/;
/** Layers fetched and unpacked at once by one pull unless configured (dockerd's default is 3). */
export const DEFAULT_CONCURRENT_DOWNLOADS = 4;

interface IndexJson { manifests?: Array<Descriptor & { platform?: { os?: string; architecture?: string; variant?: string } }> }
interface ManifestJson { schemaVersion?: number; mediaType?: string; config?: Descriptor; layers?: Descriptor[] }

/**
 * The `progress` text of Docker's JSON progress messages, as moby's JSONProgress.String() renders it in the daemon
 * (no terminal there, so 200 columns: the bar is always shown): `[=====>      ]  1.21MB/3.4MB`, a 51-column bar of
 * `=` for every 2 % done and a `>`, then current/total in go-units' HumanSize (current alone past the total); only
 * the size (padded to 8) without a total; nothing when there is neither.
 */
export function progressBar(current: number, total: number | undefined): string {
  const t = total ?? 0;
  if (current <= 0 && t <= 0) return '';
  const cur = goHumanSize(current).padStart(8);
  if (t <= 0) return cur;
  const pct = Math.min(50, Math.trunc(Math.trunc((current / t) * 100) / 2));
  return `[${'='.repeat(Math.max(0, pct))}>${' '.repeat(Math.max(0, 50 - pct))}] ${current > t ? cur : `${cur}/${goHumanSize(t)}`}`;
}

/** `progressDetail` and, when there is something to show, `progress` (moby leaves an empty one out). */
export function progressOf(current: number, total: number | undefined): Pick<ProgressMessage, 'progress' | 'progressDetail'> {
  const bar = progressBar(current, total);
  return { progressDetail: { current, total }, ...(bar ? { progress: bar } : {}) };
}

/** The manifest for `want` in an index: the same os, architecture and variant once normalized (containerd's). */
export function selectPlatform(index: IndexJson, want: PlatformSpec): Descriptor | undefined {
  return (index.manifests ?? []).find((m) => m.platform && MANIFEST_TYPES.has(m.mediaType) && platformMatches(want, m.platform));
}

/** A transform that hashes what passes and fails at the end when the digest or size is not the expected one. */
class Verifier extends Transform {
  private readonly d = new Digester();
  constructor(private readonly expected: Digest, private readonly size: number | undefined, private readonly onBytes: (n: number) => void) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.d.update(chunk);
    this.onBytes(this.d.size);
    cb(null, chunk);
  }
  override _flush(cb: TransformCallback): void {
    const got = this.d.digest();
    if (got !== this.expected || (this.size !== undefined && this.size !== this.d.size)) {
      cb(new InvalidArgumentError(`filesystem layer verification failed for digest ${this.expected} (got ${got}, ${this.d.size} bytes)`));
      return;
    }
    cb();
  }
}

export interface PullHost {
  content: LocalContentStore;
  layers: LayerStore;
  /** Registers the image (config bytes already verified) and its references; true when it was new. */
  register(config: Buffer, id: Digest, refs: Reference[]): Promise<{ isNew: boolean }>;
  /** True when the image and its layers are all present. */
  hasImage(id: Digest): boolean;
  /** Remembers where a layer's compressed form lives (for pushes: HEAD first, cross-repository mounts). */
  recordSource(diffId: Digest, src: { digest: Digest; mediaType: string; size: number; domain: string; path: string }): Promise<void>;
  /** Layers fetched and unpacked at once. */
  concurrency?: number;
  /**
   * Layer downloads in progress in any pull of this daemon, by diff ID (shared by every pull's host). A pull that
   * needs a layer another pull is fetching waits for that download and then unpacks the stored blob, instead of
   * fetching it a second time (compose pulling services that share a base image); if that download fails, the
   * waiting pull fetches the layer itself.
   */
  downloads?: Map<string, Promise<unknown>>;
  /** How a layer download that failed transiently is tried again (retry.ts; dockerd's 5 retries by default). */
  retry?: RetryPolicy;
  /** Removes the blobs and unpacked layers of a failed pull that no image refers to. */
  discard(blobs: Digest[], chains: Digest[]): Promise<void>;
}

export interface PullOneResult { id: Digest; manifestDigest: Digest; isNew: boolean }

/**
 * Pulls one tag or digest of `repo` into the stores. `signal` is the session's (its requests end when it aborts);
 * it is also checked between steps, and an abort goes through the failure path (what this pull added is dropped).
 */
export async function pullOne(host: PullHost, session: RegistrySession, repo: Reference, reference: string, platform: PlatformSpec, progress: Progress, signal?: AbortSignal): Promise<PullOneResult> {
  const top = await session.getManifest(reference);
  signal?.throwIfAborted();
  progress({ status: `Pulling from ${repo.path}`, id: reference });
  let manifestBytes = top.bytes;
  let mediaType = top.mediaType;
  if (INDEX_TYPES.has(mediaType)) {
    const idx = JSON.parse(top.bytes.toString('utf8')) as IndexJson;
    const desc = selectPlatform(idx, platform);
    if (!desc) throw new NotFoundError(`no matching manifest for ${formatPlatform(platform)} in the manifest list entries`);
    const m = await session.getManifest(desc.digest);
    manifestBytes = m.bytes;
    mediaType = m.mediaType || desc.mediaType;
  }
  if (!MANIFEST_TYPES.has(mediaType)) {
    throw new InvalidArgumentError(`unsupported manifest media type ${JSON.stringify(mediaType)} (schema 1 images are not supported)`);
  }
  const manifest = JSON.parse(manifestBytes.toString('utf8')) as ManifestJson;
  if (!manifest.config || !isDigest(manifest.config.digest) || !Array.isArray(manifest.layers)) {
    throw new InvalidArgumentError('invalid manifest: config or layers missing');
  }
  const id = manifest.config.digest;
  const configBytes = host.hasImage(id) ? await host.content.readBytes(id) : await session.getBlobBytes(id);
  if (digestOf(configBytes) !== id) throw new InvalidArgumentError(`image config verification failed for digest ${id}`);
  const config = JSON.parse(configBytes.toString('utf8')) as ImageConfig;
  const layers = manifest.layers.filter((l) => !FOREIGN.test(l.mediaType));
  const diffIds = config.rootfs?.diff_ids ?? [];
  if (diffIds.length !== layers.length || !diffIds.every(isDigest) || !layers.every((l) => isDigest(l.digest))) {
    throw new InvalidArgumentError(`invalid image ${id}: ${layers.length} layers in the manifest, ${diffIds.length} diff IDs in the config`);
  }
  if (host.hasImage(id)) {
    await recordSources(host, repo, layers, diffIds);
    return { id, manifestDigest: top.digest, isNew: false };
  }

  // Which layers are needed: a present chain ID means that layer and all below are already unpacked.
  const chains: Digest[] = [];
  for (const d of diffIds) chains.push(childChainId(chains.at(-1), d));
  const present: boolean[] = [];
  for (const c of chains) present.push(await host.layers.exists(c));
  const seen = new Set<string>();
  for (let i = 0; i < layers.length; i++) {
    const sid = shortId(layers[i]!.digest);
    if (seen.has(sid)) continue;
    seen.add(sid);
    progress({ status: present[i] ? 'Already exists' : 'Pulling fs layer', progressDetail: {}, id: sid });
  }
  // Every missing layer is fetched, verified, decompressed and unpacked at once (bounded): the uncompressed tar
  // streams into the content store (by diff ID) and into a hidden layer directory at the same time. overlayfs
  // layers do not depend on each other, so they unpack in parallel; they are committed bottom-up afterwards.
  const unpacks = new Map<string, Promise<PreparedLayer | undefined>>();
  const written: Digest[] = [];
  const slots = new Semaphore(host.concurrency ?? DEFAULT_CONCURRENT_DOWNLOADS);
  // A layer download that fails transiently starts again (the failed attempt has dropped its partial work: body
  // stream, prepared directory, ingest file); a wait for a retry ends when the pull is cancelled or has failed.
  const failed = new AbortController();
  const stopRetries = signal ? AbortSignal.any([signal, failed.signal]) : failed.signal;
  const retrying = <T>(sid: string, attempt: () => Promise<T>): Promise<T> =>
    withRetries(attempt, { policy: host.retry ?? DEFAULT_RETRY, id: sid, progress, signal: stopRetries, what: 'Download' });
  const unpack = (desc: Descriptor, diffId: Digest): Promise<PreparedLayer | undefined> => {
    // Registered at once (no await before it), so two pulls starting together cannot both miss each other.
    const other = host.downloads?.get(diffId);
    const mine = unpackAfter(other, desc, diffId);
    if (host.downloads && !other) {
      const shared = host.downloads;
      shared.set(diffId, mine);
      const forget = (): void => { if (shared.get(diffId) === mine) shared.delete(diffId); };
      mine.then(forget, forget);
    }
    return mine;
  };
  const unpackAfter = async (other: Promise<unknown> | undefined, desc: Descriptor, diffId: Digest): Promise<PreparedLayer | undefined> => {
    const sid = shortId(desc.digest);
    if (other) {
      progress({ status: 'Waiting', progressDetail: {}, id: sid });
      await Promise.race([other.catch(() => undefined), abortedOf(stopRetries)]);
      signal?.throwIfAborted();
    }
    if (await host.content.has(diffId)) {
      // Held already (from a load, or just fetched by another pull): unpacked from the store once the layer below
      // is in place.
      progress({ status: 'Download complete', progressDetail: {}, id: sid });
      return undefined;
    }
    return fetchLayer(desc, diffId, sid);
  };
  const fetchLayer = async (desc: Descriptor, diffId: Digest, sid: string): Promise<PreparedLayer> => {
    if (!slots.tryAcquire()) {
      progress({ status: 'Waiting', progressDetail: {}, id: sid });
      await slots.acquire(stopRetries); // gives up when the pull is cancelled or another layer failed
    }
    try {
      return await retrying(sid, async () => {
        signal?.throwIfAborted();
        const { stream, size } = await session.getBlob(desc.digest);
        const total = desc.size ?? size;
        let last = 0;
        const verifier = new Verifier(desc.digest, desc.size, (n) => {
          if (n - last >= 512 << 10 || n === total) {
            last = n;
            progress({ status: 'Downloading', id: sid, ...progressOf(n, total) });
          }
        });
        stream.on('error', (err) => verifier.destroy(err));
        stream.pipe(verifier);
        progress({ status: 'Downloading', id: sid, ...progressOf(0, total) });
        const { stream: plain } = await decompressStream(verifier);
        const toStore = new PassThrough({ highWaterMark: 1 << 20 });
        const toLayer = new PassThrough({ highWaterMark: 1 << 20 });
        // A download that breaks early destroys both before their consumers may listen (they start after a mkdir):
        // the error must not go unhandled (it is reported through `fed` and the consumers' promises).
        for (const p of [toStore, toLayer]) p.on('error', () => undefined);
        const stored = host.content.write(toStore, { expected: diffId }).then((r) => { if (!written.includes(diffId)) written.push(diffId); return r; });
        const prepared = host.layers.prepare(toLayer, { verifiedElsewhere: diffId }); // the store write checks it
        const fed = tee(plain, [toStore, toLayer]);
        const [f, w, l] = await Promise.allSettled([fed, stored, prepared]);
        if (f.status === 'rejected' || w.status === 'rejected' || l.status === 'rejected') {
          stream.destroy();
          if (l.status === 'fulfilled') await host.layers.discard(l.value);
          const err: unknown = f.status === 'rejected' ? f.reason : w.status === 'rejected' ? w.reason : (l as PromiseRejectedResult).reason;
          if (/digest mismatch/.test(errorMessage(err))) {
            throw new InvalidArgumentError(`filesystem layer verification failed for digest ${desc.digest}: uncompressed content does not match diff ID ${diffId}`);
          }
          throw err;
        }
        progress({ status: 'Verifying Checksum', progressDetail: {}, id: sid });
        progress({ status: 'Download complete', progressDetail: {}, id: sid });
        return l.value;
      });
    } finally {
      slots.release();
    }
  };
  for (let i = 0; i < layers.length; i++) {
    if (present[i]) continue;
    const key = diffIds[i]!;
    if (!unpacks.has(key)) {
      const p = unpack(layers[i]!, key);
      p.catch(() => undefined); // awaited below, in order
      unpacks.set(key, p);
    }
  }
  const used = new Set<string>();
  try {
    for (let i = 0; i < layers.length; i++) {
      if (present[i]) continue;
      const sid = shortId(layers[i]!.digest);
      const diffId = diffIds[i]!;
      let prepared = await unpacks.get(diffId);
      signal?.throwIfAborted();
      // A diff ID seen twice in one image (two chains), or one held unpacked only as a blob: unpack from the store.
      if (prepared && used.has(diffId)) prepared = undefined;
      if (prepared) used.add(diffId);
      const parent = i === 0 ? undefined : chains[i - 1];
      if (await host.layers.exists(chains[i]!)) {
        if (prepared) await host.layers.discard(prepared);
        progress({ status: 'Pull complete', progressDetail: {}, id: sid });
        continue;
      }
      const { size: total } = await host.content.info(diffId);
      progress({ status: 'Extracting', id: sid, ...progressOf(total, total) });
      const info = prepared
        ? await host.layers.commit(prepared, parent)
        : await host.layers.apply(createReadStream(host.content.path(diffId)), parent);
      if (info.diffId !== diffId) throw new InvalidArgumentError(`layer ${sid}: unpacked content ${info.diffId} does not match diff ID ${diffId}`);
      progress({ status: 'Pull complete', progressDetail: {}, id: sid });
    }
    signal?.throwIfAborted();
    const { isNew } = await host.register(configBytes, id, []);
    await recordSources(host, repo, layers, diffIds);
    return { id, manifestDigest: top.digest, isNew };
  } catch (err) {
    failed.abort(err);
    const rest = await Promise.allSettled(unpacks.values());
    for (const [k, r] of [...unpacks.keys()].map((k, j) => [k, rest[j]!] as const)) {
      if (r.status === 'fulfilled' && r.value && !used.has(k)) await host.layers.discard(r.value);
    }
    await host.discard(written, chains.filter((_c, i) => !present[i]));
    throw err;
  }
}

/** Resolves when `signal` aborts (never when it does not). */
function abortedOf(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

/**
 * Copies `src` into every writable (each with its own backpressure) and ends them; fails when any side fails.
 * Small chunks (zlib's output, socket reads) are gathered into writes of about 1 MiB: every write costs each
 * consumer a few stream and promise hops, and there are two consumers.
 */
async function tee(src: Readable, outs: Writable[]): Promise<void> {
  const broken = (): Error | undefined => outs.find((o) => o.destroyed)?.errored ?? (outs.some((o) => o.destroyed) ? new Error('layer consumer closed early') : undefined);
  let parts: Buffer[] = [];
  let size = 0;
  const flush = async (): Promise<void> => {
    const chunk = parts.length === 1 ? parts[0]! : Buffer.concat(parts, size);
    parts = [];
    size = 0;
    const waits: Array<Promise<void>> = [];
    for (const o of outs) if (!o.write(chunk)) waits.push(drained(o));
    if (waits.length) await Promise.all(waits);
    const err = broken();
    if (err) throw err;
  };
  try {
    for await (const c of src) {
      parts.push(c as Buffer);
      size += (c as Buffer).length;
      if (size >= TEE_CHUNK) await flush();
    }
    if (size) await flush();
  } catch (err) {
    for (const o of outs) o.destroy(err as Error);
    src.destroy();
    throw err;
  }
  for (const o of outs) o.end();
}
const TEE_CHUNK = 1 << 20;

async function recordSources(host: PullHost, repo: Reference, layers: Descriptor[], diffIds: Digest[]): Promise<void> {
  for (let i = 0; i < layers.length; i++) {
    const l = layers[i]!;
    await host.recordSource(diffIds[i]!, { digest: l.digest, mediaType: l.mediaType, size: l.size, domain: repo.domain, path: repo.path });
  }
}
