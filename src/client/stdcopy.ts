import type { Readable, Writable } from 'node:stream';

/** Stream ids of Docker's multiplexed ("stdcopy") framing. */
export const STDIN = 0;
export const STDOUT = 1;
export const STDERR = 2;
/** Frame type the daemon uses for an error text (moby `Systemerr`). */
export const SYSTEMERR = 3;

const HEADER = 8;

/**
 * Incremental parser of stdcopy frames: `[type,0,0,0, uint32be length] payload`.
 * Feed chunks as they arrive; complete frames go to `onFrame`.
 */
export class StdcopyDemuxer {
  private buf: Buffer = Buffer.alloc(0);

  constructor(private readonly onFrame: (stream: number, payload: Buffer) => void) {}

  push(chunk: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    while (this.buf.length >= HEADER) {
      const type = this.buf[0]!;
      if (type > SYSTEMERR) throw new Error(`Unrecognized input header: ${type}`);
      const len = this.buf.readUInt32BE(4);
      if (this.buf.length < HEADER + len) break;
      const payload = this.buf.subarray(HEADER, HEADER + len);
      this.buf = this.buf.subarray(HEADER + len);
      this.onFrame(type, payload);
    }
  }

  /** Bytes of an incomplete frame left at the end. */
  get pending(): number {
    return this.buf.length;
  }
}

/** Encodes one stdcopy frame (used by tests and fakes). */
export function encodeFrame(stream: number, payload: Buffer | string): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const h = Buffer.alloc(HEADER);
  h[0] = stream;
  h.writeUInt32BE(body.length, 4);
  return Buffer.concat([h, body]);
}

function writeAsync(w: Writable, b: Buffer): Promise<void> | undefined {
  if (w.write(b)) return undefined;
  return new Promise((resolve) => w.once('drain', resolve));
}

/**
 * Copies a multiplexed stream to stdout/stderr until EOF (Go's `stdcopy.StdCopy`). A SYSTEMERR frame rejects
 * with its text. Honors back-pressure on the destinations.
 */
export async function demuxStream(src: Readable, stdout: Writable, stderr: Writable): Promise<void> {
  let failure: Error | undefined;
  const waits: Promise<void>[] = [];
  const d = new StdcopyDemuxer((stream, payload) => {
    if (stream === SYSTEMERR) { failure ??= new Error(payload.toString()); return; }
    const p = writeAsync(stream === STDERR ? stderr : stdout, payload);
    if (p) waits.push(p);
  });
  for await (const chunk of src) {
    d.push(chunk as Buffer);
    if (waits.length) { await Promise.all(waits.splice(0)); }
    if (failure) throw failure;
  }
}

/** Copies a raw (TTY) stream to `out` until EOF. */
export async function copyStream(src: Readable, out: Writable): Promise<void> {
  for await (const chunk of src) {
    const p = writeAsync(out, chunk as Buffer);
    if (p) await p;
  }
}
