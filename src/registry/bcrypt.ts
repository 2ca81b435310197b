// bcrypt password verification (Provos & Mazières, "A Future-Adaptable Password Scheme", 1999), as htpasswd -B
// writes it: `$2y$<cost>$<22 chars salt><31 chars hash>` in bcrypt's own base64 alphabet. Only verification is
// needed by the registry server; `bcryptHash` exists so tests and tools can make hashes with a given salt.
import { timingSafeEqual, randomBytes } from 'node:crypto';
import { PI_WORDS } from './blowfish-pi.js';

const B64 = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const B64_INDEX = new Map([...B64].map((c, i) => [c, i]));

function b64Encode(bytes: Uint8Array, len: number): string {
  let out = '';
  let i = 0;
  while (i < len) {
    let c1 = bytes[i++]!;
    out += B64[(c1 >> 2) & 0x3f];
    c1 = (c1 & 0x03) << 4;
    if (i >= len) { out += B64[c1]; break; }
    let c2 = bytes[i++]!;
    out += B64[c1 | ((c2 >> 4) & 0x0f)];
    c1 = (c2 & 0x0f) << 2;
    if (i >= len) { out += B64[c1]; break; }
    c2 = bytes[i++]!;
    out += B64[c1 | ((c2 >> 6) & 0x03)];
    out += B64[c2 & 0x3f];
  }
  return out;
}

function b64Decode(s: string, maxBytes: number): Uint8Array | undefined {
  const out: number[] = [];
  const v = (k: number): number | undefined => B64_INDEX.get(s[k] ?? '');
  let i = 0;
  while (i < s.length - 1 && out.length < maxBytes) {
    const c1 = v(i++); const c2 = v(i++);
    if (c1 === undefined || c2 === undefined) return undefined;
    out.push(((c1 << 2) | ((c2 & 0x30) >> 4)) & 0xff);
    if (out.length >= maxBytes || i >= s.length) break;
    const c3 = v(i++);
    if (c3 === undefined) return undefined;
    out.push((((c2 & 0x0f) << 4) | ((c3 & 0x3c) >> 2)) & 0xff);
    if (out.length >= maxBytes || i >= s.length) break;
    const c4 = v(i++);
    if (c4 === undefined) return undefined;
    out.push((((c3 & 0x03) << 6) | c4) & 0xff);
  }
  return Uint8Array.from(out);
}

class Blowfish {
  readonly P = new Uint32Array(PI_WORDS.slice(0, 18));
  readonly S = new Uint32Array(PI_WORDS.slice(18));

  private f(x: number): number {
    const S = this.S;
    return ((((S[x >>> 24]! + S[256 + ((x >>> 16) & 0xff)]!) >>> 0) ^ S[512 + ((x >>> 8) & 0xff)]!) + S[768 + (x & 0xff)]!) >>> 0;
  }

  /** Encrypts lr[off], lr[off+1] in place. */
  encipher(lr: Uint32Array, off: number): void {
    const P = this.P;
    let l = lr[off]! ^ P[0]!;
    let r = lr[off + 1]!;
    for (let i = 1; i <= 16; i += 2) {
      r ^= this.f(l) ^ P[i]!;
      l ^= this.f(r >>> 0) ^ P[i + 1]!;
      l >>>= 0;
    }
    lr[off] = (r ^ P[17]!) >>> 0;
    lr[off + 1] = l >>> 0;
  }

  /** Reads the next 32-bit word of `data` cyclically. */
  private static word(data: Uint8Array, pos: { p: number }): number {
    let w = 0;
    for (let i = 0; i < 4; i++) {
      w = ((w << 8) | data[pos.p]!) >>> 0;
      pos.p = (pos.p + 1) % data.length;
    }
    return w;
  }

  /** ExpandKey(state, salt, key); with an empty salt it is the plain Blowfish key schedule. */
  expand(key: Uint8Array, salt: Uint8Array | undefined): void {
    const kp = { p: 0 };
    for (let i = 0; i < 18; i++) this.P[i] = (this.P[i]! ^ Blowfish.word(key, kp)) >>> 0;
    const lr = new Uint32Array(2);
    const sp = { p: 0 };
    const mix = (): void => {
      if (salt) {
        lr[0] = (lr[0]! ^ Blowfish.word(salt, sp)) >>> 0;
        lr[1] = (lr[1]! ^ Blowfish.word(salt, sp)) >>> 0;
      }
      this.encipher(lr, 0);
    };
    for (let i = 0; i < 18; i += 2) { mix(); this.P[i] = lr[0]!; this.P[i + 1] = lr[1]!; }
    for (let i = 0; i < 1024; i += 2) { mix(); this.S[i] = lr[0]!; this.S[i + 1] = lr[1]!; }
  }
}

const MAGIC = 'OrpheanBeholderScryDoubt';

function rawHash(password: Uint8Array, salt: Uint8Array, cost: number): Uint8Array {
  const bf = new Blowfish();
  bf.expand(password, salt);
  const rounds = 2 ** cost;
  for (let i = 0; i < rounds; i++) {
    bf.expand(password, undefined);
    bf.expand(salt, undefined);
  }
  const ctext = new Uint32Array(6);
  for (let i = 0; i < 6; i++) {
    ctext[i] = ((MAGIC.charCodeAt(i * 4) << 24) | (MAGIC.charCodeAt(i * 4 + 1) << 16) | (MAGIC.charCodeAt(i * 4 + 2) << 8) | MAGIC.charCodeAt(i * 4 + 3)) >>> 0;
  }
  for (let i = 0; i < 64; i++) for (let j = 0; j < 6; j += 2) bf.encipher(ctext, j);
  const out = new Uint8Array(24);
  for (let i = 0; i < 6; i++) {
    out[i * 4] = ctext[i]! >>> 24; out[i * 4 + 1] = ctext[i]! >>> 16; out[i * 4 + 2] = ctext[i]! >>> 8; out[i * 4 + 3] = ctext[i]!;
  }
  return out;
}

const HASH_RE = /^\$2([abxy])\$(\d\d)\$([./A-Za-z0-9]{22})([./A-Za-z0-9]{31})$/;

/** The password bytes bcrypt consumes: UTF-8, NUL-terminated, at most 72 bytes. */
function keyBytes(password: string): Uint8Array {
  const b = Buffer.from(password + '\0', 'utf8');
  return b.subarray(0, Math.min(b.length, 72));
}

/** Hashes `password` with the given cost and 16-byte salt (random when omitted); `$2y$` like htpasswd. */
export function bcryptHash(password: string, cost = 10, salt: Uint8Array = randomBytes(16), variant = 'y'): string {
  if (cost < 4 || cost > 31) throw new RangeError('bcrypt cost must be 4..31');
  const hash = rawHash(keyBytes(password), salt, cost);
  return `$2${variant}$${String(cost).padStart(2, '0')}$${b64Encode(salt, 16)}${b64Encode(hash, 23)}`;
}

/** True when `password` matches the bcrypt `hash` (`$2a$`, `$2b$`, `$2y$`). Malformed hashes never match. */
export function bcryptVerify(password: string, hash: string): boolean {
  const m = HASH_RE.exec(hash);
  if (!m) return false;
  const cost = Number(m[2]);
  if (cost < 4 || cost > 31) return false;
  const salt = b64Decode(m[3]!, 16);
  if (!salt || salt.length !== 16) return false;
  const computed = bcryptHash(password, cost, salt, m[1]!);
  const a = Buffer.from(computed);
  const b = Buffer.from(hash);
  return a.length === b.length && timingSafeEqual(a, b);
}
