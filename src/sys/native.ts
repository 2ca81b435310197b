import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Opaque handle to a socket owned by the native addon. */
export type NativeHandle = object & { readonly __native: unique symbol };

/** The functions of native/berth_native.c (built by `npm run setup`). */
export interface BerthNative {
  seqpacketOpen(path: string, onData: (data: Buffer | null, error?: string) => void): NativeHandle;
  seqpacketWrite(h: NativeHandle, data: Buffer): number;
  seqpacketShutdown(h: NativeHandle): void;
  seqpacketPause(h: NativeHandle): void;
  seqpacketResume(h: NativeHandle): void;
  seqpacketClose(h: NativeHandle): void;
  /** mount(2) on the thread pool; rejects with an Error carrying `code` ('EINVAL'...) and `errno`. */
  mount(source: string | null, target: string, fstype: string | null, flags: number, data: string | null): Promise<void>;
  /** umount2(2) on the thread pool (flags: MNT_DETACH = 2...). */
  umount2(target: string, flags: number): Promise<void>;
}

/** The addon when it is built, else undefined (callers fall back to spawning a program). */
export function tryLoadNative(): BerthNative | undefined {
  try {
    return loadNative();
  } catch {
    return undefined;
  }
}

let cached: BerthNative | undefined;

/** Loads the addon from native/build/Release (found from both src/ and dist/src/). */
export function loadNative(): BerthNative {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const p = join(dir, 'native', 'build', 'Release', 'berth_native.node');
    if (existsSync(p)) {
      cached = createRequire(import.meta.url)(p) as BerthNative;
      return cached;
    }
    dir = dirname(dir);
  }
  throw new Error('berth native addon not built: run `npm run setup` (needs python3, make, g++)');
}
