/**
 * conmon's CRI "k8s-file" log format: one record per line,
 * `<RFC3339Nano timestamp> <stdout|stderr> <F|P> <content>\n`.
 * `P` marks a partial line continued by the next record of the same stream; `F` ends the line
 * (the newline was in the output and is not part of <content>).
 */
import type { LogEntry } from './types.js';
import { formatRfc3339Nano, parseRfc3339Ns } from './time.js';

export type LogStream = 'stdout' | 'stderr';

export interface K8sRecord {
  timeNs: bigint;
  stream: LogStream;
  /** True for `P` (no newline after content yet). */
  partial: boolean;
  content: Buffer;
}

export interface K8sRecordAt extends K8sRecord {
  /** Byte offset of the record's first byte (relative to the `base` given to splitK8sRecords). */
  start: number;
  /** Byte offset just past the record's newline. */
  end: number;
}

const SP = 0x20;
const NL = 0x0a;

/** Parses one record (without its trailing newline); undefined when malformed. */
export function parseK8sLine(line: Buffer): K8sRecord | undefined {
  const s1 = line.indexOf(SP);
  if (s1 <= 0) return undefined;
  const s2 = line.indexOf(SP, s1 + 1);
  if (s2 < 0) return undefined;
  const stream = line.toString('latin1', s1 + 1, s2);
  if (stream !== 'stdout' && stream !== 'stderr') return undefined;
  const s3 = line.indexOf(SP, s2 + 1);
  const tags = line.toString('latin1', s2 + 1, s3 < 0 ? line.length : s3);
  if (tags === '') return undefined;
  const timeNs = parseRfc3339Ns(line.toString('latin1', 0, s1));
  if (timeNs === undefined) return undefined;
  const partial = tags.split(':').includes('P');
  const content = s3 < 0 ? Buffer.alloc(0) : line.subarray(s3 + 1);
  return { timeNs, stream, partial, content };
}

/**
 * Splits the complete records out of `buf`. A trailing line without its newline is not consumed
 * (the writer has not finished it: wait for more). Malformed lines are consumed and counted.
 */
export function splitK8sRecords(buf: Buffer, base = 0): { records: K8sRecordAt[]; consumed: number; malformed: number } {
  const records: K8sRecordAt[] = [];
  let pos = 0;
  let malformed = 0;
  for (;;) {
    const nl = buf.indexOf(NL, pos);
    if (nl < 0) break;
    const rec = parseK8sLine(buf.subarray(pos, nl));
    if (rec) records.push({ ...rec, start: base + pos, end: base + nl + 1 });
    else if (nl > pos) malformed++;
    pos = nl + 1;
  }
  return { records, consumed: pos, malformed };
}

/** A stream's partial line waiting for its continuation. */
interface Pending { timeNs: bigint; chunks: Buffer[]; length: number; updatedAt: number }

/** Serializable form of the joiner's pending partial lines. */
export type JoinerState = Partial<Record<LogStream, { timeNs: string; data: string /* base64 */ }>>;

/** Default cap of a joined line: longer runs of partial records are emitted in pieces, like Docker's 16 KiB messages. */
export const MAX_JOINED_LINE = 16 * 1024;

function entryOf(stream: LogStream, timeNs: bigint, line: Buffer): LogEntry {
  return { stream, timeNs, time: formatRfc3339Nano(timeNs), line };
}

/**
 * Joins `P` records with their continuation, per stream. An entry carries the timestamp of its first record.
 * A joined line reaching `maxLine` bytes is emitted without a trailing newline (the rest follows as more entries).
 */
export class K8sJoiner {
  private pending: Partial<Record<LogStream, Pending>> = {};
  private readonly maxLine: number;

  constructor(opts: { maxLine?: number } = {}) {
    this.maxLine = opts.maxLine ?? MAX_JOINED_LINE;
  }

  /** Whether pushing `rec` will produce an entry. */
  willEmit(rec: K8sRecord): boolean {
    if (!rec.partial) return true;
    return (this.pending[rec.stream]?.length ?? 0) + rec.content.length >= this.maxLine;
  }

  push(rec: K8sRecord, now = Date.now()): LogEntry | undefined {
    const p = this.pending[rec.stream];
    if (!rec.partial) {
      delete this.pending[rec.stream];
      const nl = Buffer.from('\n');
      if (!p) return entryOf(rec.stream, rec.timeNs, Buffer.concat([rec.content, nl]));
      return entryOf(rec.stream, p.timeNs, Buffer.concat([...p.chunks, rec.content, nl], p.length + rec.content.length + 1));
    }
    const cur = p ?? { timeNs: rec.timeNs, chunks: [], length: 0, updatedAt: now };
    if (rec.content.length > 0) cur.chunks.push(rec.content);
    cur.length += rec.content.length;
    cur.updatedAt = now;
    this.pending[rec.stream] = cur;
    if (cur.length >= this.maxLine) {
      delete this.pending[rec.stream];
      return entryOf(rec.stream, cur.timeNs, Buffer.concat(cur.chunks, cur.length));
    }
    return undefined;
  }

  hasPending(): boolean {
    return this.pending.stdout !== undefined || this.pending.stderr !== undefined;
  }

  /** The most recent time (Date.now() scale) a pending partial line grew, or undefined. */
  lastPartialAt(): number | undefined {
    const ts = [this.pending.stdout?.updatedAt, this.pending.stderr?.updatedAt].filter((t): t is number => t !== undefined);
    return ts.length ? Math.max(...ts) : undefined;
  }

  /** Emits the pending partial lines as they are (without a newline), oldest first. */
  flushPartials(): LogEntry[] {
    const out: LogEntry[] = [];
    for (const s of ['stdout', 'stderr'] as const) {
      const p = this.pending[s];
      if (p && p.length > 0) out.push(entryOf(s, p.timeNs, Buffer.concat(p.chunks, p.length)));
    }
    this.pending = {};
    return out.sort((a, b) => (a.timeNs < b.timeNs ? -1 : a.timeNs > b.timeNs ? 1 : 0));
  }

  exportState(): JoinerState {
    const st: JoinerState = {};
    for (const s of ['stdout', 'stderr'] as const) {
      const p = this.pending[s];
      if (p) st[s] = { timeNs: p.timeNs.toString(), data: Buffer.concat(p.chunks, p.length).toString('base64') };
    }
    return st;
  }

  importState(st: JoinerState | undefined, now = Date.now()): void {
    this.pending = {};
    for (const s of ['stdout', 'stderr'] as const) {
      const p = st?.[s];
      if (!p) continue;
      const data = Buffer.from(p.data, 'base64');
      this.pending[s] = { timeNs: BigInt(p.timeNs), chunks: data.length ? [data] : [], length: data.length, updatedAt: now };
    }
  }
}

/** Convenience parser: feed chunks of a k8s-file log, get joined entries. */
export class K8sLogParser {
  private carry: Buffer = Buffer.alloc(0);
  readonly joiner: K8sJoiner;
  malformed = 0;

  constructor(opts: { maxLine?: number } = {}) {
    this.joiner = new K8sJoiner(opts);
  }

  push(chunk: Buffer): LogEntry[] {
    const buf = this.carry.length ? Buffer.concat([this.carry, chunk]) : chunk;
    const { records, consumed, malformed } = splitK8sRecords(buf);
    this.malformed += malformed;
    this.carry = Buffer.from(buf.subarray(consumed));
    const out: LogEntry[] = [];
    for (const r of records) {
      const e = this.joiner.push(r);
      if (e) out.push(e);
    }
    return out;
  }

  /** Bytes of an unfinished trailing record held back. */
  get buffered(): number {
    return this.carry.length;
  }

  /** End of input: emits pending partial lines; an unfinished trailing record is dropped. */
  end(): LogEntry[] {
    this.carry = Buffer.alloc(0);
    return this.joiner.flushPartials();
  }
}
