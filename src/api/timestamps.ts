import { InvalidArgumentError } from '../base/index.js';

/** Parses Docker's `<seconds>[.<nanos>]` query timestamps (also RFC3339) into nanoseconds since the epoch. */
export function parseTimestampNs(v: string | null): bigint | undefined {
  if (v === null || v === '') return undefined;
  const m = /^(-?\d+)(?:\.(\d{1,9}))?$/.exec(v.trim());
  if (m) return BigInt(m[1]!) * 1_000_000_000n + BigInt((m[2] ?? '').padEnd(9, '0') || '0');
  const ms = Date.parse(v);
  if (Number.isNaN(ms)) throw new InvalidArgumentError(`invalid timestamp: ${v}`);
  return BigInt(ms) * 1_000_000n;
}
