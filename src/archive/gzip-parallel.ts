import { availableParallelism } from 'node:os';
import { open } from 'node:fs/promises';
import zlib from 'node:zlib';
import { Semaphore } from '../base/index.js';

/**
 * gzip of a file, compressed in independent 1 MiB blocks on libuv's thread pool (pigz's scheme): each block is a
 * raw deflate segment ended by a sync flush, primed with the previous block's last 32 KiB as dictionary, so the
 * segments concatenate into one deflate stream and lose almost nothing against one long stream. Blocks that look
 * incompressible (byte entropy near 8 bits, such as random or already compressed data) are stored (level 0)
 * instead of being searched for matches. The output is deterministic: the same file gives the same bytes.
 */
export const GZIP_BLOCK = 1 << 20;
const WINDOW = 32 << 10;
/** zlib level of compressible blocks: about as small as 6 on binaries, two to three times as fast. */
export const GZIP_LEVEL = 4;
const IN_FLIGHT = 4;

/** Compression jobs of the whole process at once: one per core, leaving thread-pool room for file I/O. */
const cores = new Semaphore(Math.max(1, Math.min(4, availableParallelism())));

// gzip header: magic, deflate, no flags, mtime 0, no extra flags, OS unknown (as Go writes it).
const HEADER = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
// A final empty block with fixed Huffman codes, after the byte-aligned sync flush of the last segment.
const FINAL_BLOCK = Buffer.from([0x03, 0x00]);

type Crc32 = (data: Uint8Array, value?: number) => number;
let crcTable: Uint32Array | undefined;
function crc32Js(data: Uint8Array, value = 0): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = ~value >>> 0;
  for (let i = 0; i < data.length; i++) c = crcTable[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}
/** zlib.crc32 (Node 20.15+), else a table in JavaScript. */
const crc32: Crc32 = (zlib as unknown as { crc32?: Crc32 }).crc32 ?? crc32Js;

/** True when a block's bytes are spread almost evenly (sampled byte entropy above 7.9 bits). */
export function looksIncompressible(b: Buffer): boolean {
  if (b.length < 4096) return false;
  const counts = new Uint32Array(256);
  const step = b.length >= 1 << 16 ? 7 : 1;
  let n = 0;
  for (let i = 0; i < b.length; i += step) { counts[b[i]!]!++; n++; }
  let h = 0;
  for (let i = 0; i < 256; i++) {
    const c = counts[i]!;
    if (c) { const p = c / n; h -= p * Math.log2(p); }
  }
  return h > 7.9;
}

function deflateSegment(block: Buffer, dictionary: Buffer | undefined, signal?: AbortSignal): Promise<Buffer> {
  const stored = looksIncompressible(block);
  return cores.acquire(signal).then(() => new Promise<Buffer>((resolve, reject) => {
    const opts: zlib.ZlibOptions = {
      level: stored ? 0 : GZIP_LEVEL, finishFlush: zlib.constants.Z_SYNC_FLUSH, chunkSize: 256 << 10,
      ...(dictionary && !stored ? { dictionary } : {}),
    };
    zlib.deflateRaw(block, opts, (err, out) => {
      cores.release();
      if (err) reject(err);
      else resolve(out);
    });
  }));
}

async function readBlock(fh: import('node:fs/promises').FileHandle, pos: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(GZIP_BLOCK);
  let n = 0;
  while (n < GZIP_BLOCK) {
    const { bytesRead } = await fh.read(buf, n, GZIP_BLOCK - n, pos + n);
    if (bytesRead === 0) break;
    n += bytesRead;
  }
  return buf.subarray(0, n);
}

/**
 * Writes the gzip of the file at `path` through `write` (awaited: its backpressure holds the reading back).
 * `onRead` gets the count of input bytes whose compressed form has been written.
 */
export async function gzipFile(path: string, write: (chunk: Buffer) => Promise<void>, opts: { signal?: AbortSignal; onRead?: (n: number) => void } = {}): Promise<void> {
  const fh = await open(path, 'r');
  const inflight: Array<{ out: Promise<Buffer>; end: number }> = [];
  try {
    await write(HEADER);
    let crc = 0;
    let pos = 0;
    let eof = false;
    let tail: Buffer | undefined;
    while (!eof || inflight.length) {
      while (!eof && inflight.length < IN_FLIGHT) {
        opts.signal?.throwIfAborted();
        const block = await readBlock(fh, pos);
        if (block.length < GZIP_BLOCK) eof = true;
        if (!block.length) break;
        pos += block.length;
        crc = crc32(block, crc);
        const out = deflateSegment(block, tail, opts.signal);
        void out.catch(() => undefined); // awaited in order below; a later one may fail first
        inflight.push({ out, end: pos });
        tail = block.length > WINDOW ? block.subarray(block.length - WINDOW) : Buffer.concat([tail ?? Buffer.alloc(0), block]).subarray(-WINDOW);
      }
      const next = inflight.shift();
      if (!next) continue;
      await write(await next.out);
      opts.onRead?.(next.end);
    }
    const trailer = Buffer.alloc(8);
    trailer.writeUInt32LE(crc >>> 0, 0);
    trailer.writeUInt32LE(pos % 2 ** 32, 4);
    await write(Buffer.concat([FINAL_BLOCK, trailer]));
  } finally {
    await Promise.allSettled(inflight.map((x) => x.out));
    await fh.close();
  }
}
