import { ConflictError, InvalidArgumentError, NotFoundError } from '../base/index.js';
import { familiarString, type Digest } from '../oci/index.js';
import { parseBoolFilter, parseTimestampFilter } from './filters.js';
import type { DeleteRecord, ImageService, ImageSnapshot } from './service.js';

const PRUNE_FILTERS = new Set(['dangling', 'until', 'label', 'label!']);

export interface PruneReport { ImagesDeleted: DeleteRecord[] | null; SpaceReclaimed: number }

function labelMatch(labels: Record<string, string>, spec: string): boolean {
  const eq = spec.indexOf('=');
  const key = eq < 0 ? spec : spec.slice(0, eq);
  return Object.hasOwn(labels, key) && (eq < 0 || labels[key] === spec.slice(eq + 1));
}

/**
 * POST /images/prune (moby's ImagesPrune): removes images no container uses; with dangling=true (the default)
 * only those without any reference, with dangling=false every unused one (its tags are removed one by one, the
 * last removal deletes it). Filters: until (created before), label / label! (key or key=value).
 */
export async function pruneImages(svc: ImageService, filters: Record<string, string[]>): Promise<PruneReport> {
  for (const k of Object.keys(filters)) if (!PRUNE_FILTERS.has(k)) throw new InvalidArgumentError(`invalid filter '${k}'`);
  const danglingVals = new Set((filters['dangling'] ?? []).map((v) => parseBoolFilter('dangling', v)));
  if (danglingVals.size > 1) throw new InvalidArgumentError('invalid filter \'dangling=[true false]\'');
  const danglingOnly = danglingVals.size === 0 ? true : [...danglingVals][0]!;
  const untils = (filters['until'] ?? []).map((u) => parseTimestampFilter(u));
  const keep = (s: ImageSnapshot): boolean => {
    const labels = s.config.config?.Labels ?? {};
    if (untils.some((t) => !(s.created < t))) return true;
    if ((filters['label'] ?? []).some((l) => !labelMatch(labels, l))) return true;
    if ((filters['label!'] ?? []).some((l) => labelMatch(labels, l))) return true;
    return false;
  };
  const sizes = new Map<string, number>();
  for (const s of svc.snapshots()) {
    for (const c of s.chainIds) if (!sizes.has(c)) sizes.set(c, await svc.layers.size(c).catch(() => 0));
  }
  const deleted: DeleteRecord[] = [];
  let reclaimed = 0;
  for (const s of svc.snapshots()) {
    if (svc.inUse(s.id) || keep(s)) continue;
    if (danglingOnly && s.references.length > 0) continue;
    let records: DeleteRecord[] = [];
    try {
      if (s.references.length === 0) {
        records = await svc.remove(s.id);
      } else {
        for (const r of s.references) records.push(...(await svc.remove(familiarString(r))));
      }
    } catch (err) {
      // Used or changed meanwhile: leave it (as moby, which skips images it cannot delete).
      if (!(err instanceof ConflictError || err instanceof NotFoundError)) throw err;
    }
    for (const rec of records) {
      deleted.push(rec);
      if (rec.Deleted) reclaimed += sizes.get(rec.Deleted as Digest) ?? 0;
    }
  }
  return { ImagesDeleted: deleted.length ? deleted : null, SpaceReclaimed: reclaimed };
}
