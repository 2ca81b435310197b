import { createHash, type Hash } from 'node:crypto';
import { InvalidArgumentError } from '../base/index.js';

/** A content digest. berth only produces and accepts sha256: `sha256:<64 lowercase hex>`. */
export type Digest = `sha256:${string}`;

const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;
const HEX_RE = /^[a-f0-9]{64}$/;

export function isDigest(s: unknown): s is Digest {
  return typeof s === 'string' && DIGEST_RE.test(s);
}

export function isHex64(s: string): boolean {
  return HEX_RE.test(s);
}

/** Validates a digest string; throws InvalidArgumentError otherwise. */
export function parseDigest(s: string): Digest {
  if (isDigest(s)) return s;
  if (/^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/.test(s) && !s.startsWith('sha256:')) {
    throw new InvalidArgumentError(`unsupported digest algorithm: ${s}`);
  }
  throw new InvalidArgumentError(`invalid checksum digest format: ${s}`);
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export function digestOf(data: string | Uint8Array): Digest {
  return `sha256:${sha256Hex(data)}`;
}

/** `sha256:<hex>` → `<hex>`. */
export function digestHex(d: string): string {
  return d.startsWith('sha256:') ? d.slice(7) : d;
}

/** `<hex>` → `sha256:<hex>` (validated). */
export function digestFromHex(hex: string): Digest {
  return parseDigest(`sha256:${hex}`);
}

/** The 12-hex short form Docker prints (`sha256:` stripped). */
export function shortId(idOrDigest: string): string {
  return digestHex(idOrDigest).slice(0, 12);
}

/** Incremental sha256 digester (counts bytes too). */
export class Digester {
  private readonly hash: Hash = createHash('sha256');
  size = 0;
  update(chunk: Uint8Array): void {
    this.hash.update(chunk);
    this.size += chunk.length;
  }
  digest(): Digest {
    return `sha256:${this.hash.digest('hex')}`;
  }
}
