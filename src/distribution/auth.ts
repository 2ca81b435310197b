/** WWW-Authenticate challenges (RFC 7235) as registries send them: `Bearer realm="...",service="...",scope="..."`. */
export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** Parses one or more challenges from a WWW-Authenticate header value. */
export function parseChallenges(header: string | string[] | undefined): Challenge[] {
  const values = header === undefined ? [] : Array.isArray(header) ? header : [header];
  const out: Challenge[] = [];
  for (const v of values) {
    const re = /\s*([A-Za-z][A-Za-z0-9_-]*)(?:\s+|$)((?:[A-Za-z0-9_-]+\s*=\s*(?:"(?:[^"\\]|\\.)*"|[^,\s]*)\s*,?\s*)*)/gy;
    let m: RegExpExecArray | null;
    while ((m = re.exec(v)) !== null && m[0] !== '') {
      const params: Record<string, string> = {};
      const pre = /([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g;
      let p: RegExpExecArray | null;
      while ((p = pre.exec(m[2] ?? '')) !== null) {
        params[p[1]!.toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : (p[3] ?? '');
      }
      out.push({ scheme: m[1]!.toLowerCase(), params });
      if (re.lastIndex >= v.length) break;
    }
  }
  return out;
}

/** Credentials as Docker's X-Registry-Auth / config.json carry them. */
export interface RegistryAuth {
  username?: string;
  password?: string;
  /** base64(username:password), as in config.json `auths`. */
  auth?: string;
  identitytoken?: string;
  registrytoken?: string;
  serveraddress?: string;
}

/** Decodes an X-Registry-Auth header (base64url JSON); anything unreadable means anonymous. */
export function decodeAuthHeader(value: string | undefined): RegistryAuth {
  if (!value) return {};
  try {
    const json = Buffer.from(value.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8');
    const v = JSON.parse(json) as unknown;
    if (!v || typeof v !== 'object') return {};
    const o = v as Record<string, unknown>;
    const s = (k: string): string | undefined => (typeof o[k] === 'string' && o[k] !== '' ? (o[k] as string) : undefined);
    const out: RegistryAuth = {};
    for (const k of ['username', 'password', 'auth', 'identitytoken', 'registrytoken', 'serveraddress'] as const) {
      const x = s(k);
      if (x !== undefined) out[k] = x;
    }
    if (out.auth && !out.username) {
      const plain = Buffer.from(out.auth, 'base64').toString('utf8');
      const i = plain.indexOf(':');
      if (i > 0) { out.username = plain.slice(0, i); out.password = plain.slice(i + 1); }
    }
    return out;
  } catch {
    return {};
  }
}

export function hasCredentials(a: RegistryAuth): boolean {
  return !!(a.username && a.password) || !!a.identitytoken || !!a.registrytoken;
}

export function basicHeader(a: RegistryAuth): string | undefined {
  if (!a.username || a.password === undefined) return undefined;
  return `Basic ${Buffer.from(`${a.username}:${a.password}`).toString('base64')}`;
}
