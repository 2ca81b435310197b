// Authentication for the registry server: htpasswd (bcrypt) basic auth, and bearer tokens (the Docker token
// protocol: WWW-Authenticate Bearer realm/service/scope, a token endpoint, HS256-signed JWTs carrying `access`).
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { bcryptVerify } from './bcrypt.js';

/** Parses an htpasswd file (`user:hash` lines; `#` comments). Only bcrypt hashes can ever match. */
export function parseHtpasswd(text: string): Map<string, string> {
  const users = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const i = line.indexOf(':');
    if (i <= 0) continue;
    users.set(line.slice(0, i), line.slice(i + 1));
  }
  return users;
}

/** Decodes `Authorization: Basic ...`; undefined when absent or malformed. */
export function parseBasic(header: string | undefined): { user: string; password: string } | undefined {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!m) return undefined;
  const s = Buffer.from(m[1]!, 'base64').toString('utf8');
  const i = s.indexOf(':');
  if (i < 0) return undefined;
  return { user: s.slice(0, i), password: s.slice(i + 1) };
}

export function checkUser(users: Map<string, string>, user: string, password: string): boolean {
  const hash = users.get(user);
  return hash !== undefined && bcryptVerify(password, hash);
}

/** One resource access, as in a scope `repository:library/busybox:pull,push` and a token's `access` claim. */
export interface Access { type: string; name: string; actions: string[] }

/** Parses `scope` parameters (space-separated scopes; the name may hold `:` for a registry port). */
export function parseScopes(scopes: string[]): Access[] {
  const out: Access[] = [];
  for (const s of scopes.flatMap((x) => x.split(' ')).filter(Boolean)) {
    const first = s.indexOf(':');
    const last = s.lastIndexOf(':');
    if (first < 0 || last === first) continue;
    out.push({ type: s.slice(0, first), name: s.slice(first + 1, last), actions: s.slice(last + 1).split(',').filter(Boolean) });
  }
  return out;
}

export function formatScope(a: Access): string {
  return `${a.type}:${a.name}:${a.actions.join(',')}`;
}

/** True when `granted` covers every action of `need`. */
export function covers(granted: Access[], need: Access): boolean {
  return need.actions.every((act) =>
    granted.some((g) => g.type === need.type && g.name === need.name && (g.actions.includes(act) || g.actions.includes('*'))));
}

const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url');

export interface TokenClaims {
  iss: string; sub: string; aud: string; exp: number; nbf: number; iat: number; jti: string; access: Access[];
}

/** Issues and verifies HS256 tokens with a secret key (random per server unless configured). */
export class TokenSigner {
  readonly key: Buffer;
  constructor(readonly issuer: string, readonly service: string, key?: string, readonly ttlSeconds = 300) {
    this.key = key ? Buffer.from(key, 'utf8') : randomBytes(32);
  }

  issue(subject: string, access: Access[], now = Math.floor(Date.now() / 1000)): string {
    const header = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
    const claims: TokenClaims = {
      iss: this.issuer, sub: subject, aud: this.service, exp: now + this.ttlSeconds, nbf: now - 1, iat: now, jti: randomUUID(), access,
    };
    const payload = b64url(JSON.stringify(claims));
    const sig = createHmac('sha256', this.key).update(`${header}.${payload}`).digest('base64url');
    return `${header}.${payload}.${sig}`;
  }

  /** The token's claims when its signature, issuer, audience and lifetime check out; undefined otherwise. */
  verify(token: string, now = Math.floor(Date.now() / 1000)): TokenClaims | undefined {
    const parts = token.split('.');
    if (parts.length !== 3) return undefined;
    const want = createHmac('sha256', this.key).update(`${parts[0]}.${parts[1]}`).digest();
    const got = Buffer.from(parts[2]!, 'base64url');
    if (got.length !== want.length || !timingSafeEqual(got, want)) return undefined;
    let header: { alg?: string };
    let c: TokenClaims;
    try {
      header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')) as { alg?: string };
      c = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as TokenClaims;
    } catch {
      return undefined;
    }
    if (header.alg !== 'HS256' || c.iss !== this.issuer || c.aud !== this.service) return undefined;
    if (typeof c.exp !== 'number' || c.exp < now || (typeof c.nbf === 'number' && c.nbf > now + 60)) return undefined;
    if (!Array.isArray(c.access)) c.access = [];
    return c;
  }
}
