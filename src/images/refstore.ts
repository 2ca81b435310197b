import { join } from 'node:path';
import { readJsonIfExists, writeJsonAtomic } from '../base/index.js';
import { canonicalName, canonicalString, parseNormalizedNamed, type Reference } from '../oci/index.js';

interface RepositoriesFile {
  /** canonical repository name → canonical reference → image id */
  Repositories: Record<string, Record<string, string>>;
}

/**
 * Canonical reference → image ID, persisted in `image/repositories.json` (always written atomically, in full).
 * Not synchronised itself: ImageService serialises mutations.
 */
export class ReferenceStore {
  private readonly refs = new Map<string, string>();
  readonly file: string;

  constructor(imageDir: string) {
    this.file = join(imageDir, 'repositories.json');
  }

  async load(): Promise<void> {
    const data = await readJsonIfExists<RepositoriesFile>(this.file);
    this.refs.clear();
    for (const repo of Object.values(data?.Repositories ?? {})) {
      for (const [ref, id] of Object.entries(repo)) this.refs.set(ref, id);
    }
  }

  private async save(): Promise<void> {
    const Repositories: RepositoriesFile['Repositories'] = {};
    for (const [ref, id] of [...this.refs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const name = canonicalName(parseNormalizedNamed(ref));
      (Repositories[name] ??= {})[ref] = id;
    }
    await writeJsonAtomic(this.file, { Repositories } satisfies RepositoriesFile);
  }

  get(ref: Reference): string | undefined {
    return this.refs.get(canonicalString(ref));
  }

  /** Points `ref` at `id`; returns the image it pointed to before (if any and different). */
  async set(ref: Reference, id: string): Promise<string | undefined> {
    const key = canonicalString(ref);
    const prev = this.refs.get(key);
    if (prev === id) return undefined;
    this.refs.set(key, id);
    await this.save();
    return prev;
  }

  async delete(refs: Reference[]): Promise<void> {
    let changed = false;
    for (const r of refs) changed = this.refs.delete(canonicalString(r)) || changed;
    if (changed) await this.save();
  }

  /** Canonical references pointing at `id`, sorted. */
  referencesTo(id: string): Reference[] {
    return [...this.refs].filter(([, v]) => v === id).map(([k]) => k).sort().map((k) => parseNormalizedNamed(k));
  }

  /** Drops references to images that no longer exist. */
  async prune(exists: (id: string) => boolean): Promise<void> {
    let changed = false;
    for (const [k, v] of this.refs) {
      if (!exists(v)) {
        this.refs.delete(k);
        changed = true;
      }
    }
    if (changed) await this.save();
  }
}
