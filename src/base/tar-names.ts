/** Helpers for GNU tar `--transform` expressions (shared by the daemon's archive code and the CLI's cp). */

/** Escapes a string for the replacement part of a tar `--transform` sed expression using `/` as delimiter. */
export function sedReplacement(s: string): string {
  return s.replace(/[\\&/]/g, (c) => `\\${c}`).replace(/\n/g, '\\n');
}

/** Escapes a string as a POSIX basic regular expression matching it literally. */
export function sedRegex(s: string): string {
  return s.replace(/[\\.*[\]^$/]/g, (c) => `\\${c}`).replace(/\n/g, '\\n');
}

/**
 * `--transform` expressions renaming the leading path component `from` to `to` (member names and hard link
 * targets; symlink targets are never touched), as moby's RebaseArchiveEntries. `from` empty: prefix every name.
 */
export function rebaseTransforms(from: string, to: string): string[] {
  const f = from.replace(/\/+$/, '');
  const t = to.replace(/\/+$/, '');
  if (f === t) return [];
  if (f === '') return [`--transform=s/^\\/*/${sedReplacement(t === '' ? '' : `${t}/`)}/S`];
  return [
    `--transform=s/^${sedRegex(f)}$/${sedReplacement(t)}/S`,
    `--transform=s/^${sedRegex(f)}\\//${sedReplacement(t === '' ? '' : `${t}/`)}/S`,
  ];
}
