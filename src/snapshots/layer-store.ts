import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { KeyedMutex, NotFoundError, fsyncDir, pathExists, readJsonIfExists, removeTree, writeJsonAtomic } from '../base/index.js';
import { childChainId, digestHex, isDigest, parseDigest, type Digest } from '../oci/index.js';
import { extractLayer, treeSize } from '../archive/index.js';

export interface LayerInfo {
  chainId: Digest;
  diffId: Digest;
  parent?: Digest;
  /** Unpacked size in bytes (Docker's counting: non-directory entries, hard links once). */
  size: number;
}

/** An unpacked layer not yet part of the store (see LayerStore.prepare). */
export interface PreparedLayer {
  readonly tmp: string;
  /** sha256 of the uncompressed tar as it streamed. */
  readonly diffId: Digest;
  readonly size: number;
}

interface LayerJson { diffId: Digest; parent?: Digest; size: number }

/**
 * Unpacked layers rooted at `<data-root>/overlay`:
 *   <chainID hex>/diff         the layer's files with whiteouts in overlayfs form (an overlay lower dir)
 *   <chainID hex>/layer.json   { diffId, parent, size }, written before the directory becomes visible
 *   .tmp-<random>/             extraction in progress (removed at init)
 *   .removing-<...>            removal in progress (removed at init)
 * A layer is unpacked once and shared by every image whose stack contains its chain ID.
 */
export class LayerStore {
  private readonly mutex = new KeyedMutex();

  constructor(readonly root: string) {}

  async init(): Promise<void> {
    await mkdir(this.root, { recursive: true });
    for (const name of await readdir(this.root)) {
      if (name.startsWith('.')) await rm(join(this.root, name), { recursive: true, force: true });
    }
  }

  private dir(chainId: Digest): string {
    return join(this.root, digestHex(parseDigest(chainId)));
  }

  diffPath(chainId: Digest): string {
    return join(this.dir(chainId), 'diff');
  }

  exists(chainId: Digest): Promise<boolean> {
    return pathExists(join(this.dir(chainId), 'layer.json'));
  }

  async get(chainId: Digest): Promise<LayerInfo> {
    const j = await readJsonIfExists<LayerJson>(join(this.dir(chainId), 'layer.json'));
    if (!j) throw new NotFoundError(`layer ${chainId} does not exist`);
    return { chainId, diffId: j.diffId, ...(j.parent ? { parent: j.parent } : {}), size: j.size };
  }

  async size(chainId: Digest): Promise<number> {
    return (await this.get(chainId)).size;
  }

  /** Chain IDs of every stored layer. */
  async list(): Promise<Digest[]> {
    const out: Digest[] = [];
    for (const name of await readdir(this.root).catch(() => [] as string[])) {
      const d = `sha256:${name}`;
      if (isDigest(d) && (await this.exists(d))) out.push(d);
    }
    return out.sort();
  }

  /**
   * Unpacks an uncompressed layer tar on top of `parent` (a chain ID). The diffID is computed while the tar
   * streams; the result is renamed to `<chainID hex>` only when complete. An already present chain ID is kept
   * and the new extraction discarded.
   */
  async apply(uncompressedTar: Readable, parent?: Digest): Promise<LayerInfo> {
    if (parent !== undefined && !(await this.exists(parent))) {
      uncompressedTar.destroy();
      throw new NotFoundError(`parent layer ${parent} does not exist`);
    }
    const prepared = await this.prepare(uncompressedTar);
    return this.commit(prepared, parent);
  }

  /**
   * Unpacks a layer tar into a hidden directory without a parent: overlayfs layers are independent, so layers of
   * one image can be unpacked at the same time, in any order, and committed bottom-up afterwards. The result
   * must be passed to `commit` or `discard`; until then it is invisible (and removed at the next start).
   * `verifiedElsewhere`: the stream's diff ID, which the caller checks on another copy of the same bytes (the
   * pull writes them to the content store with that expected digest) and must not commit the layer otherwise;
   * the stream is then not hashed a second time.
   */
  async prepare(uncompressedTar: Readable, opts: { verifiedElsewhere?: Digest } = {}): Promise<PreparedLayer> {
    await mkdir(this.root, { recursive: true });
    const tmp = join(this.root, `.tmp-${randomBytes(8).toString('hex')}`);
    try {
      let diffId = opts.verifiedElsewhere;
      if (diffId === undefined) ({ diffId } = await extractLayer(uncompressedTar, join(tmp, 'diff')));
      else await extractLayer(uncompressedTar, join(tmp, 'diff'), { hash: false });
      const size = await treeSize(join(tmp, 'diff'));
      return { tmp, diffId, size };
    } catch (err) {
      await rm(tmp, { recursive: true, force: true });
      throw err;
    }
  }

  /** Makes a prepared layer visible as the child of `parent` (which must exist); consumes `p` either way. */
  async commit(p: PreparedLayer, parent?: Digest): Promise<LayerInfo> {
    try {
      if (parent !== undefined && !(await this.exists(parent))) throw new NotFoundError(`parent layer ${parent} does not exist`);
      const chainId = childChainId(parent, p.diffId);
      return await this.mutex.run(chainId, async () => {
        if (await this.exists(chainId)) return this.get(chainId);
        const info: LayerJson = { diffId: p.diffId, ...(parent ? { parent } : {}), size: p.size };
        await writeJsonAtomic(join(p.tmp, 'layer.json'), info);
        const final = this.dir(chainId);
        await removeTree(final); // a directory without layer.json is an incomplete leftover
        await rename(p.tmp, final);
        await fsyncDir(this.root);
        return { chainId, ...info };
      });
    } finally {
      await rm(p.tmp, { recursive: true, force: true });
    }
  }

  /** Drops a prepared layer that will not be committed. */
  async discard(p: PreparedLayer): Promise<void> {
    await rm(p.tmp, { recursive: true, force: true });
  }

  /** Removes a layer (rename to a hidden name, then delete). Missing layers are ignored. */
  async remove(chainId: Digest): Promise<void> {
    await this.mutex.run(chainId, () => removeTree(this.dir(chainId)));
  }

  /** overlayfs `lowerdir` order for an image whose chain IDs are given bottom-most first: top-most first. */
  lowerDirs(chainIds: readonly Digest[]): string[] {
    return chainIds.map((c) => this.diffPath(c)).reverse();
  }
}
