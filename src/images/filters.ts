import { InvalidArgumentError } from '../base/index.js';
import { parseGoDuration } from './changes.js';

/** Go's path.Match as a RegExp: `*` and `?` never match `/`; `[...]` classes (`^` negation). */
export function globToRegExp(pattern: string): RegExp {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else if (ch === '\\' && i + 1 < pattern.length) re += escapeRe(pattern[++i]!);
    else if (ch === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) throw new InvalidArgumentError(`invalid reference filter pattern: ${pattern}`);
      let cls = pattern.slice(i + 1, end);
      if (cls.startsWith('^')) cls = '^' + cls.slice(1).replace(/[\\\]]/g, '\\$&');
      else cls = cls.replace(/[\\\]^]/g, '\\$&');
      re += `[${cls}]`;
      i = end;
    } else re += escapeRe(ch);
  }
  return new RegExp(re + '$');
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/**
 * Docker's timestamp filter values (`until`, `since` on events): a Go duration relative to now (`10m`, `1h30m`),
 * a unix timestamp (`1700000000`, `1700000000.5`), RFC 3339 (`2024-01-02T03:04:05Z`), or a date/time without
 * zone (`2024-01-02`, `2024-01-02T03:04:05`, taken as UTC). Returns milliseconds since the epoch.
 */
export function parseTimestampFilter(value: string, now = Date.now()): number {
  const d = parseGoDuration(value);
  if (d !== undefined) return now - d / 1e6;
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  if (/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:\d{2})?$/.test(value)) {
    const hasZone = /(Z|[+-]\d{2}:\d{2})$/.test(value);
    const t = Date.parse(hasZone ? value : value.includes('T') ? `${value}Z` : `${value}T00:00:00Z`);
    if (Number.isFinite(t)) return t;
  }
  throw new InvalidArgumentError(`failed to parse value as time or duration: "${value}"`);
}

export function parseBoolFilter(name: string, value: string): boolean {
  const v = value.toLowerCase();
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new InvalidArgumentError(`Invalid filter '${name}=${value}'`);
}
