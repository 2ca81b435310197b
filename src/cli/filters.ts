/** `-f key=value` (repeated) → the Go CLI's filters JSON `{"key":{"value":true}}`. */
export function parseFilters(list: readonly string[]): Record<string, Record<string, boolean>> {
  const out: Record<string, Record<string, boolean>> = {};
  for (const f of list) {
    const i = f.indexOf('=');
    if (i < 0) throw new Error(`bad format of filter (expected name=value)`);
    const k = f.slice(0, i).trim().toLowerCase();
    const v = f.slice(i + 1).trim();
    (out[k] ??= {})[v] = true;
  }
  return out;
}

export function filtersQuery(f: Record<string, Record<string, boolean>>): string | undefined {
  return Object.keys(f).length ? JSON.stringify(f) : undefined;
}

/** The `-f, --filter` flag validator (docker's opts.FilterOpt.Set). */
export function validateFilter(v: string): void {
  if (!v.includes('=')) throw new Error('bad format of filter (expected name=value)');
}
