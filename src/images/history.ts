import { familiarString } from '../oci/index.js';
import type { ImageService } from './service.js';

/** One row of GET /images/{name}/history (moby's image.HistoryResponseItem). */
export interface HistoryItem {
  Id: string;
  Created: number;
  CreatedBy: string;
  Tags: string[] | null;
  Size: number;
  Comment: string;
}

/**
 * moby's ImageHistory: the config's history entries newest first; each non-empty entry is sized by its layer
 * (the unpacked size of the chain ID it adds). The newest entry carries the image ID and tags; older ones have
 * no image of their own (berth keeps no parent chain) and show `<missing>`.
 */
export async function imageHistory(svc: ImageService, ref: string): Promise<HistoryItem[]> {
  const snap = svc.snapshot(ref);
  const out: HistoryItem[] = [];
  let layer = 0;
  for (const h of snap.config.history ?? []) {
    let size = 0;
    if (!h.empty_layer) {
      const chain = snap.chainIds[layer];
      if (chain === undefined) throw new Error('too many non-empty layers in History section');
      size = await svc.layers.size(chain);
      layer++;
    }
    const t = h.created ? Date.parse(h.created) : NaN;
    out.unshift({
      Id: '<missing>', Created: Number.isFinite(t) ? Math.floor(t / 1000) : 0, CreatedBy: h.created_by ?? '', Tags: null, Size: size,
      Comment: h.comment ?? '',
    });
  }
  const top = out[0];
  if (top) {
    top.Id = snap.id;
    const tags = snap.tags.map((r) => familiarString(r)).sort();
    top.Tags = tags.length ? tags : null;
  }
  return out;
}
