import { rm } from 'node:fs/promises';
import { join } from 'node:path';

/** Where `load` unpacks archives, under the data root (private, removed after each load and at start). */
export const LOAD_TMP_DIR = 'load-tmp';

/** Removes temporary load directories left by a crash (called at daemon start). */
export async function cleanLoadTemp(dataRoot: string): Promise<void> {
  await rm(join(dataRoot, LOAD_TMP_DIR), { recursive: true, force: true });
}
