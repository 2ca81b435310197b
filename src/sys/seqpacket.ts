import { Duplex } from 'node:stream';
import { loadNative, type BerthNative, type NativeHandle } from './native.js';

/** Largest packet written; conmon reads its attach socket in 8 KiB-and-more buffers, so stay below. */
const MAX_PACKET = 4096;

/**
 * A connected SOCK_SEQPACKET unix socket (conmon's attach socket) as a Duplex: each readable chunk is one
 * packet as received; each written buffer is sent as packets of at most 4 KiB; `end()` shuts the write side
 * down (end of stdin for the peer). Paths longer than sun_path are fine.
 */
export class SeqpacketSocket extends Duplex {
  private readonly n: BerthNative;
  private readonly h: NativeHandle;
  private shut = false;

  private constructor(path: string, native: BerthNative) {
    super({ allowHalfOpen: true });
    this.n = native;
    this.h = native.seqpacketOpen(path, (data, error) => {
      if (data) {
        if (!this.push(data)) this.n.seqpacketPause(this.h);
      } else if (error) {
        this.destroy(new Error(`attach socket: ${error}`));
      } else {
        this.push(null);
      }
    });
  }

  /** Connects (synchronously: unix sockets connect at once or fail). */
  static connect(path: string): SeqpacketSocket {
    return new SeqpacketSocket(path, loadNative());
  }

  override _read(): void {
    if (!this.shut) this.n.seqpacketResume(this.h);
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    let off = 0;
    const step = (): void => {
      while (off < chunk.length) {
        if (this.shut) return cb(new Error('attach socket closed'));
        const piece = chunk.subarray(off, off + MAX_PACKET);
        const n = this.n.seqpacketWrite(this.h, piece);
        if (n === -11) {
          // EAGAIN: the peer's buffer is full; try again shortly.
          setTimeout(step, 5);
          return;
        }
        if (n < 0) return cb(new Error(`attach socket write failed (errno ${-n})`));
        off += n;
      }
      cb();
    };
    step();
  }

  override _final(cb: (err?: Error | null) => void): void {
    if (!this.shut) this.n.seqpacketShutdown(this.h);
    cb();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    if (!this.shut) {
      this.shut = true;
      this.n.seqpacketClose(this.h);
    }
    cb(err);
  }
}
