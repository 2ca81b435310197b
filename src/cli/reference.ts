/** Minimal docker reference normalisation for the CLI (familiar ↔ canonical). */

export interface ParsedRef {
  /** Canonical repository, e.g. `docker.io/library/alpine`. */
  repo: string;
  tag?: string;
  digest?: string;
}

function splitDomain(name: string): [string, string] {
  const i = name.indexOf('/');
  if (i < 0) return ['docker.io', `library/${name}`];
  const first = name.slice(0, i);
  if (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase()) {
    return [first === 'index.docker.io' ? 'docker.io' : first, name.slice(i + 1)];
  }
  return ['docker.io', name];
}

/** Parses `[domain/]path[:tag][@digest]` (docker's ParseNormalizedNamed, loosely). */
export function parseReference(ref: string): ParsedRef {
  if (!ref || /\s/.test(ref)) throw new Error(`invalid reference format`);
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) { digest = rest.slice(at + 1); rest = rest.slice(0, at); }
  let tag: string | undefined;
  const slash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > slash) { tag = rest.slice(colon + 1); rest = rest.slice(0, colon); }
  if (rest !== rest.toLowerCase()) throw new Error(`invalid reference format: repository name (${rest}) must be lowercase`);
  if (!/^[a-z0-9]+(?:[._-][a-z0-9]+|__)*(?:[:/.a-z0-9_-]*)$/.test(rest)) throw new Error('invalid reference format');
  const [domain, path] = splitDomain(rest);
  const out: ParsedRef = { repo: `${domain}/${path}` };
  if (tag !== undefined) out.tag = tag;
  if (digest !== undefined) out.digest = digest;
  return out;
}

/** Drops `docker.io/` and `library/`. */
export function familiar(repo: string): string {
  if (!repo.startsWith('docker.io/')) return repo;
  const p = repo.slice('docker.io/'.length);
  return p.startsWith('library/') && p.split('/').length === 2 ? p.slice('library/'.length) : p;
}

/** `alpine` → `alpine:latest` (familiar, tagged unless it has a digest). */
export function familiarTagged(ref: string): string {
  const r = parseReference(ref);
  const name = familiar(r.repo);
  if (r.digest) return `${name}${r.tag ? ':' + r.tag : ''}@${r.digest}`;
  return `${name}:${r.tag ?? 'latest'}`;
}

/** Query for POST /images/create?fromImage=...&tag=... as the Go client builds it. */
export function pullQuery(ref: string, opts: { allTags?: boolean } = {}): { fromImage: string; tag?: string } {
  const r = parseReference(ref);
  if (opts.allTags) return { fromImage: r.repo };
  return { fromImage: r.repo, tag: r.digest ?? r.tag ?? 'latest' };
}
