import { familiarName, familiarString } from '../oci/index.js';
import type { ImageService } from './service.js';

export interface ImageUsage {
  LayersSize: number;
  Images: object[];
}

/**
 * The image half of GET /system/df: every image as in GET /images/json plus SharedSize (bytes of its layers that
 * other images use too) and Containers (how many containers use it); LayersSize counts each layer once.
 */
export async function imageDiskUsage(svc: ImageService, containersOf: (imageId: string) => number): Promise<ImageUsage> {
  const snaps = svc.snapshots();
  const refcount = new Map<string, number>();
  const sizes = new Map<string, number>();
  for (const s of snaps) {
    for (const c of new Set(s.chainIds)) {
      refcount.set(c, (refcount.get(c) ?? 0) + 1);
      if (!sizes.has(c)) sizes.set(c, await svc.layers.size(c).catch(() => 0));
    }
  }
  let layersSize = 0;
  for (const v of sizes.values()) layersSize += v;
  const images = snaps.sort((a, b) => b.created - a.created || (a.id < b.id ? -1 : 1)).map((s) => {
    let shared = 0;
    for (const c of new Set(s.chainIds)) if ((refcount.get(c) ?? 0) > 1) shared += sizes.get(c) ?? 0;
    return {
      Containers: containersOf(s.id),
      Created: Math.floor(s.created / 1000),
      Id: s.id,
      Labels: s.config.config?.Labels ?? {},
      ParentId: '',
      RepoDigests: s.references.filter((r) => r.digest !== undefined).map((r) => `${familiarName(r)}@${r.digest}`).sort(),
      RepoTags: s.tags.map((r) => familiarString(r)).sort(),
      SharedSize: shared,
      Size: s.size,
    };
  });
  return { LayersSize: layersSize, Images: images };
}
