const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9})\d*)?(Z|z|[+-]\d{2}:?\d{2})$/;

/** Parses an RFC3339 timestamp (any number of fractional digits, any offset) into ns since the epoch. */
export function parseRfc3339Ns(s: string): bigint | undefined {
  const m = RFC3339.exec(s);
  if (!m) return undefined;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  if (Number.isNaN(ms)) return undefined;
  let ns = BigInt(ms) * 1_000_000n + BigInt((m[7] ?? '').padEnd(9, '0'));
  const off = m[8]!;
  if (off !== 'Z' && off !== 'z') {
    const sign = off[0] === '-' ? -1n : 1n;
    const digits = off.slice(1).replace(':', '');
    const minutes = BigInt(Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4)));
    ns -= sign * minutes * 60_000_000_000n;
  }
  return ns;
}

let lastSec = -1n;
let lastPrefix = '';

/** Formats ns since the epoch as RFC3339 UTC with exactly 9 fractional digits: `2024-01-02T03:04:05.000000001Z`. */
export function formatRfc3339Nano(ns: bigint): string {
  let sec = ns / 1_000_000_000n;
  let frac = ns % 1_000_000_000n;
  if (frac < 0n) { frac += 1_000_000_000n; sec -= 1n; }
  if (sec !== lastSec) {
    lastSec = sec;
    lastPrefix = new Date(Number(sec) * 1000).toISOString().slice(0, 19); // YYYY-MM-DDTHH:MM:SS
  }
  return `${lastPrefix}.${frac.toString().padStart(9, '0')}Z`;
}
