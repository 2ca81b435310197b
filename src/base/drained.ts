import type { Writable } from 'node:stream';

/**
 * Resolves when `w` emits 'drain' (after a write returned false), or when it closes or fails, whichever comes
 * first: a destroyed stream never drains, so waiting for 'drain' alone could hang. The caller checks
 * `w.destroyed` afterwards when it matters.
 */
export function drained(w: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      w.off('drain', done);
      w.off('close', done);
      w.off('error', done);
      resolve();
    };
    w.on('drain', done);
    w.on('close', done);
    w.on('error', done);
  });
}
