import type { FileHandle } from 'node:fs/promises';
import { UnavailableError } from '../base/index.js';
import { listLogFiles, openIfExists, readJsonLogFile } from './json-file.js';
import type { LogPump } from './log-pump.js';
import type { LogEntry } from './types.js';

export interface ReadLogsOptions {
  /** Continue with live entries from `pump` after the files (needs `pump`; without one only the files are read). */
  follow?: boolean;
  /** Only the last N entries of the files (undefined = all). Counted like Docker: before since/until/stream filters. */
  tail?: number;
  /** Entries at or after this instant (Date or ns since the epoch). */
  since?: Date | bigint;
  /** Entries at or before this instant; following ends at the first live entry after it. */
  until?: Date | bigint;
  stdout: boolean;
  stderr: boolean;
  signal?: AbortSignal;
  /** The live source when following. */
  pump?: LogPump;
  /** Resolves when the container has stopped and the pump was flushed: following ends then. */
  done?: Promise<void>;
  /** Live entries buffered for a slow reader before it is cut off (default 64 MiB). */
  maxBufferedBytes?: number;
}

function toNs(t: Date | bigint | undefined): bigint | undefined {
  if (t === undefined) return undefined;
  return typeof t === 'bigint' ? t : BigInt(t.getTime()) * 1_000_000n;
}

interface Snapshot {
  files: Array<{ fh: FileHandle; limit?: number }>;
}

async function openFiles(target: string, exactCurrent: boolean): Promise<Snapshot> {
  const files: Snapshot['files'] = [];
  try {
    for (const path of await listLogFiles(target)) {
      const fh = await openIfExists(path);
      if (!fh) continue;
      // While the pump is paused the current size is exactly what was emitted so far.
      files.push(exactCurrent && path === target ? { fh, limit: (await fh.stat()).size } : { fh });
    }
  } catch (err) {
    await Promise.all(files.map((f) => f.fh.close().catch(() => undefined)));
    throw err;
  }
  return { files };
}

/**
 * Reads a json-file log across its rotated files (oldest first), then, when following, the live entries of `pump`
 * until `done` resolves, `until` passes, or `signal` aborts. The switch from files to live entries happens while
 * the pump is paused, so nothing is lost or repeated.
 *
 * Slow followers: live entries are queued up to `maxBufferedBytes`; beyond that the iteration fails with
 * UnavailableError (the client is disconnected rather than memory growing without bound).
 */
export async function* readLogs(target: string, opts: ReadLogsOptions): AsyncGenerator<LogEntry> {
  const since = toNs(opts.since);
  const until = toNs(opts.until);
  const signal = opts.signal;
  if (signal?.aborted) return;
  const wantStream = (e: LogEntry): boolean => (e.stream === 'stdout' ? opts.stdout : opts.stderr);
  const inRange = (e: LogEntry): boolean => (since === undefined || e.timeNs >= since) && (until === undefined || e.timeNs <= until);

  const pump = opts.follow ? opts.pump : undefined;
  const following = pump !== undefined && (until === undefined || until > BigInt(Date.now()) * 1_000_000n);
  const maxBuffered = opts.maxBufferedBytes ?? 64 * 1024 * 1024;

  // Live queue (filled synchronously by the pump).
  const queue: LogEntry[] = [];
  let queuedBytes = 0;
  let overflow = false;
  let wake: (() => void) | undefined;
  const notify = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  let unsubscribe: (() => void) | undefined;

  let snap: Snapshot;
  if (following) {
    snap = await pump.exclusive(async () => {
      const s = await openFiles(target, true);
      unsubscribe = pump.subscribe((e) => {
        if (overflow || !wantStream(e)) return;
        queue.push(e);
        queuedBytes += e.line.length;
        if (queuedBytes > maxBuffered) overflow = true;
        notify();
      });
      return s;
    });
  } else {
    snap = await openFiles(target, false);
  }

  let ended = false;
  const onAbort = (): void => notify();
  signal?.addEventListener('abort', onAbort);
  const onDone = (): void => {
    ended = true;
    notify();
  };
  opts.done?.then(onDone, onDone);

  try {
    // ---- files
    const tail = opts.tail;
    if (tail !== undefined && tail <= 0) {
      // nothing from the files
    } else if (tail !== undefined) {
      const ring: LogEntry[] = [];
      let next = 0; // ring slot for the next entry once full
      for (const f of snap.files) {
        for await (const e of readJsonLogFile(f.fh, f.limit)) {
          if (ring.length < tail) ring.push(e);
          else {
            ring[next] = e;
            next = (next + 1) % tail;
          }
        }
        if (signal?.aborted) return;
      }
      for (const e of [...ring.slice(next), ...ring.slice(0, next)]) {
        if (signal?.aborted) return;
        if (inRange(e) && wantStream(e)) yield e;
      }
    } else {
      for (const f of snap.files) {
        for await (const e of readJsonLogFile(f.fh, f.limit)) {
          if (signal?.aborted) return;
          if (inRange(e) && wantStream(e)) yield e;
        }
      }
    }
    await closeAll(snap);

    // ---- live
    if (!following) return;
    for (;;) {
      while (queue.length) {
        if (signal?.aborted) return;
        const e = queue.shift()!;
        queuedBytes -= e.line.length;
        if (until !== undefined && e.timeNs > until) return;
        if (since !== undefined && e.timeNs < since) continue;
        yield e;
      }
      if (overflow) throw new UnavailableError('log reader too slow: live log buffer exceeded');
      if (signal?.aborted || ended) return;
      await new Promise<void>((resolve) => {
        wake = resolve;
        if (queue.length || overflow || ended || signal?.aborted) notify();
      });
    }
  } finally {
    unsubscribe?.();
    signal?.removeEventListener('abort', onAbort);
    await closeAll(snap);
  }
}

async function closeAll(snap: Snapshot): Promise<void> {
  const files = snap.files;
  snap.files = [];
  await Promise.all(files.map((f) => f.fh.close().catch(() => undefined)));
}
