/**
 * Docker's stdcopy multiplexing: each frame is an 8-byte header `[stream, 0, 0, 0, uint32 BE length]` + payload.
 * Stream 0 = stdin, 1 = stdout, 2 = stderr (3 = daemon error text).
 */
export type StdStream = 0 | 1 | 2 | 3;

export const STDIN = 0;
export const STDOUT = 1;
export const STDERR = 2;
export const SYSTEMERR = 3;

const HEADER = 8;
const MAX_FRAME = 0xffffffff;

/** One frame: header + payload (payloads over 4 GiB - 1 are split into several frames). */
export function frame(stream: StdStream, payload: Buffer): Buffer {
  if (payload.length <= MAX_FRAME) {
    const h = Buffer.alloc(HEADER);
    h[0] = stream;
    h.writeUInt32BE(payload.length, 4);
    return Buffer.concat([h, payload], HEADER + payload.length);
  }
  const parts: Buffer[] = [];
  for (let off = 0; off < payload.length; off += MAX_FRAME) parts.push(frame(stream, payload.subarray(off, off + MAX_FRAME)));
  return Buffer.concat(parts);
}

export interface Frame { stream: StdStream; payload: Buffer }

/**
 * Splits a multiplexed byte stream into frames, whatever the chunk boundaries. `push` returns the frames completed
 * by that chunk (and calls `onFrame` for each, if given).
 */
export class Demuxer {
  private chunks: Buffer[] = [];
  private length = 0;
  private header: { stream: StdStream; size: number } | undefined;

  constructor(private readonly onFrame?: (stream: StdStream, payload: Buffer) => void) {}

  push(chunk: Buffer): Frame[] {
    if (chunk.length) {
      this.chunks.push(chunk);
      this.length += chunk.length;
    }
    const out: Frame[] = [];
    for (;;) {
      if (!this.header) {
        if (this.length < HEADER) break;
        const h = this.take(HEADER);
        const stream = h[0]!;
        if (stream > 3) throw new Error(`stdcopy: unknown stream type ${stream}`);
        this.header = { stream: stream as StdStream, size: h.readUInt32BE(4) };
      }
      if (this.length < this.header.size) break;
      const f: Frame = { stream: this.header.stream, payload: this.take(this.header.size) };
      this.header = undefined;
      out.push(f);
      this.onFrame?.(f.stream, f.payload);
    }
    return out;
  }

  /** Bytes held back waiting for the rest of a frame. */
  get buffered(): number {
    return this.length + (this.header ? HEADER : 0);
  }

  /** End of input: throws when a frame is incomplete. */
  end(): void {
    if (this.buffered) throw new Error(`stdcopy: stream ended inside a frame (${this.buffered} bytes left)`);
  }

  private take(n: number): Buffer {
    if (n === 0) return Buffer.alloc(0);
    const first = this.chunks[0]!;
    let out: Buffer;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
    } else {
      out = Buffer.allocUnsafe(n);
      let off = 0;
      while (off < n) {
        const c = this.chunks[0]!;
        const k = Math.min(c.length, n - off);
        c.copy(out, off, 0, k);
        off += k;
        if (k === c.length) this.chunks.shift();
        else this.chunks[0] = c.subarray(k);
      }
    }
    this.length -= n;
    return out;
  }
}
