import { mkdir, readdir, rm } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  CancelledError, ConflictError, InvalidArgumentError, KeyedMutex, NotFoundError, Semaphore, UnavailableError, errorMessage, log,
  hostArchitecture, parsePlatformSpecifier, readJsonIfExists, writeJsonAtomic, type PlatformSpec,
} from '../base/index.js';
import {
  chainIds as computeChainIds, childChainId, digestHex, familiarString, isDigest, isHex64, parseNormalizedNamed, parseReference,
  shortId, validateTag, withDefaultTag, canonicalName, canonicalString, familiarName,
  type Digest, type ImageConfig, type ImageRuntimeConfig, type Reference,
} from '../oci/index.js';
import { LocalContentStore } from '../content/index.js';
import { LayerStore } from '../snapshots/index.js';
import { TarScanner, decompressStream } from '../archive/index.js';
import { applyChanges } from './changes.js';
import { childImageConfig, commitRuntimeConfig, commitTarget, type CommitOptions } from './commit.js';
import { ReferenceStore } from './refstore.js';
import { cleanLoadTemp } from './load-tmp.js';
import { DistributionMetadata } from './dist-meta.js';
import { DEFAULT_CONCURRENT_UPLOADS, pushOne } from './push.js';
import { DEFAULT_CONCURRENT_DOWNLOADS, pullOne, type PullHost, type Progress, type Registry, type RegistryCredentials } from './pull.js';
import { PullJobs } from './pull-jobs.js';
import { DEFAULT_RETRY } from './retry.js';
import { globToRegExp, parseBoolFilter, parseTimestampFilter } from './filters.js';

export interface ImageServiceOptions {
  /** The daemon's data root. */
  root: string;
  /** Image events (Docker's image event actions). */
  emit?: (e: { action: ImageAction; id: string; ref?: string }) => void;
  /** The registry client (pull/push); without it pulling is refused. */
  registry?: Registry;
  /** ID of a container using the image, if any (set by the engine). */
  usedBy?: (imageId: string) => string | undefined;
  /**
   * Whether a container returned by `usedBy` is running. Without it every user is treated as running, the safe
   * choice: an image a container uses is never deleted (forced removals by name only untag it).
   */
  isRunning?: (containerId: string) => boolean;
  /** Layers fetched and unpacked at once per pull (daemon.json `max-concurrent-downloads`, default 4). */
  maxConcurrentDownloads?: number;
  /** Layer uploads of all pushes at once (daemon.json `max-concurrent-uploads`, default 5 as dockerd). */
  maxConcurrentUploads?: number;
  /** Retries of a layer download / upload that failed transiently (daemon.json `max-download-attempts` / `max-upload-attempts`, default 5). */
  maxDownloadRetries?: number;
  maxUploadRetries?: number;
  /** The n-th retry of a layer waits n times this (daemon.json `transfer-retry-delay`, default 5000 ms as dockerd). */
  retryDelayMs?: number;
}

type ImageAction = 'import' | 'tag' | 'untag' | 'delete' | 'pull' | 'push';

export interface PullOptions {
  /** `fromImage`: a name, possibly with a tag or digest. */
  image: string;
  /** `tag`: a tag or a digest; empty with a bare name pulls every tag. */
  tag?: string;
  platform?: string;
  auth?: RegistryCredentials;
  progress?: Progress;
  /** Aborted when the client goes away. */
  signal?: AbortSignal;
}

export interface ResolvedImage {
  id: string;
  config: ImageRuntimeConfig;
  chainIds: string[];
  /** overlayfs lowerdir order, top-most first. */
  lowerDirs: string[];
}

export type DeleteRecord = { Untagged?: string; Deleted?: string };

export interface ImportOptions {
  repo?: string;
  tag?: string;
  changes?: string[];
  message?: string;
  platform?: string;
}

export interface ListOptions {
  all?: boolean;
  filters?: Record<string, string[]>;
  digests?: boolean;
}

/** Per-image metadata kept outside the (immutable) config: `image/meta/<hex>.json`. */
interface ImageMeta {
  id: Digest;
  lastTagTime?: string;
}

interface ImageRecord {
  id: Digest;
  config: ImageConfig;
  chainIds: Digest[];
  size: number;
  meta: ImageMeta;
}

const ZERO_TIME = '0001-01-01T00:00:00Z';
const MAX_CONFIG_BYTES = 8 << 20;
const LIST_FILTERS = new Set(['dangling', 'label', 'before', 'since', 'reference', 'until']);

/** Go's RFC3339Nano: trailing zeros of the fraction (and an all-zero fraction) dropped. */
export function rfc3339Nano(d: Date): string {
  return d.toISOString().replace(/\.(\d*?)0*Z$/, (_m, frac: string) => (frac ? `.${frac}Z` : 'Z'));
}

/** A platform flag (`os[/arch[/variant]]`, containerd's syntax, normalized); the host's when empty. Linux only. */
function parsePlatform(p: string | undefined): PlatformSpec {
  const spec = p ? parsePlatformSpecifier(p) : { os: 'linux', architecture: hostArchitecture() };
  if (spec.os !== 'linux') throw new InvalidArgumentError(`invalid platform "${p}": only linux platforms are supported`);
  return spec;
}

function emptyContainerConfig(): Record<string, unknown> {
  return {
    Hostname: '', Domainname: '', User: '', AttachStdin: false, AttachStdout: false, AttachStderr: false,
    Tty: false, OpenStdin: false, StdinOnce: false, Env: null, Cmd: null, Image: '', Volumes: null,
    WorkingDir: '', Entrypoint: null, OnBuild: null, Labels: null,
  };
}

/** Docker's `Config` shape of image inspect: container.Config with defaults, omitempty fields only when set. */
function dockerConfig(c: ImageRuntimeConfig): Record<string, unknown> {
  const out = emptyContainerConfig();
  if (c.User !== undefined) out['User'] = c.User;
  if (c.ExposedPorts && Object.keys(c.ExposedPorts).length) out['ExposedPorts'] = c.ExposedPorts;
  if (c.Env) out['Env'] = c.Env;
  if (c.Cmd) out['Cmd'] = c.Cmd;
  if (c.Healthcheck) out['Healthcheck'] = c.Healthcheck;
  if (c.ArgsEscaped) out['ArgsEscaped'] = c.ArgsEscaped;
  if (c.Volumes && Object.keys(c.Volumes).length) out['Volumes'] = c.Volumes;
  if (c.WorkingDir !== undefined) out['WorkingDir'] = c.WorkingDir;
  if (c.Entrypoint) out['Entrypoint'] = c.Entrypoint;
  if (c.OnBuild) out['OnBuild'] = c.OnBuild;
  if (c.Labels) out['Labels'] = c.Labels;
  if (c.StopSignal) out['StopSignal'] = c.StopSignal;
  if (c.Shell) out['Shell'] = c.Shell;
  return out;
}

/** Docker's isImageIDPrefix: the user named the image by (a prefix of) its ID. */
function isImageIdPrefix(id: string, ref: string): boolean {
  return id.startsWith(ref) || digestHex(id).startsWith(ref);
}

/**
 * The image store: `docker import`, tags, resolution, inspect/list shapes and removal. Layout under the data root:
 * content/ (blobs: uncompressed layer tars by diffID, config JSON by image ID), overlay/ (unpacked layers by
 * chain ID), image/repositories.json (canonical reference → image ID) and image/meta/<hex>.json.
 */
export class ImageService {
  readonly content: LocalContentStore;
  readonly layers: LayerStore;
  private readonly imageDir: string;
  private readonly metaDir: string;
  private readonly refs: ReferenceStore;
  private readonly images = new Map<string, ImageRecord>(); // key: hex
  private readonly mutex = new KeyedMutex();
  private readonly distMeta: DistributionMetadata;
  private readonly pullJobs = new PullJobs();
  /** Layer downloads in progress over all pulls, by diff ID: a layer two pulls need is fetched once. */
  private readonly layerDownloads = new Map<string, Promise<unknown>>();
  private pullsRunning = 0;
  private readonly pullGarbage: Array<{ blobs: Digest[]; chains: Digest[] }> = [];
  private pullSweep: Promise<void> = Promise.resolve();
  private readonly uploads: Semaphore;

  constructor(private readonly opts: ImageServiceOptions) {
    this.content = new LocalContentStore(join(opts.root, 'content'));
    this.layers = new LayerStore(join(opts.root, 'overlay'));
    this.imageDir = join(opts.root, 'image');
    this.metaDir = join(this.imageDir, 'meta');
    this.refs = new ReferenceStore(this.imageDir);
    this.distMeta = new DistributionMetadata(join(this.imageDir, 'distribution'));
    this.uploads = new Semaphore(opts.maxConcurrentUploads ?? DEFAULT_CONCURRENT_UPLOADS);
  }

  private locked<T>(fn: () => Promise<T>): Promise<T> {
    return this.mutex.run('images', fn);
  }

  private emit(action: ImageAction, id: string, ref?: string): void {
    try {
      this.opts.emit?.({ action, id, ...(ref !== undefined ? { ref } : {}) });
    } catch (err) {
      log.warn('image event handler failed', { error: errorMessage(err) });
    }
  }

  /** The daemon's data root. */
  get dataRoot(): string {
    return this.opts.root;
  }

  async init(): Promise<void> {
    await mkdir(this.metaDir, { recursive: true });
    await cleanLoadTemp(this.opts.root);
    await this.content.init();
    await this.layers.init();
    await this.refs.load();
    this.images.clear();
    for (const name of await readdir(this.metaDir)) {
      if (!name.endsWith('.json') || !isHex64(name.slice(0, -5))) continue;
      const hex = name.slice(0, -5);
      const id = `sha256:${hex}` as Digest;
      try {
        const meta = (await readJsonIfExists<ImageMeta>(join(this.metaDir, name))) ?? { id };
        const config = await this.content.readJson<ImageConfig>(id, MAX_CONFIG_BYTES);
        this.images.set(hex, await this.record(id, config, { ...meta, id }));
      } catch (err) {
        log.warn('skipping unreadable image', { id, error: errorMessage(err) });
      }
    }
    await this.refs.prune((id) => this.images.has(digestHex(id)));
    await this.collectGarbage();
  }

  /** Stores an image config (its digest is the image ID), registers the image once, and tags it. Under the lock. */
  /** Registers image `id` (its config blob already stored) unless it is known; under the lock. */
  private async register(id: Digest, config: ImageConfig): Promise<{ rec: ImageRecord; isNew: boolean }> {
    const hex = digestHex(id);
    const known = this.images.get(hex);
    if (known) return { rec: known, isNew: false };
    const meta: ImageMeta = { id };
    await writeJsonAtomic(join(this.metaDir, `${hex}.json`), meta);
    const rec = await this.record(id, config, meta);
    this.images.set(hex, rec);
    return { rec, isNew: true };
  }

  private async storeConfig(imageConfig: ImageConfig, target: Reference | undefined): Promise<Digest> {
    const id = await this.content.writeJson(imageConfig);
    const { rec } = await this.register(id, imageConfig);
    if (target) await this.addTag(rec, target);
    return id;
  }

  private async record(id: Digest, config: ImageConfig, meta: ImageMeta): Promise<ImageRecord> {
    const diffIds = config.rootfs?.diff_ids ?? [];
    if (!diffIds.every(isDigest)) throw new InvalidArgumentError(`image ${id}: invalid rootfs.diff_ids`);
    const chainIds = computeChainIds(diffIds);
    let size = 0;
    for (const c of chainIds) size += await this.layers.size(c);
    return { id, config, chainIds, size, meta };
  }

  /** Removes blobs and unpacked layers no image refers to (left by crashes between the steps of an import). */
  private async collectGarbage(): Promise<void> {
    const blobs = new Set<string>();
    const chains = new Set<string>();
    for (const img of this.images.values()) {
      blobs.add(img.id);
      for (const d of img.config.rootfs.diff_ids) blobs.add(d);
      for (const c of img.chainIds) chains.add(c);
    }
    for (const d of await this.content.list()) {
      if (!blobs.has(d)) {
        log.info('removing unreferenced blob', { digest: d });
        await this.content.delete(d);
      }
    }
    for (const c of await this.layers.list()) {
      if (!chains.has(c)) {
        log.info('removing unreferenced layer', { chainId: c });
        await this.layers.remove(c);
      }
    }
  }

  count(): number {
    return this.images.size;
  }

  // ---- resolution ----------------------------------------------------------------------------------------

  /** Docker's GetImage: name[:tag] first, then full/short ID. Missing → NotFoundError(`No such image: ...`). */
  private find(ref: string): ImageRecord {
    const byId = (hex: string): ImageRecord | undefined => this.images.get(hex);
    const byPrefix = (prefix: string): ImageRecord | undefined => {
      let found: ImageRecord | undefined;
      for (const [hex, rec] of this.images) {
        if (!hex.startsWith(prefix)) continue;
        if (found) return undefined; // ambiguous: Docker reports it as not found
        found = rec;
      }
      return found;
    };
    if (ref.startsWith('sha256:')) {
      const hex = ref.slice(7);
      if (!/^[a-f0-9]{1,64}$/.test(hex)) throw new InvalidArgumentError('invalid reference format');
      const rec = hex.length === 64 ? byId(hex) : byPrefix(hex);
      if (rec) return rec;
      throw new NotFoundError(`No such image: ${ref}`);
    }
    if (isHex64(ref)) {
      const rec = byId(ref);
      if (rec) return rec;
      throw new NotFoundError(`No such image: ${ref}`);
    }
    const named = parseReference(ref);
    const id = this.refs.get(named);
    if (id) {
      const rec = byId(digestHex(id));
      if (rec) return rec;
    }
    if (/^[a-f0-9]{1,63}$/.test(ref)) {
      const rec = byPrefix(ref);
      if (rec) return rec;
    }
    throw new NotFoundError(`No such image: ${familiarString(named)}`);
  }

  async resolve(ref: string): Promise<ResolvedImage> {
    const rec = this.find(ref);
    return {
      id: rec.id,
      config: structuredClone(rec.config.config ?? {}),
      chainIds: [...rec.chainIds],
      lowerDirs: this.layers.lowerDirs(rec.chainIds),
    };
  }

  private repoTags(id: string): string[] {
    return this.refs.referencesTo(id).filter((r) => r.tag !== undefined).map((r) => familiarString(r)).sort();
  }

  private repoDigests(id: string): string[] {
    return this.refs.referencesTo(id).filter((r) => r.digest !== undefined)
      .map((r) => `${familiarName(r)}@${r.digest}`).sort();
  }

  // ---- inspect / list ------------------------------------------------------------------------------------

  async inspect(ref: string): Promise<object> {
    const rec = this.find(ref);
    const c = rec.config;
    const top = rec.chainIds.at(-1);
    const graphData: Record<string, string> = {};
    if (top) {
      const dir = join(this.layers.root, digestHex(top));
      const lower = this.layers.lowerDirs(rec.chainIds).slice(1);
      if (lower.length) graphData['LowerDir'] = lower.join(':');
      graphData['MergedDir'] = join(dir, 'merged');
      graphData['UpperDir'] = join(dir, 'diff');
      graphData['WorkDir'] = join(dir, 'work');
    }
    const config = dockerConfig(c.config ?? {});
    return {
      Id: rec.id,
      RepoTags: this.repoTags(rec.id),
      RepoDigests: this.repoDigests(rec.id),
      Parent: '',
      Comment: c.comment ?? c.history?.at(-1)?.comment ?? '',
      Created: c.created ?? ZERO_TIME,
      ContainerConfig: structuredClone(config),
      DockerVersion: c.docker_version ?? '',
      Author: c.author ?? '',
      Config: config,
      Architecture: c.architecture,
      ...(c.variant ? { Variant: c.variant } : {}),
      Os: c.os,
      ...(c['os.version'] ? { OsVersion: c['os.version'] } : {}),
      Size: rec.size,
      GraphDriver: { Name: 'overlay2', Data: graphData },
      RootFS: { Type: 'layers', Layers: [...c.rootfs.diff_ids] },
      Metadata: { LastTagTime: rec.meta.lastTagTime ?? ZERO_TIME },
    };
  }

  private createdMs(rec: ImageRecord): number {
    const t = rec.config.created ? Date.parse(rec.config.created) : NaN;
    return Number.isFinite(t) ? t : 0;
  }

  async list(opts: ListOptions = {}): Promise<object[]> {
    const filters = opts.filters ?? {};
    for (const k of Object.keys(filters)) {
      if (!LIST_FILTERS.has(k)) throw new InvalidArgumentError(`invalid filter '${k}'`);
    }
    const preds: Array<(rec: ImageRecord, tags: Reference[]) => boolean> = [];
    const dangling = filters['dangling'] ?? [];
    if (dangling.length) {
      const vals = new Set(dangling.map((v) => parseBoolFilter('dangling', v)));
      if (vals.size === 1) {
        const want = [...vals][0]!;
        preds.push((_r, tags) => (tags.length === 0) === want);
      }
    }
    for (const l of filters['label'] ?? []) {
      const eq = l.indexOf('=');
      const key = eq < 0 ? l : l.slice(0, eq);
      const val = eq < 0 ? undefined : l.slice(eq + 1);
      preds.push((r) => {
        const labels = r.config.config?.Labels ?? {};
        return Object.hasOwn(labels, key) && (val === undefined || labels[key] === val);
      });
    }
    for (const b of filters['before'] ?? []) {
      const t = this.createdMs(this.find(b));
      preds.push((r) => this.createdMs(r) < t);
    }
    for (const s of filters['since'] ?? []) {
      const t = this.createdMs(this.find(s));
      preds.push((r) => this.createdMs(r) > t);
    }
    for (const u of filters['until'] ?? []) {
      const t = parseTimestampFilter(u);
      preds.push((r) => this.createdMs(r) < t);
    }
    const refPatterns = (filters['reference'] ?? []).map((p) => globToRegExp(p));
    const refMatches = (ref: Reference): boolean => {
      const names = [familiarString(ref), familiarName(ref), canonicalString(ref), canonicalName(ref)];
      return refPatterns.some((re) => names.some((n) => re.test(n)));
    };
    // Like moby, a reference filter also narrows RepoTags/RepoDigests to the matching references.
    const digestMatches = (d: string): boolean => refPatterns.some((re) => re.test(d) || re.test(d.slice(0, d.indexOf('@'))));
    const out: Array<{ created: number; v: object }> = [];
    for (const rec of this.images.values()) {
      const refs = this.refs.referencesTo(rec.id);
      const allTags = refs.filter((r) => r.tag !== undefined);
      if (!preds.every((p) => p(rec, allTags))) continue;
      const tags = refPatterns.length ? allTags.filter(refMatches) : allTags;
      const digests = refPatterns.length ? this.repoDigests(rec.id).filter(digestMatches) : this.repoDigests(rec.id);
      if (refPatterns.length && !tags.length && !digests.length) continue;
      const created = this.createdMs(rec);
      out.push({
        created,
        v: {
          Containers: -1,
          Created: Math.floor(created / 1000),
          Id: rec.id,
          Labels: rec.config.config?.Labels ?? {},
          ParentId: '',
          RepoDigests: digests,
          RepoTags: tags.map((r) => familiarString(r)).sort(),
          SharedSize: -1,
          Size: rec.size,
        },
      });
    }
    return out.sort((a, b) => b.created - a.created || ((a.v as { Id: string }).Id < (b.v as { Id: string }).Id ? -1 : 1)).map((x) => x.v);
  }

  // ---- import / tag ----------------------------------------------------------------------------------------

  /** `docker import`: a (possibly gzip/bzip2/xz compressed) tar becomes a one-layer image. Returns the image ID. */
  async importImage(body: Readable, opts: ImportOptions = {}): Promise<string> {
    let target: Reference | undefined;
    let config: ImageRuntimeConfig;
    let platform: PlatformSpec;
    try {
      if (opts.repo) {
        let r = parseNormalizedNamed(opts.repo);
        if (r.digest) throw new InvalidArgumentError('cannot import digest reference');
        if (opts.tag) r = { ...r, tag: validateTag(opts.tag) };
        target = withDefaultTag(r);
      }
      config = applyChanges({}, opts.changes ?? []);
      platform = parsePlatform(opts.platform);
    } catch (err) {
      body.resume(); // drain the request so the client sees the error
      throw err;
    }
    const { stream } = await decompressStream(body);
    const scanner = new TarScanner();
    const tapped = Readable.from((async function* () {
      for await (const c of stream) {
        const chunk = typeof c === 'string' ? Buffer.from(c) : (c as Buffer);
        scanner.update(chunk);
        yield chunk;
      }
    })());
    const blob = await this.content.write(tapped);
    if (!scanner.valid || scanner.entries === 0) {
      await this.locked(async () => {
        if (!this.isBlobReferenced(blob.digest)) await this.content.delete(blob.digest);
      });
      throw new InvalidArgumentError(scanner.valid ? 'the imported archive is empty' : 'the imported archive is not a valid tar file');
    }
    const diffId = blob.digest;
    const created = rfc3339Nano(new Date((scanner.maxMtime ?? 0) * 1000));
    const comment = opts.message || 'Imported from -';
    const imageConfig: ImageConfig = {
      architecture: platform.architecture,
      comment,
      config,
      created,
      history: [{ created, comment }],
      os: platform.os,
      rootfs: { type: 'layers', diff_ids: [diffId] },
      ...(platform.variant ? { variant: platform.variant } : {}),
    };

    return this.locked(async () => {
      if (!(await this.content.has(diffId))) {
        throw new UnavailableError('the imported layer was removed concurrently; retry the import');
      }
      const chainId = diffId; // a single layer: chain ID = diff ID
      if (!(await this.layers.exists(chainId))) {
        const info = await this.layers.apply(createReadStream(this.content.path(diffId)));
        if (info.diffId !== diffId) throw new Error(`layer digest changed while unpacking: ${info.diffId} != ${diffId}`);
      }
      const id = await this.storeConfig(imageConfig, target);
      this.emit('import', id, id);
      return id;
    });
  }

  /**
   * `docker commit`: a child of the container's image whose top layer is `o.layer` (the container's changes).
   * The parent's layers are shared, the new layer goes through the content store and is unpacked once like an
   * imported one; config and history follow moby's NewChildImage (see commit.ts).
   */
  async commit(o: CommitOptions): Promise<Digest> {
    let target: Reference | undefined;
    let runtime: ImageRuntimeConfig;
    let parentId: Digest;
    try {
      target = commitTarget(o.repo, o.tag);
      runtime = commitRuntimeConfig(o.containerConfig, o.changes ?? []);
      parentId = this.find(o.parent).id;
    } catch (err) {
      o.layer.resume();
      throw err;
    }
    const diffId = o.emptyLayer ? undefined : (await this.content.write(o.layer)).digest;
    if (o.emptyLayer) o.layer.resume();
    const created = rfc3339Nano(new Date());
    return this.locked(async () => {
      try {
        return await this.commitLocked(o, { parentId, diffId, runtime, created, target });
      } catch (err) {
        if (diffId && !this.isBlobReferenced(diffId)) await this.content.delete(diffId);
        throw err;
      }
    });
  }

  private async commitLocked(o: CommitOptions, p: { parentId: Digest; diffId: Digest | undefined; runtime: ImageRuntimeConfig; created: string; target: Reference | undefined }): Promise<Digest> {
    const { parentId, diffId, runtime, created, target } = p;
    const parent = this.images.get(digestHex(parentId));
    if (!parent) throw new NotFoundError(`No such image: ${parentId}`);
    if (diffId) {
      const chainParent = parent.chainIds.at(-1);
      const chainId = childChainId(chainParent, diffId);
      if (!(await this.layers.exists(chainId))) {
        const info = await this.layers.apply(createReadStream(this.content.path(diffId)), chainParent);
        if (info.diffId !== diffId) throw new Error(`layer digest changed while unpacking: ${info.diffId} != ${diffId}`);
      }
    }
    const imageConfig = childImageConfig(parent.config, {
      runtime, diffId, created, createdBy: (o.containerConfig.Cmd ?? []).join(' '),
      ...(o.author ? { author: o.author } : {}), ...(o.comment ? { comment: o.comment } : {}),
    });
    const id = await this.storeConfig(imageConfig, target);
    return id;
  }

  private isBlobReferenced(digest: string): boolean {
    for (const img of this.images.values()) {
      if (img.id === digest || img.config.rootfs.diff_ids.includes(digest as Digest)) return true;
    }
    return false;
  }

  private async addTag(rec: ImageRecord, ref: Reference): Promise<void> {
    await this.refs.set(ref, rec.id);
    rec.meta = { ...rec.meta, lastTagTime: rfc3339Nano(new Date()) };
    await writeJsonAtomic(join(this.metaDir, `${digestHex(rec.id)}.json`), rec.meta);
    this.emit('tag', rec.id, familiarString(ref));
  }

  /** `docker tag`: `repo` may be familiar or fully qualified, and may carry the tag itself. */
  async tag(ref: string, repo: string, tag?: string): Promise<void> {
    let target = parseNormalizedNamed(repo);
    if (tag) target = { ...target, tag: validateTag(tag) };
    if (target.digest) throw new InvalidArgumentError('refusing to create a tag with a digest reference');
    target = withDefaultTag(target);
    await this.locked(async () => {
      const rec = this.find(ref);
      await this.addTag(rec, target);
    });
  }

  // ---- pull ------------------------------------------------------------------------------------------------

  /**
   * `docker pull` (POST /images/create?fromImage=&tag=): one tag or digest, or every tag of a bare name with an
   * empty `tag`. Progress goes to `o.progress` as Docker's JSON messages. Identical concurrent pulls share one job
   * (pull-jobs.ts); when `o.signal` aborts (the client went away) this call ends, and the pull itself stops, its
   * registry requests aborted and what it added dropped, once no other client waits for it.
   */
  async pull(o: PullOptions): Promise<void> {
    const registry = this.opts.registry;
    if (!registry) throw new UnavailableError('pulling is not configured');
    let ref = parseNormalizedNamed(o.image);
    if (o.tag) {
      ref = isDigest(o.tag) ? { domain: ref.domain, path: ref.path, digest: o.tag } : { domain: ref.domain, path: ref.path, tag: validateTag(o.tag) };
    }
    const platform = parsePlatform(o.platform);
    const auth = o.auth ?? {};
    const key = JSON.stringify([canonicalName(ref), ref.tag ?? null, ref.digest ?? null, platform, createHash('sha256').update(JSON.stringify(auth)).digest('hex')]);
    const progress: Progress = o.progress ?? (() => undefined);
    await this.pullJobs.run(key, (signal, p) => this.pullNow(registry, ref, platform, auth, p, signal), progress, o.signal);
  }

  private async pullNow(registry: Registry, ref: Reference, platform: PlatformSpec, auth: RegistryCredentials, progress: Progress, signal: AbortSignal): Promise<void> {
    this.pullsRunning++;
    try {
      await this.pullSweep; // a sweep of failed pulls' leftovers finishes before this pull looks at the stores
      const session = registry.session({ domain: ref.domain, path: ref.path }, auth, 'pull', signal);
      const allTags = ref.tag === undefined && ref.digest === undefined;
      const tags = allTags ? (await session.listTags()).sort() : [];
      if (allTags && !tags.length) throw new NotFoundError(`no tags found for ${familiarName(ref)}`);
      const targets: Reference[] = allTags ? tags.map((t) => ({ domain: ref.domain, path: ref.path, tag: t })) : [ref];
      let anyNew = false;
      for (const target of targets) {
        const reference = target.digest ?? target.tag!;
        const host: PullHost = {
          content: this.content,
          layers: this.layers,
          hasImage: (id) => this.images.has(digestHex(id)),
          register: (config, id, _refs) => this.registerPulled(config, id),
          discard: async (blobs, chains) => { this.pullGarbage.push({ blobs, chains }); },
          recordSource: (diffId, src) => this.distMeta.add(diffId, src),
          concurrency: this.opts.maxConcurrentDownloads ?? DEFAULT_CONCURRENT_DOWNLOADS,
          downloads: this.layerDownloads,
          retry: { retries: this.opts.maxDownloadRetries ?? DEFAULT_RETRY.retries, delayMs: this.opts.retryDelayMs ?? DEFAULT_RETRY.delayMs },
        };
        const r = await pullOne(host, session, target, reference, platform, progress, signal);
        // Like moby: "Downloaded newer image" when the reference did not point at this image before (a new image,
        // or one held under other names only), "Image is up to date" when it did.
        let updated = r.isNew;
        await this.locked(async () => {
          const rec = this.images.get(digestHex(r.id));
          if (!rec) throw new NotFoundError(`No such image: ${r.id}`);
          if (this.refs.get(target) !== rec.id) updated = true;
          if (target.tag !== undefined) await this.addTag(rec, target);
          await this.refs.set({ domain: target.domain, path: target.path, digest: r.manifestDigest }, rec.id);
        });
        anyNew ||= updated;
        progress({ status: `Digest: ${r.manifestDigest}` });
        this.emit('pull', familiarString(target), familiarName(target));
        if (!allTags) {
          progress({ status: updated ? `Status: Downloaded newer image for ${familiarString(target)}` : `Status: Image is up to date for ${familiarString(target)}` });
        }
      }
      if (allTags) progress({ status: anyNew ? `Status: Downloaded newer image for ${familiarName(ref)}` : `Status: Image is up to date for ${familiarName(ref)}` });
    } catch (err) {
      if (signal.aborted) throw new CancelledError('context canceled', { cause: err });
      throw err;
    } finally {
      // What failed pulls added and no image uses goes once no pull runs: another pull may have found a blob or
      // layer of a failed one present meanwhile and be about to use it.
      if (--this.pullsRunning === 0 && this.pullGarbage.length) {
        this.pullSweep = this.sweepPullGarbage().catch((err: unknown) => log.warn('removing what failed pulls left failed', { error: errorMessage(err) }));
        await this.pullSweep;
      }
    }
  }

  /**
   * `docker push` (POST /images/{name}/push?tag=): one tag, or every tag of `name` when `tag` is empty. Only blobs
   * the registry lacks are uploaded (HEAD first, cross-repository mounts on the same registry). When `o.signal`
   * aborts (the client went away) the push stops: its registry requests end, open upload sessions are deleted.
   */
  async push(o: { name: string; tag?: string; auth?: RegistryCredentials; progress?: Progress; signal?: AbortSignal }): Promise<void> {
    const registry = this.opts.registry;
    if (!registry) throw new UnavailableError('pushing is not configured');
    const progress: Progress = o.progress ?? (() => undefined);
    let ref = parseNormalizedNamed(o.name);
    if (o.tag) ref = { domain: ref.domain, path: ref.path, tag: validateTag(o.tag) };
    const name = canonicalName(ref);
    let targets: Reference[];
    if (ref.tag !== undefined) {
      if (!this.refs.get(ref)) throw new NotFoundError(`An image does not exist locally with the tag: ${familiarName(ref)}`);
      targets = [ref];
    } else {
      targets = [];
      for (const rec of this.images.values()) {
        for (const r of this.refs.referencesTo(rec.id)) if (r.tag !== undefined && canonicalName(r) === name) targets.push(r);
      }
      targets.sort((a, b) => (a.tag! < b.tag! ? -1 : 1));
      if (!targets.length) throw new NotFoundError(`An image does not exist locally with the tag: ${familiarName(ref)}`);
    }
    progress({ status: `The push refers to repository [${familiarName(ref)}]` });
    const { signal } = o;
    const session = registry.session({ domain: ref.domain, path: ref.path }, o.auth ?? {}, 'pull,push', signal);
    try {
      for (const t of targets) {
        signal?.throwIfAborted();
        const rec = this.find(familiarString(t));
        const retry = { retries: this.opts.maxUploadRetries ?? DEFAULT_RETRY.retries, delayMs: this.opts.retryDelayMs ?? DEFAULT_RETRY.delayMs };
        const r = await pushOne({ content: this.content, meta: this.distMeta, uploads: this.uploads, retry }, session, t, rec.id, rec.config, progress, signal);
        progress({ status: `${t.tag}: digest: ${r.digest} size: ${r.size}` });
        progress({ progressDetail: {}, aux: { Tag: t.tag, Digest: r.digest, Size: r.size } });
        await this.locked(async () => { await this.refs.set({ domain: t.domain, path: t.path, digest: r.digest }, rec.id); });
        this.emit('push', familiarString(t), familiarName(t));
      }
    } catch (err) {
      if (signal?.aborted) throw new CancelledError('context canceled', { cause: err });
      throw err;
    }
  }

  /** POST /auth: checks the credentials against the registry of `serveraddress` (Docker Hub when empty). */
  async login(auth: RegistryCredentials): Promise<void> {
    const registry = this.opts.registry;
    if (!registry) throw new UnavailableError('registry access is not configured');
    let server = (auth.serveraddress ?? '').replace(/^https?:\/\//, '').replace(/\/.*$/, '');
    if (server === '' || server === 'index.docker.io' || server === 'registry-1.docker.io') server = 'docker.io';
    await registry.checkLogin(server, auth);
  }

  private async registerPulled(config: Buffer, id: Digest): Promise<{ isNew: boolean }> {
    return this.locked(async () => {
      if (this.images.has(digestHex(id))) return { isNew: false };
      const parsed = JSON.parse(config.toString('utf8')) as ImageConfig;
      if (!(await this.content.has(id))) await this.content.writeBytes(config, { expected: id });
      return { isNew: (await this.register(id, parsed)).isNew };
    });
  }

  /** Drops what failed pulls left (while no pull runs): blobs and layers that no image refers to. */
  private async sweepPullGarbage(): Promise<void> {
    await this.locked(async () => {
      const garbage = this.pullGarbage.splice(0);
      const used = new Set<string>();
      for (const img of this.images.values()) for (const c of img.chainIds) used.add(c);
      for (const { chains } of garbage) for (const c of [...chains].reverse()) if (!used.has(c)) await this.layers.remove(c);
      for (const { blobs } of garbage) for (const b of blobs) if (!this.isBlobReferenced(b)) await this.content.delete(b);
    });
  }

  // ---- removal ---------------------------------------------------------------------------------------------

  async remove(ref: string, opts: { force?: boolean; noprune?: boolean } = {}): Promise<DeleteRecord[]> {
    const force = !!opts.force;
    return this.locked(async () => {
      const rec = this.find(ref);
      const id = rec.id;
      const records: DeleteRecord[] = [];
      const user = this.opts.usedBy?.(id);
      const running = user !== undefined && (this.opts.isRunning ? this.opts.isRunning(user) : true);
      let repoRefs = this.refs.referencesTo(id);
      let removedRepositoryRef = false;

      type Conflict = { err: ConflictError; used: boolean };
      const conflict = (mask: { activeRefs: boolean; stopped: boolean }): Conflict | undefined => {
        if (running) {
          return { used: true, err: new ConflictError(`conflict: unable to delete ${shortId(id)} (cannot be forced) - image is being used by running container ${shortId(user!)}`) };
        }
        if (mask.activeRefs && this.refs.referencesTo(id).length > 0) {
          return { used: false, err: new ConflictError(`conflict: unable to delete ${shortId(id)} (must be forced) - image is referenced in multiple repositories`) };
        }
        if (mask.stopped && user !== undefined) {
          return { used: true, err: new ConflictError(`conflict: unable to delete ${shortId(id)} (must be forced) - image is being used by stopped container ${shortId(user)}`) };
        }
        return undefined;
      };
      const untag = async (refs: Reference[]): Promise<void> => {
        await this.refs.delete(refs);
        for (const r of refs) {
          records.push({ Untagged: familiarString(r) });
          this.emit('untag', id, id);
        }
      };

      if (!isImageIdPrefix(id, ref)) {
        // Named by reference: untag it; the image goes only with its last reference.
        if (user !== undefined && repoRefs.length === 1 && !force) {
          throw new ConflictError(`conflict: unable to remove repository reference "${ref}" (must force) - container ${shortId(user)} is using its referenced image ${shortId(id)}`);
        }
        const named = parseReference(ref);
        await untag([named]);
        repoRefs = this.refs.referencesTo(id);
        if (named.digest === undefined && !repoRefs.some((r) => r.digest === undefined && canonicalName(r) === canonicalName(named))) {
          // Like moby: the last tag of a repository takes that repository's digest references with it.
          const digestRefs = repoRefs.filter((r) => r.digest !== undefined && canonicalName(r) === canonicalName(named));
          if (digestRefs.length) await untag(digestRefs);
          repoRefs = this.refs.referencesTo(id);
        }
        if (repoRefs.length > 0) return records;
        removedRepositoryRef = true;
      } else if (repoRefs.length === 1) {
        // Named by ID with a single reference: drop it, then delete.
        const c = conflict({ activeRefs: false, stopped: !force });
        if (c) throw c.err;
        await untag(repoRefs);
      }

      const c = conflict({ activeRefs: !force, stopped: !force });
      if (c) {
        // After untagging the last reference, an in-use image just stays (dangling) without an error.
        if (removedRepositoryRef && c.used) return records;
        throw c.err;
      }
      await untag(this.refs.referencesTo(id));
      if (user !== undefined) {
        // A (stopped) container still uses the image's layers as its lower dirs: keep it, dangling.
        return records;
      }
      await this.deleteImage(rec, records);
      return records;
    });
  }

  private async deleteImage(rec: ImageRecord, records: DeleteRecord[]): Promise<void> {
    const hex = digestHex(rec.id);
    this.images.delete(hex);
    await rm(join(this.metaDir, `${hex}.json`), { force: true });
    this.emit('delete', rec.id, rec.id);
    records.push({ Deleted: rec.id });
    const usedChains = new Set<string>();
    for (const img of this.images.values()) for (const c of img.chainIds) usedChains.add(c);
    for (const c of [...rec.chainIds].reverse()) {
      if (usedChains.has(c)) continue;
      await this.layers.remove(c);
      records.push({ Deleted: c });
    }
    if (!this.isBlobReferenced(rec.id)) await this.content.delete(rec.id);
    for (const d of rec.config.rootfs.diff_ids) {
      if (!this.isBlobReferenced(d)) await this.content.delete(d);
    }
  }

  // ---- support for save/load/history/prune/df (their logic lives in save.ts, load.ts, history.ts, prune.ts) --

  private snap(rec: ImageRecord): ImageSnapshot {
    const refs = this.refs.referencesTo(rec.id);
    return {
      id: rec.id, config: rec.config, chainIds: [...rec.chainIds], size: rec.size,
      tags: refs.filter((r) => r.tag !== undefined), references: refs, created: this.createdMs(rec),
    };
  }

  /** The image `ref` names (NotFoundError like inspect). */
  snapshot(ref: string): ImageSnapshot {
    return this.snap(this.find(ref));
  }

  /** Every image. */
  snapshots(): ImageSnapshot[] {
    return [...this.images.values()].map((r) => this.snap(r));
  }

  /** Tagged references of the repository `name` (familiar or canonical), with their image IDs. */
  repositoryTags(name: string): Array<{ ref: Reference; id: Digest }> {
    const want = canonicalName(parseNormalizedNamed(name));
    const out: Array<{ ref: Reference; id: Digest }> = [];
    for (const rec of this.images.values()) {
      for (const r of this.refs.referencesTo(rec.id)) if (r.tag !== undefined && canonicalName(r) === want) out.push({ ref: r, id: rec.id });
    }
    return out;
  }

  /** Whether a container uses the image (it must then not be pruned). */
  inUse(id: string): boolean {
    return this.opts.usedBy?.(id) !== undefined;
  }

  /** Runs `fn` holding the image store's lock (not re-entrant: `fn` must not call locking methods). */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return this.locked(fn);
  }

  /**
   * Registers an image whose config blob and layers are already stored (a `load`); call under `exclusive`.
   * Returns its snapshot.
   */
  async adoptLocked(id: Digest, config: ImageConfig): Promise<ImageSnapshot> {
    const { rec, isNew } = await this.register(id, config);
    if (isNew) this.emit('import', id, id);
    return this.snap(rec);
  }

  /** Points `ref` at image `id` (under `exclusive`); returns the image it pointed to before, if another. */
  async tagLocked(id: Digest, ref: Reference): Promise<string | undefined> {
    const rec = this.images.get(digestHex(id));
    if (!rec) throw new NotFoundError(`No such image: ${id}`);
    const prev = this.refs.get(ref);
    if (prev === id) return undefined;
    await this.addTag(rec, ref);
    return prev;
  }

  /** Drops blobs and layers of a failed load that no image refers to (under `exclusive`). */
  async dropUnreferencedLocked(blobs: readonly Digest[], chains: readonly Digest[]): Promise<void> {
    const used = new Set<string>();
    for (const img of this.images.values()) for (const c of img.chainIds) used.add(c);
    for (const c of [...chains].reverse()) if (!used.has(c)) await this.layers.remove(c);
    for (const b of blobs) if (!this.isBlobReferenced(b)) await this.content.delete(b);
  }
}

/** A read-only view of one image, for save/load/history/prune/df. */
export interface ImageSnapshot {
  id: Digest;
  config: ImageConfig;
  chainIds: Digest[];
  /** Unpacked size of all its layers. */
  size: number;
  /** Tagged references (canonical form). */
  tags: Reference[];
  /** Every reference (tags and digests). */
  references: Reference[];
  /** Creation time in ms since the epoch (0 when unknown). */
  created: number;
}
