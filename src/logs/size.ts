import { InvalidArgumentError } from '../base/index.js';

const UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/**
 * Parses a size like Docker's `units.RAMInBytes` (used for json-file `max-size`): binary multiples,
 * `10`, `10b`, `10k`, `10kb`, `10KiB`, `1.5m`, `2g`, `1 t`. Returns whole bytes.
 */
export function parseSize(s: string): number {
  const m = /^(\d+(?:\.\d+)*) ?([kmgtp])?i?b?$/i.exec(s.trim());
  if (!m) throw new InvalidArgumentError(`invalid size: '${s}'`);
  const n = Number.parseFloat(m[1]!);
  if (!Number.isFinite(n)) throw new InvalidArgumentError(`invalid size: '${s}'`);
  return Math.trunc(n * UNITS[(m[2] ?? '').toLowerCase()]!);
}
