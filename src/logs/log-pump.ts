/**
 * LogPump: follows conmon's k8s-file log of one container and appends it, converted, to Docker's json-file log.
 *
 * Position and crash safety: the state file records the source position (inode + offset of the first byte not
 * yet turned into written entries), the pending partial lines, and the target's inode and size at that moment.
 * Entries are always appended to the target before the state is persisted; on start a pump truncates whatever the
 * target holds beyond the recorded size (written but not committed by a pump that died) and re-reads from the
 * recorded offset, so a restart neither duplicates nor loses entries. The state is persisted right before every
 * target rotation, so a target with another inode than the recorded one holds only uncommitted entries.
 */
import { watch, type FSWatcher } from 'node:fs';
import { mkdir, open, rename, stat, truncate, writeFile, type FileHandle } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { InvalidArgumentError, errnoCode, errorMessage, log, readJsonIfExists, writeJsonAtomic } from '../base/index.js';
import { K8sJoiner, splitK8sRecords, type JoinerState, type K8sRecordAt } from './k8s-file.js';
import { encodeJsonLogLine, rotateLogFiles } from './json-file.js';
import { Mutex } from './mutex.js';
import type { LogEntry } from './types.js';

export interface LogPumpOptions {
  /** conmon's k8s-file log. */
  source: string;
  /** The json-file log (`<id>-json.log`). */
  target: string;
  /** Rotate the target once it holds at least this many bytes (Docker's max-size); unset = never. */
  maxSize?: number;
  /** Files kept in all, the current one included (Docker's max-file, default 1). Only used with maxSize. */
  maxFile?: number;
  /** Where the consumed position is persisted. */
  statePath: string;
  /** Poll fallback interval (default 100 ms). */
  pollIntervalMs?: number;
  /** A partial line (no newline yet) is written out after this long without continuation (default 100 ms). */
  partialFlushMs?: number;
  /** Longest joined line before it is written in pieces (default 16 KiB, like Docker). */
  maxLine?: number;
}

interface PumpState {
  version: 1;
  source: { ino: number; offset: number } | null;
  pending: JoinerState;
  target: { ino: number; size: number } | null;
}

const READ_CHUNK = 64 * 1024;
/** A record longer than this without a newline is not conmon's doing: drop it rather than buffer forever. */
const MAX_CARRY = 1024 * 1024;

export class LogPump {
  readonly source: string;
  readonly target: string;
  readonly statePath: string;
  private readonly maxSize: number | undefined;
  private readonly maxFile: number;
  private readonly pollMs: number;
  private readonly partialFlushMs: number;
  private readonly joiner: K8sJoiner;
  private readonly subscribers = new Set<(e: LogEntry) => void>();
  private readonly mutex = new Mutex();
  private readonly readBuf = Buffer.alloc(READ_CHUNK);

  // source
  private src: FileHandle | undefined;
  private srcIno = 0;
  private readPos = 0;
  private carry: Buffer = Buffer.alloc(0);
  private restoredSource: { ino: number; offset: number } | null = null;
  // target
  private out: FileHandle | undefined;
  private outIno = 0;
  private outSize = 0;
  private outBuf: Buffer[] = [];
  private outBufLen = 0;
  private toEmit: LogEntry[] = [];
  private dirty = false;

  private initP: Promise<void> | undefined;
  private chain: Promise<void> = Promise.resolve();
  private queued = false;
  private started = false;
  private stopped = false;
  private watcher: FSWatcher | undefined;
  private poll: NodeJS.Timeout | undefined;
  private partialTimer: NodeJS.Timeout | undefined;

  constructor(opts: LogPumpOptions) {
    if (opts.maxSize !== undefined && !(Number.isFinite(opts.maxSize) && opts.maxSize > 0)) {
      throw new InvalidArgumentError('max-size must be a positive number');
    }
    if (opts.maxFile !== undefined && !(Number.isInteger(opts.maxFile) && opts.maxFile >= 1)) {
      throw new InvalidArgumentError('max-file cannot be less than 1');
    }
    this.source = opts.source;
    this.target = opts.target;
    this.statePath = opts.statePath;
    this.maxSize = opts.maxSize;
    this.maxFile = opts.maxFile ?? 1;
    this.pollMs = opts.pollIntervalMs ?? 100;
    this.partialFlushMs = opts.partialFlushMs ?? 100;
    this.joiner = new K8sJoiner(opts.maxLine !== undefined ? { maxLine: opts.maxLine } : {});
  }

  /** Starts following the source (returns at once; errors are logged and retried on the next poll). */
  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    this.startWatcher();
    this.poll = setInterval(() => {
      if (!this.watcher) this.startWatcher();
      this.kick();
    }, this.pollMs);
    this.kick();
  }

  /** Reads the source to its current end and writes everything out, partial last lines included. */
  flush(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    const p = this.chain.then(() => this.round(true));
    this.chain = p.catch(() => undefined);
    return p;
  }

  /** Stops following; persists the position (pending partial lines included) for the next pump. */
  async stop(): Promise<void> {
    if (this.stopped) {
      await this.chain;
      return;
    }
    this.stopped = true;
    this.watcher?.close();
    this.watcher = undefined;
    if (this.poll) clearInterval(this.poll);
    if (this.partialTimer) clearTimeout(this.partialTimer);
    await this.chain;
    await this.mutex.run(async () => {
      try {
        if (this.initP) {
          await this.initP;
          await this.writeOut();
          await this.persist(this.checkpoint(), true);
        }
      } finally {
        await this.src?.close().catch(() => undefined);
        await this.out?.close().catch(() => undefined);
        this.src = undefined;
        this.out = undefined;
      }
    });
  }

  /** Calls `fn` with every entry written from now on (after it is in the target). Returns the unsubscriber. */
  subscribe(fn: (e: LogEntry) => void): () => void {
    const wrapped = (e: LogEntry): void => fn(e);
    this.subscribers.add(wrapped);
    return () => {
      this.subscribers.delete(wrapped);
    };
  }

  /**
   * Runs `fn` while no entry is being written: the target files then hold exactly the entries emitted to
   * subscribers so far (used by readLogs to switch from the files to a subscription without gaps or duplicates).
   */
  exclusive<T>(fn: () => Promise<T> | T): Promise<T> {
    return this.mutex.run(fn);
  }

  // ------------------------------------------------------------------ scheduling

  private startWatcher(): void {
    if (this.stopped) return;
    const dir = dirname(this.source);
    const names = new Set([basename(this.source), `${basename(this.source)}.tmp`]);
    try {
      this.watcher = watch(dir, { persistent: false }, (_ev, name) => {
        if (name === null || names.has(name.toString())) this.kick();
      });
      this.watcher.on('error', () => {
        this.watcher?.close();
        this.watcher = undefined;
      });
    } catch {
      this.watcher = undefined; // the directory may not exist yet: polling covers it
    }
  }

  private kick(): void {
    if (!this.started || this.stopped || this.queued) return;
    this.queued = true;
    this.chain = this.chain.then(async () => {
      this.queued = false;
      try {
        await this.round(false);
      } catch (err) {
        log.warn('log pump failed', { source: this.source, error: errorMessage(err) });
      }
    });
  }

  /** Reads everything available; `final` also writes out pending partial lines. */
  private async round(final: boolean): Promise<void> {
    await this.init();
    for (;;) {
      if (this.stopped && !final) return;
      const progressed = await this.mutex.run(() => this.step());
      if (!progressed) break;
    }
    await this.mutex.run(async () => {
      if (this.joiner.hasPending()) {
        const age = Date.now() - (this.joiner.lastPartialAt() ?? 0);
        if (final || age >= this.partialFlushMs) {
          if (this.needsRotation()) {
            await this.writeOut();
            await this.persist(this.checkpoint());
            await this.rotate();
          }
          for (const e of this.joiner.flushPartials()) this.append(e);
          this.dirty = true;
        } else if (!this.stopped && !this.partialTimer) {
          this.partialTimer = setTimeout(() => {
            this.partialTimer = undefined;
            this.kick();
          }, this.partialFlushMs - age);
        }
      }
      await this.writeOut();
      if (this.dirty || final) await this.persist(this.checkpoint(), final);
    });
  }

  // ------------------------------------------------------------------ state

  private init(): Promise<void> {
    this.initP ??= (async () => {
      const st = await readJsonIfExists<PumpState>(this.statePath);
      if (st?.version === 1) {
        this.restoredSource = st.source;
        this.joiner.importState(st.pending);
        if (st.target) await this.recoverTarget(st.target);
      }
    })();
    return this.initP;
  }

  /** Drops entries a previous pump wrote after its last persisted position (they will be read again). */
  private async recoverTarget(t: { ino: number; size: number }): Promise<void> {
    let s;
    try {
      s = await stat(this.target);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return;
      throw err;
    }
    const keep = s.ino === t.ino ? t.size : 0;
    if (s.size > keep) {
      log.debug('dropping uncommitted log entries', { target: this.target, bytes: s.size - keep });
      await truncate(this.target, keep);
    }
  }

  private checkpoint(): PumpState {
    return {
      version: 1,
      source: this.src ? { ino: this.srcIno, offset: this.readPos - this.carry.length } : this.restoredSource,
      pending: this.joiner.exportState(),
      target: this.out ? { ino: this.outIno, size: this.outSize } : null,
    };
  }

  private async persist(st: PumpState, durable = false): Promise<void> {
    if (durable) {
      await writeJsonAtomic(this.statePath, st);
    } else {
      // Safe against a crash of this process (not against power loss), and cheap.
      await mkdir(dirname(this.statePath), { recursive: true });
      const tmp = `${this.statePath}.tmp`;
      await writeFile(tmp, JSON.stringify(st) + '\n');
      await rename(tmp, this.statePath);
    }
    this.dirty = false;
  }

  // ------------------------------------------------------------------ source

  /** One read (or a source switch). Returns whether anything happened. */
  private async step(): Promise<boolean> {
    if (!this.src && !(await this.openSource())) return false;
    const { bytesRead } = await this.src!.read(this.readBuf, 0, this.readBuf.length, this.readPos);
    if (bytesRead > 0) {
      this.readPos += bytesRead;
      await this.process(this.readBuf.subarray(0, bytesRead));
      await this.writeOut();
      return true;
    }
    // At the end of our fd: has conmon rotated (renamed a new file over the path) or truncated it?
    let s;
    try {
      s = await stat(this.source);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return false;
      throw err;
    }
    if (s.ino !== this.srcIno) {
      // conmon closed the old file before the rename; read what it wrote after our last read, then switch.
      for (;;) {
        const r = await this.src!.read(this.readBuf, 0, this.readBuf.length, this.readPos);
        if (r.bytesRead === 0) break;
        this.readPos += r.bytesRead;
        await this.process(this.readBuf.subarray(0, r.bytesRead));
      }
      if (this.carry.length) log.warn('dropping an unterminated record at the end of a rotated log', { source: this.source });
      await this.writeOut();
      await this.src!.close().catch(() => undefined);
      this.src = undefined;
      this.carry = Buffer.alloc(0);
      this.dirty = true;
      return true;
    }
    if (s.size < this.readPos) {
      log.warn('container log was truncated; reading it from the start', { source: this.source });
      this.readPos = 0;
      this.carry = Buffer.alloc(0);
      this.dirty = true;
      return true;
    }
    return false;
  }

  private async openSource(): Promise<boolean> {
    let fh: FileHandle;
    try {
      fh = await open(this.source, 'r');
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return false;
      throw err;
    }
    const s = await fh.stat();
    this.src = fh;
    this.srcIno = s.ino;
    this.readPos = 0;
    this.carry = Buffer.alloc(0);
    const r = this.restoredSource;
    this.restoredSource = null;
    if (r) {
      if (r.ino === s.ino && r.offset <= s.size) this.readPos = r.offset;
      else if (r.ino !== s.ino) log.warn('container log was rotated while not followed; some output may be lost', { source: this.source });
    }
    this.dirty = true;
    return true;
  }

  private async process(chunk: Buffer): Promise<void> {
    const data = this.carry.length ? Buffer.concat([this.carry, chunk]) : chunk;
    const base = this.readPos - data.length;
    const { records, consumed, malformed } = splitK8sRecords(data, base);
    if (malformed) log.warn('skipping malformed container log records', { source: this.source, count: malformed });
    for (const rec of records) {
      if (this.joiner.willEmit(rec) && this.needsRotation()) await this.rotateBefore(rec);
      const e = this.joiner.push(rec);
      if (e) this.append(e);
    }
    this.carry = Buffer.from(data.subarray(consumed));
    if (this.carry.length > MAX_CARRY) {
      log.warn('dropping an overlong unterminated container log record', { source: this.source });
      this.carry = Buffer.alloc(0);
    }
    this.dirty = true;
  }

  /** Commits the position just before `rec`, then rotates the target. */
  private async rotateBefore(rec: K8sRecordAt): Promise<void> {
    await this.writeOut();
    await this.persist({ ...this.checkpoint(), source: { ino: this.srcIno, offset: rec.start } });
    await this.rotate();
  }

  // ------------------------------------------------------------------ target

  private needsRotation(): boolean {
    return this.maxSize !== undefined && this.outSize + this.outBufLen >= this.maxSize;
  }

  private append(e: LogEntry): void {
    const b = encodeJsonLogLine(e);
    this.outBuf.push(b);
    this.outBufLen += b.length;
    this.toEmit.push(e);
  }

  private async openTarget(): Promise<void> {
    await mkdir(dirname(this.target), { recursive: true });
    const fh = await open(this.target, 'a', 0o640);
    const s = await fh.stat();
    this.out = fh;
    this.outIno = s.ino;
    this.outSize = s.size;
  }

  private async writeOut(): Promise<void> {
    if (this.outBuf.length === 0) return;
    if (!this.out) await this.openTarget();
    const data = this.outBuf.length === 1 ? this.outBuf[0]! : Buffer.concat(this.outBuf, this.outBufLen);
    let off = 0;
    while (off < data.length) {
      const { bytesWritten } = await this.out!.write(data, off, data.length - off);
      off += bytesWritten;
    }
    this.outSize += data.length;
    this.outBuf = [];
    this.outBufLen = 0;
    const entries = this.toEmit;
    this.toEmit = [];
    this.dirty = true;
    for (const e of entries) {
      for (const fn of this.subscribers) {
        try {
          fn(e);
        } catch (err) {
          log.warn('log subscriber failed', { error: errorMessage(err) });
        }
      }
    }
  }

  private async rotate(): Promise<void> {
    if (!this.out) await this.openTarget();
    await this.out!.close();
    this.out = undefined;
    await rotateLogFiles(this.target, this.maxFile);
    await this.openTarget();
  }
}
