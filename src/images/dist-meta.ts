import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { readJsonIfExists, writeJsonAtomic } from '../base/index.js';
import { digestHex, type Digest } from '../oci/index.js';

/** Where a layer (by diff ID) is known to exist in compressed form: moby's v2 metadata service, simplified. */
export interface LayerSource {
  digest: Digest;
  mediaType: string;
  size: number;
  /** Registry domain and repository path it was pulled from or pushed to. */
  domain: string;
  path: string;
}

/** `image/distribution/<diffID hex>.json`: the known compressed forms of each layer. */
export class DistributionMetadata {
  constructor(private readonly dir: string) {}

  async get(diffId: Digest): Promise<LayerSource[]> {
    return (await readJsonIfExists<LayerSource[]>(join(this.dir, `${digestHex(diffId)}.json`))) ?? [];
  }

  async add(diffId: Digest, src: LayerSource): Promise<void> {
    const list = await this.get(diffId);
    if (list.some((s) => s.digest === src.digest && s.domain === src.domain && s.path === src.path)) return;
    await mkdir(this.dir, { recursive: true });
    await writeJsonAtomic(join(this.dir, `${digestHex(diffId)}.json`), [...list, src].slice(-16));
  }
}
