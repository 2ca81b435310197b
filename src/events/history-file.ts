import { appendFile, readFile } from 'node:fs/promises';
import { errorMessage, errnoCode, log, writeFileAtomic } from '../base/index.js';
import type { Event } from './event-bus.js';

/** One persisted event: the exact stamp (ns, as a decimal string) and the event as sent. */
export interface HistoryRecord { ns: bigint; ev: Event }

/**
 * The event history on disk (JSON lines), so `events --since` still sees what happened before a daemon restart.
 * Appends are queued in order; the file is rewritten (temp + fsync + rename) with only the last `keep` events
 * whenever it grows past twice that. A torn last line (crash mid-append) is skipped on load.
 */
export class EventHistoryFile {
  private queue: Promise<void> = Promise.resolve();
  private lines = 0;
  private pending: string[] = [];
  private scheduled = false;
  private readonly tail: string[] = [];

  constructor(private readonly path: string, private readonly keep: number) {}

  /** Reads the kept events, oldest first, and compacts the file. */
  async load(): Promise<HistoryRecord[]> {
    let text = '';
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') log.warn('cannot read the event history', { path: this.path, error: errorMessage(err) });
    }
    const out: HistoryRecord[] = [];
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        const r = JSON.parse(line) as { ns: string; ev: Event };
        if (typeof r.ns === 'string' && /^\d+$/.test(r.ns) && r.ev && typeof r.ev.Action === 'string') out.push({ ns: BigInt(r.ns), ev: r.ev });
      } catch {
        /* torn or corrupt line */
      }
    }
    const kept = out.slice(-this.keep);
    this.tail.push(...kept.map(serialize));
    this.lines = this.tail.length;
    await this.rewrite(this.snapshot()).catch((err: unknown) => log.warn('cannot rewrite the event history', { path: this.path, error: errorMessage(err) }));
    return kept;
  }

  /**
   * Queues one event for appending (never throws; failures are logged). Events that arrive while a write is in
   * flight go out together in the next one: a container's create/start/die/destroy burst is one or two writes.
   */
  append(rec: HistoryRecord): void {
    const line = serialize(rec);
    this.tail.push(line);
    if (this.tail.length > this.keep) this.tail.splice(0, this.tail.length - this.keep);
    this.lines++;
    this.pending.push(line);
    if (this.scheduled) return;
    this.scheduled = true;
    this.queue = this.queue
      .then(() => {
        this.scheduled = false;
        const batch = this.pending.splice(0);
        if (this.lines > 2 * this.keep) {
          this.lines = this.tail.length;
          return this.rewrite(this.snapshot());
        }
        return appendFile(this.path, batch.map((l) => l + '\n').join(''));
      })
      .catch((err: unknown) => log.warn('cannot persist events', { path: this.path, error: errorMessage(err) }));
  }

  /** Resolves when every queued write is done. */
  flush(): Promise<void> {
    return this.queue;
  }

  private snapshot(): string {
    return this.tail.map((l) => l + '\n').join('');
  }

  private rewrite(text: string): Promise<void> {
    return writeFileAtomic(this.path, text);
  }
}

function serialize(r: HistoryRecord): string {
  return JSON.stringify({ ns: String(r.ns), ev: r.ev });
}
