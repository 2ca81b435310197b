import { CancelledError } from '../base/index.js';
import type { Progress, ProgressMessage } from './pull.js';

/** One running pull and the clients waiting for it. */
class Job {
  readonly ac = new AbortController();
  waiters = 0;
  settled = false;
  done: Promise<void> = Promise.resolve();
  private readonly listeners = new Set<Progress>();
  /** What a client joining late is shown first: the latest message of each progress line, in first-seen order. */
  private readonly lines: ProgressMessage[] = [];
  private readonly lineOf = new Map<string, number>();

  emit(m: ProgressMessage): void {
    const i = m.id === undefined ? undefined : this.lineOf.get(m.id);
    if (i !== undefined) {
      this.lines[i] = m;
    } else {
      if (m.id !== undefined) this.lineOf.set(m.id, this.lines.length);
      this.lines.push(m);
    }
    for (const l of this.listeners) l(m);
  }

  attach(p: Progress): void {
    for (const m of this.lines) p(m);
    this.listeners.add(p);
  }

  detach(p: Progress): void {
    this.listeners.delete(p);
  }
}

const cancelled = (): CancelledError => new CancelledError('context canceled');

/**
 * Concurrent identical pulls (same name, reference, platform and credentials: the caller's `key`) share one job,
 * as dockerd's clients share its transfers: every client gets the job's progress (one that joins late first gets
 * the latest message of each line so far) and its outcome. A client whose signal aborts (its connection closed)
 * only leaves; the job itself is aborted when the last client has left, and that client's call returns once the
 * job has wound down (what it had added dropped).
 */
export class PullJobs {
  private readonly jobs = new Map<string, Job>();

  async run(key: string, start: (signal: AbortSignal, progress: Progress) => Promise<void>, progress: Progress, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) throw cancelled();
    const existing = this.jobs.get(key);
    const j = existing ?? new Job();
    j.waiters++;
    j.attach(progress);
    if (!existing) {
      this.jobs.set(key, j);
      j.done = (async () => start(j.ac.signal, (m) => j.emit(m)))().finally(() => {
        j.settled = true;
        if (this.jobs.get(key) === j) this.jobs.delete(key);
      });
      j.done.catch(() => undefined); // every waiter may have left: the outcome is then nobody's
    }
    let onAbort: (() => void) | undefined;
    const left = new Promise<void>((resolve) => {
      onAbort = resolve;
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    try {
      const outcome = await Promise.race([j.done.then(() => 'done' as const), left.then(() => 'left' as const)]);
      if (outcome === 'left') throw cancelled();
    } finally {
      if (onAbort) signal?.removeEventListener('abort', onAbort);
      onAbort?.();
      j.detach(progress);
      j.waiters--;
      if (j.waiters === 0 && !j.settled) {
        if (this.jobs.get(key) === j) this.jobs.delete(key);
        j.ac.abort(cancelled());
        await j.done.catch(() => undefined);
      }
    }
  }

  /** Jobs running (for tests and diagnostics). */
  get size(): number {
    return this.jobs.size;
  }
}
