// The registry's filesystem storage (layout in docs/registry.md). Blobs become visible only by rename after
// their digest was checked and their bytes fsynced, so a crash mid-upload leaves at most an upload directory.
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, open, unlink } from 'node:fs/promises';
import { createHash, randomUUID, type Hash } from 'node:crypto';
import { join, dirname } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { writeFileAtomic, fsyncDir, KeyedMutex, errnoCode, pathExists } from '../base/index.js';
import { RegistryError } from './errors.js';
import { TAG_RE, DIGEST_RE } from './names.js';

export type { Digest } from '../oci/index.js';
import { MediaTypes, type Digest } from '../oci/index.js';

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}

/** The manifest media types the registry stores (from oci's MediaTypes). */
export const MT = {
  dockerManifest: MediaTypes.dockerManifest,
  dockerList: MediaTypes.dockerManifestList,
  ociManifest: MediaTypes.ociManifest,
  ociIndex: MediaTypes.ociIndex,
} as const;
const MANIFEST_TYPES: string[] = Object.values(MT);

interface UploadState { hash: Hash; size: number }

const hexOf = (d: string): string => d.slice('sha256:'.length);

async function listDir(p: string): Promise<string[]> {
  try {
    return await readdir(p);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') return [];
    throw err;
  }
}

export interface ParsedManifest {
  mediaType: string;
  /** Blobs the manifest needs in the repository (config, layers). */
  blobs: string[];
  /** Manifests an index needs in the repository. */
  manifests: string[];
  subject?: Descriptor;
  artifactType?: string;
  annotations?: Record<string, string>;
}

/** Validates a manifest body against its content type; throws MANIFEST_INVALID. */
export function parseManifest(body: Buffer, contentType: string | undefined): ParsedManifest {
  let m: Record<string, unknown>;
  try {
    m = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new RegistryError('MANIFEST_INVALID', 'manifest invalid', 'invalid JSON');
  }
  if (!m || typeof m !== 'object' || Array.isArray(m)) throw new RegistryError('MANIFEST_INVALID', 'manifest invalid', 'not a JSON object');
  const ct = (contentType ?? '').split(';')[0]!.trim();
  const declared = typeof m.mediaType === 'string' ? m.mediaType : undefined;
  let mediaType = declared ?? (MANIFEST_TYPES.includes(ct) ? ct : undefined);
  if (!mediaType) mediaType = Array.isArray(m.manifests) ? MT.ociIndex : MT.ociManifest;
  if (declared && MANIFEST_TYPES.includes(ct) && ct !== declared) {
    throw new RegistryError('MANIFEST_INVALID', 'manifest invalid', `mediaType ${declared} does not match Content-Type ${ct}`);
  }
  if (!MANIFEST_TYPES.includes(mediaType)) throw new RegistryError('MANIFEST_INVALID', 'manifest invalid', `unsupported manifest media type ${mediaType}`);
  if (m.schemaVersion !== 2) throw new RegistryError('MANIFEST_INVALID', 'manifest invalid', 'schemaVersion must be 2');
  const desc = (x: unknown, what: string): Descriptor => {
    const d = x as Descriptor;
    if (!d || typeof d !== 'object' || typeof d.digest !== 'string' || !DIGEST_RE.test(d.digest) || typeof d.size !== 'number') {
      throw new RegistryError('MANIFEST_INVALID', 'manifest invalid', `invalid descriptor in ${what}`);
    }
    return d;
  };
  const out: ParsedManifest = { mediaType, blobs: [], manifests: [] };
  if (mediaType === MT.ociIndex || mediaType === MT.dockerList) {
    if (!Array.isArray(m.manifests)) throw new RegistryError('MANIFEST_INVALID', 'manifest invalid', 'manifests missing');
    for (const x of m.manifests) out.manifests.push(desc(x, 'manifests').digest);
  } else {
    out.blobs.push(desc(m.config, 'config').digest);
    if (!Array.isArray(m.layers)) throw new RegistryError('MANIFEST_INVALID', 'manifest invalid', 'layers missing');
    for (const x of m.layers) {
      const d = desc(x, 'layers') as Descriptor & { urls?: unknown };
      // Foreign layers (urls) need not be in the registry.
      if (!Array.isArray(d.urls) || d.urls.length === 0) out.blobs.push(d.digest);
    }
  }
  if (m.subject !== undefined) out.subject = desc(m.subject, 'subject');
  if (typeof m.artifactType === 'string') out.artifactType = m.artifactType;
  else if (mediaType === MT.ociManifest) out.artifactType = (m.config as Descriptor).mediaType;
  if (m.annotations && typeof m.annotations === 'object') out.annotations = m.annotations as Record<string, string>;
  return out;
}

export class RegistryStorage {
  private readonly uploads = new Map<string, UploadState>();
  private readonly locks = new KeyedMutex();

  constructor(readonly root: string) {}

  // ---- paths
  blobPath(d: string): string { const h = hexOf(d); return join(this.root, 'blobs', 'sha256', h.slice(0, 2), h); }
  private repoDir(name: string): string { return join(this.root, 'repositories', name); }
  private layerLink(name: string, d: string): string { return join(this.repoDir(name), '_layers', 'sha256', hexOf(d)); }
  private revisionLink(name: string, d: string): string { return join(this.repoDir(name), '_manifests', 'revisions', 'sha256', hexOf(d)); }
  private tagDir(name: string, tag?: string): string { return join(this.repoDir(name), '_manifests', 'tags', ...(tag ? [tag] : [])); }
  private referrersDir(name: string, subject: string): string { return join(this.repoDir(name), '_referrers', 'sha256', hexOf(subject)); }
  private uploadDir(uuid: string): string { return join(this.root, '_uploads', uuid); }

  async init(): Promise<void> {
    for (const d of ['blobs/sha256', 'repositories', '_uploads']) await mkdir(join(this.root, d), { recursive: true });
  }

  // ---- blobs
  async blobSize(d: string): Promise<number | undefined> {
    try {
      return (await stat(this.blobPath(d))).size;
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return undefined;
      throw err;
    }
  }

  /** The blob's size when it is linked into `name` and present; undefined otherwise. */
  async repoBlobSize(name: string, d: string): Promise<number | undefined> {
    if (!(await pathExists(this.layerLink(name, d))) && !(await pathExists(this.revisionLink(name, d)))) return undefined;
    return this.blobSize(d);
  }

  openBlob(d: string, range?: { start: number; end: number }): Readable {
    return createReadStream(this.blobPath(d), range ? { start: range.start, end: range.end } : {});
  }

  private async link(path: string, d: string): Promise<void> {
    if (await pathExists(path)) return;
    await writeFileAtomic(path, d);
  }

  async linkBlob(name: string, d: string): Promise<void> {
    await this.link(this.layerLink(name, d), d);
  }

  /** Removes the blob from the repository (the bytes go at the next gc). False when it was not linked. */
  async unlinkBlob(name: string, d: string): Promise<boolean> {
    try {
      await unlink(this.layerLink(name, d));
      return true;
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return false;
      throw err;
    }
  }

  /** Links `from`'s blob into `name`; false when `from` does not hold it. */
  async mount(name: string, from: string, d: string): Promise<boolean> {
    if ((await this.repoBlobSize(from, d)) === undefined) return false;
    await this.linkBlob(name, d);
    return true;
  }

  /** Moves a verified, fsynced file into the blob store (atomic rename; an existing blob is the same bytes). */
  private async commitBlob(tmpFile: string, d: string): Promise<void> {
    const dest = this.blobPath(d);
    await mkdir(dirname(dest), { recursive: true });
    if (await pathExists(dest)) {
      await rm(tmpFile, { force: true });
      return;
    }
    await rename(tmpFile, dest);
    await fsyncDir(dirname(dest));
  }

  // ---- uploads
  async startUpload(name: string): Promise<string> {
    const uuid = randomUUID();
    const dir = this.uploadDir(uuid);
    await mkdir(dir, { recursive: true });
    await writeFileAtomic(join(dir, 'info.json'), JSON.stringify({ name, startedAt: new Date().toISOString() }));
    await (await open(join(dir, 'data'), 'w')).close();
    this.uploads.set(uuid, { hash: createHash('sha256'), size: 0 });
    return uuid;
  }

  /** The upload's current size; BLOB_UPLOAD_UNKNOWN when it does not exist or belongs to another repository. */
  async uploadSize(name: string, uuid: string): Promise<number> {
    if (!/^[a-f0-9-]{36}$/.test(uuid)) throw new RegistryError('BLOB_UPLOAD_UNKNOWN');
    let info: { name?: string };
    try {
      info = JSON.parse(await readFile(join(this.uploadDir(uuid), 'info.json'), 'utf8')) as { name?: string };
    } catch {
      throw new RegistryError('BLOB_UPLOAD_UNKNOWN');
    }
    if (info.name !== name) throw new RegistryError('BLOB_UPLOAD_UNKNOWN');
    return (await stat(join(this.uploadDir(uuid), 'data'))).size;
  }

  /**
   * Appends `body` to the upload, hashing as it writes. `start` (from Content-Range) must equal the current size
   * (416 BLOB_UPLOAD_INVALID otherwise); `length` (Content-Length) must match what arrived (SIZE_INVALID otherwise).
   */
  async appendUpload(name: string, uuid: string, body: Readable, start?: number, length?: number): Promise<number> {
    return this.locks.run(uuid, async () => {
      const size = await this.uploadSize(name, uuid);
      if (start !== undefined && start !== size) throw new RegistryError('BLOB_UPLOAD_INVALID', `range start ${start} does not match upload size ${size}`, undefined, 416);
      let st = this.uploads.get(uuid);
      if (!st || st.size !== size) st = await this.rehash(uuid);
      const state = st;
      let n = 0;
      const hasher = new Transform({
        transform(chunk: Buffer, _enc, cb) { n += chunk.length; state.hash.update(chunk); cb(null, chunk); },
      });
      const dataPath = join(this.uploadDir(uuid), 'data');
      try {
        await pipeline(body, hasher, createWriteStream(dataPath, { flags: 'a' }));
      } catch (err) {
        // A broken body leaves a partial append: the hash state is now unknown, rebuild it next time.
        this.uploads.delete(uuid);
        throw err;
      }
      state.size += n;
      if (length !== undefined && n !== length) {
        this.uploads.delete(uuid);
        throw new RegistryError('SIZE_INVALID', `received ${n} bytes, Content-Length was ${length}`);
      }
      return state.size;
    });
  }

  /** Rebuilds the hash state of an upload from its data file (after a restart). */
  private async rehash(uuid: string): Promise<UploadState> {
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of createReadStream(join(this.uploadDir(uuid), 'data'))) {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
    const st = { hash, size };
    this.uploads.set(uuid, st);
    return st;
  }

  /** Completes the upload: checks the digest, fsyncs, renames into the store, links into `name`. */
  async finishUpload(name: string, uuid: string, d: Digest): Promise<number> {
    return this.locks.run(uuid, async () => {
      await this.uploadSize(name, uuid);
      const dir = this.uploadDir(uuid);
      const dataPath = join(dir, 'data');
      let st = this.uploads.get(uuid);
      const size = (await stat(dataPath)).size;
      if (!st || st.size !== size) st = await this.rehash(uuid);
      const actual = `sha256:${st.hash.copy().digest('hex')}`;
      if (actual !== d) {
        await this.cancelUpload(uuid);
        throw new RegistryError('DIGEST_INVALID', 'provided digest did not match uploaded content', { expected: d, actual });
      }
      const fh = await open(dataPath, 'r+');
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
      await this.commitBlob(dataPath, d);
      await this.linkBlob(name, d);
      await this.cancelUpload(uuid);
      return size;
    });
  }

  async cancelUpload(uuid: string): Promise<void> {
    this.uploads.delete(uuid);
    await rm(this.uploadDir(uuid), { recursive: true, force: true });
  }

  // ---- manifests
  /** Resolves a tag or digest to the manifest digest held by `name`; undefined when unknown. */
  async resolve(name: string, reference: string): Promise<Digest | undefined> {
    if (DIGEST_RE.test(reference)) return (await pathExists(this.revisionLink(name, reference))) ? (reference as Digest) : undefined;
    if (!TAG_RE.test(reference)) throw new RegistryError('MANIFEST_INVALID', 'invalid tag', { tag: reference });
    try {
      const d = (await readFile(join(this.tagDir(name, reference), 'current'), 'utf8')).trim();
      return DIGEST_RE.test(d) && (await pathExists(this.revisionLink(name, d))) ? (d as Digest) : undefined;
    } catch (err) {
      if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') return undefined;
      throw err;
    }
  }

  async getManifest(name: string, reference: string): Promise<{ digest: Digest; body: Buffer; mediaType: string } | undefined> {
    const d = await this.resolve(name, reference);
    if (!d) return undefined;
    let body: Buffer;
    let mediaType: string;
    try {
      body = await readFile(this.blobPath(d));
      mediaType = (JSON.parse(await readFile(this.revisionLink(name, d), 'utf8')) as { mediaType: string }).mediaType;
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return undefined;
      throw err;
    }
    return { digest: d, body, mediaType };
  }

  /** Stores a manifest (already parsed and checked) and tags it when `tag` is given. */
  async putManifest(name: string, body: Buffer, parsed: ParsedManifest, d: Digest, tag?: string): Promise<void> {
    if (!(await pathExists(this.blobPath(d)))) {
      const dest = this.blobPath(d);
      await writeFileAtomic(dest, body);
    }
    const rev = this.revisionLink(name, d);
    if (!(await pathExists(rev))) await writeFileAtomic(rev, JSON.stringify({ digest: d, mediaType: parsed.mediaType }));
    if (parsed.subject) {
      const desc: Descriptor = { mediaType: parsed.mediaType, digest: d, size: body.length };
      if (parsed.artifactType) desc.artifactType = parsed.artifactType;
      if (parsed.annotations) desc.annotations = parsed.annotations;
      await writeFileAtomic(join(this.referrersDir(name, parsed.subject.digest), hexOf(d)), JSON.stringify(desc));
    }
    if (tag) await writeFileAtomic(join(this.tagDir(name, tag), 'current'), d);
  }

  /** Deletes a manifest revision with every tag pointing at it and its referrers entry. False when unknown. */
  async deleteManifest(name: string, d: Digest): Promise<boolean> {
    const m = await this.getManifest(name, d);
    if (!m) return false;
    for (const tag of await this.tags(name)) {
      if ((await this.resolve(name, tag)) === d) await rm(this.tagDir(name, tag), { recursive: true, force: true });
    }
    try {
      const p = parseManifest(m.body, m.mediaType);
      if (p.subject) await rm(join(this.referrersDir(name, p.subject.digest), hexOf(d)), { force: true });
    } catch {
      // An unparsable stored manifest has no referrers entry.
    }
    await rm(this.revisionLink(name, d), { force: true });
    return true;
  }

  async deleteTag(name: string, tag: string): Promise<boolean> {
    if (!(await this.resolve(name, tag))) return false;
    await rm(this.tagDir(name, tag), { recursive: true, force: true });
    return true;
  }

  async repoExists(name: string): Promise<boolean> {
    return pathExists(this.repoDir(name));
  }

  async tags(name: string): Promise<string[]> {
    const out: string[] = [];
    for (const t of await listDir(this.tagDir(name))) if (await pathExists(join(this.tagDir(name, t), 'current'))) out.push(t);
    return out.sort();
  }

  /** Every repository name (directories holding `_manifests` or `_layers`), sorted. */
  async catalog(): Promise<string[]> {
    const out: string[] = [];
    const walk = async (rel: string): Promise<void> => {
      const entries = await listDir(join(this.root, 'repositories', rel));
      if (entries.includes('_manifests') || entries.includes('_layers')) out.push(rel);
      for (const e of entries) if (!e.startsWith('_') && !e.startsWith('.')) await walk(rel ? `${rel}/${e}` : e);
    };
    await walk('');
    return out.sort();
  }

  async referrers(name: string, subject: Digest): Promise<Descriptor[]> {
    const dir = this.referrersDir(name, subject);
    const out: Descriptor[] = [];
    for (const f of (await listDir(dir)).sort()) {
      if (f.startsWith('.')) continue;
      try {
        const desc = JSON.parse(await readFile(join(dir, f), 'utf8')) as Descriptor;
        if (await pathExists(this.revisionLink(name, desc.digest))) out.push(desc);
      } catch (err) {
        if (errnoCode(err) !== 'ENOENT') throw err;
      }
    }
    return out;
  }

  /** Every manifest revision of `name`. */
  async revisions(name: string): Promise<Digest[]> {
    const dir = join(this.repoDir(name), '_manifests', 'revisions', 'sha256');
    return (await listDir(dir)).filter((h) => /^[a-f0-9]{64}$/.test(h)).map((h) => `sha256:${h}` as Digest);
  }

  /**
   * Mark and sweep: every blob referenced by a manifest revision of any repository (the manifest itself, its
   * config and layers) is kept; the rest, and the repository links to it, are removed. Stale uploads
   * (older than `uploadMaxAgeMs`) go too.
   */
  async gc(opts: { dryRun?: boolean; uploadMaxAgeMs?: number } = {}): Promise<{ removed: string[]; kept: number }> {
    const marked = new Set<string>();
    const repos = await this.catalog();
    for (const name of repos) {
      for (const d of await this.revisions(name)) {
        marked.add(d);
        try {
          const p = parseManifest(await readFile(this.blobPath(d)), undefined);
          for (const b of p.blobs) marked.add(b);
        } catch (err) {
          if (errnoCode(err) !== 'ENOENT' && !(err instanceof RegistryError)) throw err;
        }
      }
    }
    const removed: string[] = [];
    let kept = 0;
    const base = join(this.root, 'blobs', 'sha256');
    for (const pre of await listDir(base)) {
      for (const h of await listDir(join(base, pre))) {
        if (!/^[a-f0-9]{64}$/.test(h)) continue;
        const d = `sha256:${h}`;
        if (marked.has(d)) { kept++; continue; }
        removed.push(d);
        if (!opts.dryRun) await rm(join(base, pre, h), { force: true });
      }
    }
    if (!opts.dryRun) {
      const gone = new Set(removed);
      for (const name of repos) {
        const dir = join(this.repoDir(name), '_layers', 'sha256');
        for (const h of await listDir(dir)) if (gone.has(`sha256:${h}`)) await rm(join(dir, h), { force: true });
      }
      const maxAge = opts.uploadMaxAgeMs ?? 24 * 3600_000;
      const up = join(this.root, '_uploads');
      for (const u of await listDir(up)) {
        const s = await stat(join(up, u)).catch(() => undefined);
        if (s && Date.now() - s.mtimeMs > maxAge) await rm(join(up, u), { recursive: true, force: true });
      }
    }
    return { removed, kept };
  }
}
