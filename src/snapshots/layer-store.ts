import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { KeyedMutex, NotFoundError, errnoCode, fsyncDir, readJsonIfExists, removeTree, writeJsonAtomic } from '../base/index.js';
import { childChainId, digestHex, isDigest, parseDigest, type Digest } from '../oci/index.js';
import { extractLayer, treeSize } from '../archive/index.js';

export interface LayerInfo {
  chainId: Digest;
  diffId: Digest;
  parent?: Digest;
  /** Unpacked size in bytes (Docker's counting: non-directory entries, hard links once). */
  size: number;
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

  async exists(chainId: Digest): Promise<boolean> {
    try {
      await stat(join(this.dir(chainId), 'layer.json'));
      return true;
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return false;
      throw err;
    }
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
    await mkdir(this.root, { recursive: true });
    const tmp = join(this.root, `.tmp-${randomBytes(8).toString('hex')}`);
    try {
      const { diffId } = await extractLayer(uncompressedTar, join(tmp, 'diff'));
      const chainId = childChainId(parent, diffId);
      return await this.mutex.run(chainId, async () => {
        if (await this.exists(chainId)) return this.get(chainId);
        const size = await treeSize(join(tmp, 'diff'));
        const info: LayerJson = { diffId, ...(parent ? { parent } : {}), size };
        await writeJsonAtomic(join(tmp, 'layer.json'), info);
        const final = this.dir(chainId);
        await removeTree(final); // a directory without layer.json is an incomplete leftover
        await rename(tmp, final);
        await fsyncDir(this.root);
        return { chainId, ...info };
      });
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
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
