/**
 * Detach keys as Docker spells them ("ctrl-p,ctrl-q", "a,ctrl-@"): a comma-separated list of single characters or
 * `ctrl-<c>` for c in @, a-z, [, \, ], ^, _. The matcher plays the role of Docker's escape proxy: bytes that could
 * start the sequence are held back until the sequence completes (detach) or breaks (they are released).
 */
import { InvalidArgumentError } from './errors.js';

export const DEFAULT_DETACH_KEYS = 'ctrl-p,ctrl-q';

const CTRL = '@abcdefghijklmnopqrstuvwxyz[\\]^_';

/** Parses a detach-keys string; throws InvalidArgumentError with Docker's daemon wording on a bad key. */
export function parseDetachKeys(keys: string): Buffer {
  const codes: number[] = [];
  for (const key of keys.split(',')) {
    if (key.length === 1) {
      codes.push(key.charCodeAt(0));
      continue;
    }
    const m = /^ctrl-(.)$/.exec(key.toLowerCase());
    const idx = m ? CTRL.indexOf(m[1]!) : -1;
    if (idx < 0) throw new InvalidArgumentError(`Invalid detach keys (${keys}) provided`);
    codes.push(idx);
  }
  return Buffer.from(codes);
}

export type DetachResult = { data: Buffer; detached: boolean };

/** Streams input through the detach-key sequence. An empty sequence never detaches. */
export class DetachKeyMatcher {
  private held = 0;

  constructor(private readonly keys: Buffer) {}

  /** Returns the bytes to pass on and whether the sequence completed (bytes after it are dropped). */
  push(chunk: Buffer): DetachResult {
    if (this.keys.length === 0) return { data: chunk, detached: false };
    const out: number[] = [];
    for (const b of chunk) {
      if (b === this.keys[this.held]) {
        this.held++;
        if (this.held === this.keys.length) {
          this.held = 0;
          return { data: Buffer.from(out), detached: true };
        }
        continue;
      }
      // Mismatch: release what was held, then retry this byte as a fresh start.
      for (let i = 0; i < this.held; i++) out.push(this.keys[i]!);
      this.held = 0;
      if (b === this.keys[0]) {
        this.held = 1;
        if (this.keys.length === 1) return { data: Buffer.from(out), detached: true };
      } else {
        out.push(b);
      }
    }
    return { data: Buffer.from(out), detached: false };
  }

  /** Bytes held back at the end of input (passed on when stdin ends). */
  flush(): Buffer {
    const b = this.keys.subarray(0, this.held);
    this.held = 0;
    return Buffer.from(b);
  }
}
