import { spawn } from 'node:child_process';
import { PassThrough, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { InvalidArgumentError } from '../base/index.js';

export type Compression = 'none' | 'gzip' | 'bzip2' | 'xz' | 'zstd';

/** Detects the compression of a stream from its first bytes. */
export function detectCompression(head: Uint8Array): Compression {
  const b = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  if (b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b) return 'gzip';
  if (b.length >= 3 && b.subarray(0, 3).toString('latin1') === 'BZh') return 'bzip2';
  if (b.length >= 6 && b.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz';
  if (b.length >= 4 && b.subarray(0, 4).equals(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]))) return 'zstd';
  return 'none';
}

/**
 * Reads at least `n` bytes (or everything, if shorter) from `src` and returns them together with a stream that
 * yields the whole original content (head included): `src` itself, the head put back with unshift, so the bulk
 * of the data flows on without an extra stream in between. Nothing beyond the head is buffered.
 */
export async function peek(src: Readable, n: number): Promise<{ head: Buffer; stream: Readable }> {
  const chunks: Buffer[] = [];
  let len = 0;
  while (len < n) {
    const c = src.read() as Buffer | string | null;
    if (c !== null) {
      const b = typeof c === 'string' ? Buffer.from(c) : c;
      chunks.push(b);
      len += b.length;
      continue;
    }
    if (src.readableEnded || src.destroyed) break;
    const failed = await new Promise<Error | undefined>((resolve) => {
      const done = (err?: Error): void => {
        src.off('readable', onReadable);
        src.off('end', onEnd);
        src.off('error', done);
        src.off('close', onEnd);
        resolve(err);
      };
      const onReadable = (): void => done();
      const onEnd = (): void => done();
      src.on('readable', onReadable);
      src.on('end', onEnd);
      src.on('error', done);
      src.on('close', onEnd);
    });
    if (failed) throw failed;
  }
  const head = Buffer.concat(chunks);
  if (head.length && !src.readableEnded) src.unshift(head);
  else if (head.length) return { head, stream: Readable.from([head], { objectMode: false }) };
  return { head, stream: src };
}

/** Pipes `src` through an external decompressor (`prog -dc`); the output errors if the program fails. */
function external(src: Readable, prog: string): Readable {
  const child = spawn(prog, ['-dc'], { stdio: ['pipe', 'pipe', 'pipe'] });
  const out = new PassThrough();
  const stderr: Buffer[] = [];
  child.stderr!.on('data', (b: Buffer) => stderr.push(b));
  child.stdin!.on('error', () => undefined); // EPIPE when the decompressor quits early; reported via exit code
  src.on('error', (err) => {
    child.kill('SIGKILL');
    out.destroy(err);
  });
  src.pipe(child.stdin!);
  child.stdout!.pipe(out, { end: false });
  child.on('error', (err) => out.destroy(new InvalidArgumentError(`cannot run ${prog} to decompress: ${err.message}`)));
  child.on('close', (code, signal) => {
    if (code === 0) out.end();
    else out.destroy(new InvalidArgumentError(`${prog} decompression failed (${code ?? signal}): ${Buffer.concat(stderr).toString().trim()}`));
  });
  out.on('close', () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    if (!src.destroyed && !src.readableEnded) src.destroy();
  });
  return out;
}

/**
 * Returns an uncompressed view of a possibly compressed (gzip, bzip2, xz, zstd) stream; plain data passes
 * through untouched. gzip uses node:zlib; the others run `bzip2|xz|zstd -dc`.
 */
export async function decompressStream(src: Readable): Promise<{ stream: Readable; compression: Compression }> {
  const { head, stream } = await peek(src, 6);
  const compression = detectCompression(head);
  switch (compression) {
    case 'none':
      return { stream, compression };
    case 'gzip': {
      const gz = createGunzip({ chunkSize: 128 << 10 });
      let srcErr: Error | undefined;
      stream.on('error', (err) => { srcErr = err; gz.destroy(err); });
      stream.pipe(gz);
      const out = new PassThrough();
      // The source's own failure (a download cut short) passes as it is; only zlib's are about the data.
      gz.on('error', (err) => out.destroy(err === srcErr ? err : new InvalidArgumentError(`gzip decompression failed: ${err.message}`)));
      gz.pipe(out);
      return { stream: out, compression };
    }
    default:
      return { stream: external(stream, compression), compression };
  }
}
