import type { Readable, Writable } from 'node:stream';
import { finished } from 'node:stream/promises';

/**
 * Feeds `src` into a child process's stdin (with backpressure) and resolves once the child has everything it
 * wanted: when `src` ended, or when the child closed its stdin first (GNU tar stops reading after the archive's
 * end-of-archive blocks and exits, leaving the record padding unread: that is not an error, its exit status
 * says whether it succeeded). Rejects only when `src` itself fails (client gone, decompression error).
 *
 * After the child exits, call the returned `drain()` to discard whatever it left unread (so that an HTTP body
 * is consumed and its connection stays usable).
 */
export async function feedChildStdin(src: Readable, stdin: Writable): Promise<{ drain: () => void }> {
  stdin.on('error', () => undefined); // EPIPE once the child stopped reading: handled as "closed" below
  const srcDone = finished(src, { writable: false }).then(() => undefined, (err: unknown) => err as Error);
  const stdinClosed = new Promise<'closed'>((resolve) => {
    if (stdin.destroyed || stdin.closed) resolve('closed');
    stdin.once('close', () => resolve('closed'));
  });
  src.pipe(stdin);
  const first = await Promise.race([srcDone, stdinClosed]);
  if (first instanceof Error) {
    src.unpipe(stdin);
    stdin.destroy();
    throw first;
  }
  return {
    drain: () => {
      src.unpipe(stdin);
      if (!src.readableEnded && !src.destroyed) src.resume();
    },
  };
}
