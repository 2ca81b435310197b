import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, realpath, rm, stat } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import {
  InvalidArgumentError, NotFoundError, errnoCode, formatPlatform, pathExists, hostArchitecture, platformMatches, type PlatformSpec,
} from '../base/index.js';
import {
  Digester, MediaTypes, childChainId, digestOf, familiarString, isDigest, parseNormalizedNamed, shortId, withDefaultTag,
  type Digest, type ImageConfig, type Reference,
} from '../oci/index.js';
import { decompressStream, tarExtract } from '../archive/index.js';
import type { ImageService } from './service.js';
import { LOAD_TMP_DIR } from './load-tmp.js';
import { progressOf, type Progress } from './pull.js';

/**
 * `docker load`: accepts what `docker save` (old and 25+), `podman save` (docker-archive and oci-archive) and
 * skopeo write: a docker-archive (manifest.json with Config/RepoTags/Layers; layers as `<id>/layer.tar`, possibly
 * symlinked, or `blobs/sha256/<hex>`, compressed or not) or an OCI image layout (index.json → manifests, indexes
 * resolved to linux/<host arch>). The archive (optionally gzip/bzip2/xz/zstd compressed) is unpacked with GNU tar
 * into a private temporary directory under the data root, then every image is registered atomically in the
 * store order (layer blob → unpacked layer → config blob → meta → tags); an image that fails halfway leaves
 * nothing visible and its new blobs and layers are dropped.
 */

const MAX_JSON = 8 << 20;
const OCI_INDEX: string = MediaTypes.ociIndex;
const DOCKER_LIST: string = MediaTypes.dockerManifestList;

interface LoadItem {
  configPath: string;
  layers: Array<{ path: string; digest?: Digest }>;
  configDigest?: Digest;
  tags: Reference[];
}

/** Resolves `rel` inside `dir` (following symlinks) and refuses anything that leaves it. */
async function inside(dir: string, rel: string): Promise<string> {
  if (typeof rel !== 'string' || rel === '') throw new InvalidArgumentError('invalid archive: empty path in manifest');
  const p = resolve(dir, rel);
  if (!p.startsWith(dir + sep)) throw new InvalidArgumentError(`invalid archive: path ${JSON.stringify(rel)} leaves the archive`);
  let real: string;
  try {
    real = await realpath(p);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') throw new InvalidArgumentError(`invalid archive: ${rel} is missing`);
    throw err;
  }
  if (!real.startsWith(dir + sep)) throw new InvalidArgumentError(`invalid archive: path ${JSON.stringify(rel)} leaves the archive`);
  return real;
}

async function readSmall(path: string, what: string): Promise<Buffer> {
  const st = await stat(path);
  if (!st.isFile()) throw new InvalidArgumentError(`invalid archive: ${what} is not a file`);
  if (st.size > MAX_JSON) throw new InvalidArgumentError(`invalid archive: ${what} is too large`);
  return readFile(path);
}

function parseJson<T>(buf: Buffer, what: string): T {
  try {
    return JSON.parse(buf.toString('utf8')) as T;
  } catch {
    throw new InvalidArgumentError(`invalid archive: ${what} is not valid JSON`);
  }
}

function parseTag(s: unknown): Reference | undefined {
  if (typeof s !== 'string') return undefined;
  try {
    const r = parseNormalizedNamed(s);
    return r.digest !== undefined && r.tag === undefined ? undefined : withDefaultTag(r);
  } catch {
    return undefined;
  }
}

/** docker-archive: manifest.json. */
async function dockerArchiveItems(dir: string): Promise<LoadItem[]> {
  const list = parseJson<unknown>(await readSmall(join(dir, 'manifest.json'), 'manifest.json'), 'manifest.json');
  if (!Array.isArray(list)) throw new InvalidArgumentError('invalid archive: manifest.json is not a list');
  const items: LoadItem[] = [];
  for (const e of list as Array<{ Config?: unknown; RepoTags?: unknown; Layers?: unknown }>) {
    if (typeof e?.Config !== 'string' || !Array.isArray(e.Layers)) throw new InvalidArgumentError('invalid archive: malformed manifest.json entry');
    const tags: Reference[] = [];
    for (const t of Array.isArray(e.RepoTags) ? e.RepoTags : []) {
      const r = parseTag(t);
      if (!r || r.tag === undefined) throw new InvalidArgumentError(`invalid archive: invalid tag ${JSON.stringify(t)}`);
      tags.push(r);
    }
    items.push({
      configPath: await inside(dir, e.Config),
      layers: await Promise.all((e.Layers as unknown[]).map(async (l) => ({ path: await inside(dir, l as string) }))),
      tags,
    });
  }
  return items;
}

interface OciDescriptor {
  mediaType?: string;
  digest?: string;
  annotations?: Record<string, string>;
  platform?: { os?: string; architecture?: string; variant?: string };
}

function blobPath(dir: string, d: unknown): Promise<string> {
  if (!isDigest(d)) throw new InvalidArgumentError(`invalid archive: unsupported digest ${JSON.stringify(d)}`);
  return inside(dir, `blobs/sha256/${d.slice(7)}`);
}

async function readBlobJson<T>(dir: string, d: unknown): Promise<T> {
  const buf = await readSmall(await blobPath(dir, d), `blob ${String(d)}`);
  if (digestOf(buf) !== d) throw new InvalidArgumentError(`invalid archive: blob ${String(d)} does not match its digest`);
  return parseJson<T>(buf, `blob ${String(d)}`);
}

/** The reference an OCI index entry names: containerd's image name, else a ref.name that is a full reference. */
function ociName(a: Record<string, string> | undefined): Reference | undefined {
  const full = a?.['io.containerd.image.name'];
  if (full) return parseTag(full);
  const ref = a?.['org.opencontainers.image.ref.name'];
  if (ref && /[:/]/.test(ref)) return parseTag(ref);
  return undefined;
}

/** OCI image layout: index.json; an index gives its image for `want` (the host's platform when not given). */
async function ociItems(dir: string, want: PlatformSpec | undefined): Promise<LoadItem[]> {
  const target = want ?? { os: 'linux', architecture: hostArchitecture() };
  const index = parseJson<{ manifests?: OciDescriptor[] }>(await readSmall(join(dir, 'index.json'), 'index.json'), 'index.json');
  const items: LoadItem[] = [];
  const visit = async (desc: OciDescriptor, name: Reference | undefined, depth: number): Promise<void> => {
    if (depth > 4) throw new InvalidArgumentError('invalid archive: indexes nested too deeply');
    const doc = await readBlobJson<{ mediaType?: string; manifests?: OciDescriptor[]; config?: OciDescriptor; layers?: OciDescriptor[] }>(dir, desc.digest);
    const mt = desc.mediaType ?? doc.mediaType;
    if (mt === OCI_INDEX || mt === DOCKER_LIST || Array.isArray(doc.manifests)) {
      const ms = doc.manifests ?? [];
      const pick = ms.find((m) => m.platform && platformMatches(target, m.platform)) ?? ms.find((m) => !m.platform);
      if (!pick && want) return; // none for the platform asked for: reported when no image at all is left
      if (!pick) throw new InvalidArgumentError(`invalid archive: no image for ${formatPlatform(target)} in ${String(desc.digest)}`);
      await visit(pick, name, depth + 1);
      return;
    }
    if (!doc.config || !Array.isArray(doc.layers)) throw new InvalidArgumentError(`invalid archive: ${String(desc.digest)} is not an image manifest`);
    const configPath = await blobPath(dir, doc.config.digest);
    const existing = items.find((i) => i.configPath === configPath);
    if (existing) {
      if (name && !existing.tags.some((t) => familiarString(t) === familiarString(name))) existing.tags.push(name);
      return;
    }
    items.push({
      configPath,
      configDigest: doc.config.digest as Digest,
      layers: await Promise.all(doc.layers.map(async (l) => ({ path: await blobPath(dir, l.digest), digest: l.digest as Digest }))),
      tags: name ? [name] : [],
    });
  };
  for (const m of index.manifests ?? []) await visit(m, ociName(m.annotations), 0);
  return items;
}

/** Streams a file, verifying its digest at the end (for OCI blobs). */
function verified(path: string, expected: Digest | undefined): Readable {
  const src = createReadStream(path);
  if (!expected) return src;
  const d = new Digester();
  const tap = new Transform({
    transform(chunk: Buffer, _e: BufferEncoding, cb: TransformCallback) { d.update(chunk); cb(null, chunk); },
    flush(cb: TransformCallback) {
      const got = d.digest();
      cb(got === expected ? null : new InvalidArgumentError(`invalid archive: blob ${expected} does not match its digest (${got})`));
    },
  });
  src.on('error', (err) => tap.destroy(err));
  return src.pipe(tap);
}

/**
 * moby's progress reader: "Loading layer" messages for a layer's bytes (`total` of them) as they are read, one
 * per min(512 kB, 1 %) at most every 100 ms, and the last one.
 */
function loadingProgress(src: Readable, total: number, id: string, progress: Progress): Readable {
  const every = Math.min(512 << 10, Math.floor(total / 100));
  let n = 0;
  let last = 0;
  let lastAt = -Infinity;
  const tap = new Transform({
    transform(chunk: Buffer, _e: BufferEncoding, cb: TransformCallback) {
      n += chunk.length;
      if ((n - last > every && Date.now() - lastAt >= 100) || n === total) {
        last = n;
        lastAt = Date.now();
        progress({ status: 'Loading layer', ...progressOf(n, total), id });
      }
      cb(null, chunk);
    },
  });
  src.on('error', (err) => tap.destroy(err));
  return src.pipe(tap);
}

/** Registers one image; returns the output lines (docker's wording). */
async function loadItem(svc: ImageService, item: LoadItem, progress: Progress | undefined): Promise<string[]> {
  const configBytes = await readSmall(item.configPath, 'image config');
  const id = digestOf(configBytes);
  if (item.configDigest && item.configDigest !== id) throw new InvalidArgumentError(`invalid archive: config blob does not match its digest ${item.configDigest}`);
  const config = parseJson<ImageConfig>(configBytes, 'image config');
  const diffIds = config?.rootfs?.diff_ids;
  if (!Array.isArray(diffIds) || !diffIds.every(isDigest)) throw new InvalidArgumentError('invalid archive: image config has no valid rootfs.diff_ids');
  if (diffIds.length !== item.layers.length) {
    throw new InvalidArgumentError(`invalid archive: the manifest lists ${item.layers.length} layers but the image config ${diffIds.length}`);
  }
  return svc.exclusive(async () => {
    const newBlobs: Digest[] = [];
    const newChains: Digest[] = [];
    try {
      let parent: Digest | undefined;
      for (const [i, layer] of item.layers.entries()) {
        const diffId = diffIds[i]!;
        const chain = childChainId(parent, diffId);
        // as moby: progress for the layers not held yet, over the bytes read for them
        const present = await svc.layers.exists(chain);
        const shown = (src: Readable, size: number): Readable => (progress && !present ? loadingProgress(src, size, shortId(diffId), progress) : src);
        let fromArchive = false;
        if (!(await svc.content.has(diffId))) {
          fromArchive = true;
          const { stream } = await decompressStream(shown(verified(layer.path, layer.digest), (await stat(layer.path)).size));
          const w = await svc.content.write(stream);
          newBlobs.push(w.digest);
          if (w.digest !== diffId) throw new InvalidArgumentError(`invalid archive: layer ${i + 1} has diff ID ${w.digest}, the image config says ${diffId}`);
        }
        if (!present) {
          newChains.push(chain);
          const blob = createReadStream(svc.content.path(diffId));
          const src = fromArchive ? blob : shown(blob, (await svc.content.info(diffId)).size);
          const info = await svc.layers.apply(src, parent);
          if (info.chainId !== chain) throw new Error(`layer ${diffId} unpacked to an unexpected chain ID ${info.chainId}`);
        }
        parent = chain;
      }
      if (!(await svc.content.has(id))) {
        newBlobs.push(id);
        await svc.content.writeBytes(configBytes, { expected: id });
      }
      await svc.adoptLocked(id, config);
    } catch (err) {
      await svc.dropUnreferencedLocked(newBlobs, newChains);
      throw err;
    }
    const lines: string[] = [];
    for (const t of item.tags) {
      const prev = await svc.tagLocked(id, t);
      if (prev) lines.push(`The image ${familiarString(t)} already exists, renaming the old one with ID ${prev} to empty string`);
      lines.push(`Loaded image: ${familiarString(t)}`);
    }
    if (item.tags.length === 0) lines.push(`Loaded image ID: ${id}`);
    return lines;
  });
}

/** The images of `items` whose config is of `want` (moby skips the others); none at all is an error. */
async function ofPlatform(items: LoadItem[], want: PlatformSpec): Promise<LoadItem[]> {
  const out: LoadItem[] = [];
  for (const item of items) {
    const config = parseJson<Partial<ImageConfig> | null>(await readSmall(item.configPath, 'image config'), 'image config');
    if (config && platformMatches(want, { os: config.os ?? '', architecture: config.architecture ?? '', variant: config.variant ?? '' })) out.push(item);
  }
  if (out.length === 0) throw new NotFoundError(`no images providing the requested platform(s) found: [${formatPlatform(want)}]`);
  return out;
}

export interface LoadOptions {
  /** `docker load --platform`: only images of this platform; an OCI index gives its image for it. */
  platform?: PlatformSpec;
  /** Docker's "Loading layer" progress messages (not quiet). */
  progress?: Progress;
}

/**
 * Loads every image of the archive `body`; `onLine` gets docker's output lines as images complete. Images
 * loaded before a failure stay loaded (as docker); the failing one leaves nothing.
 */
export async function loadImages(svc: ImageService, body: Readable, dataRoot: string, onLine: (line: string) => Promise<void>, opts: LoadOptions = {}): Promise<void> {
  const tmpRoot = join(dataRoot, LOAD_TMP_DIR);
  await mkdir(tmpRoot, { recursive: true, mode: 0o700 });
  const dir = await realpath(await mkdtemp(join(tmpRoot, 'load-')));
  try {
    const { stream } = await decompressStream(body);
    await tarExtract(stream, dir, { sameOwner: false });
    let items: LoadItem[];
    const hasIndex = await pathExists(join(dir, 'index.json'));
    if (await pathExists(join(dir, 'manifest.json'))) items = await dockerArchiveItems(dir);
    else if (hasIndex) items = await ociItems(dir, opts.platform);
    else throw new InvalidArgumentError('invalid archive: it holds neither manifest.json (docker-archive) nor index.json (OCI layout)');
    if (opts.platform) {
      const want = opts.platform;
      // docker 25+ archives of multi-platform images name one platform in manifest.json, all in index.json
      items = await ofPlatform(items, want).catch(async (err: unknown) => {
        if (!hasIndex || !(await pathExists(join(dir, 'manifest.json')))) throw err;
        return ofPlatform(await ociItems(dir, want), want);
      });
    }
    if (items.length === 0) throw new InvalidArgumentError('invalid archive: no images found');
    for (const item of items) {
      for (const line of await loadItem(svc, item, opts.progress)) await onLine(line);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
