/** Docker's json-file log: one `{"log":"…","stream":"stdout","time":"…Z"}` object per line, rotated into `.1`, `.2`… */
import { readdir, rename, rm, open } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { errnoCode } from '../base/index.js';
import type { LogEntry } from './types.js';
import { formatRfc3339Nano, parseRfc3339Ns } from './time.js';

export function encodeJsonLogLine(e: LogEntry): Buffer {
  return Buffer.from(`{"log":${JSON.stringify(e.line.toString('utf8'))},"stream":"${e.stream}","time":"${e.time}"}\n`);
}

/** Decodes one line of a json-file log (without the newline); undefined when malformed. */
export function decodeJsonLogLine(line: string | Buffer): LogEntry | undefined {
  let v: unknown;
  try {
    v = JSON.parse(typeof line === 'string' ? line : line.toString('utf8'));
  } catch {
    return undefined;
  }
  if (!v || typeof v !== 'object') return undefined;
  const o = v as { log?: unknown; stream?: unknown; time?: unknown };
  if (typeof o.log !== 'string' || typeof o.time !== 'string') return undefined;
  const stream = o.stream === 'stderr' ? 'stderr' : o.stream === 'stdout' ? 'stdout' : undefined;
  if (!stream) return undefined;
  const timeNs = parseRfc3339Ns(o.time);
  if (timeNs === undefined) return undefined;
  return { stream, timeNs, time: formatRfc3339Nano(timeNs), line: Buffer.from(o.log, 'utf8') };
}

/** The log files of `target`, oldest first: `target.N` … `target.1`, `target` (only those that exist). */
export async function listLogFiles(target: string): Promise<string[]> {
  const base = basename(target);
  let names: string[];
  try {
    names = await readdir(dirname(target));
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return [];
    throw err;
  }
  const rotated: number[] = [];
  let current = false;
  for (const n of names) {
    if (n === base) current = true;
    else if (n.startsWith(base + '.')) {
      const suffix = n.slice(base.length + 1);
      if (/^[1-9]\d*$/.test(suffix)) rotated.push(Number(suffix));
    }
  }
  rotated.sort((a, b) => b - a);
  const files = rotated.map((i) => `${target}.${i}`);
  if (current) files.push(target);
  return files;
}

/**
 * Rotates like Docker's json-file: with maxFile >= 2, drops `target.(maxFile-1)`, shifts `.i` to `.i+1` and
 * renames `target` to `.1`; with maxFile < 2 the current file is just discarded. The caller creates the new file.
 * Rotated files beyond maxFile (left by an earlier, larger max-file) are removed too.
 */
export async function rotateLogFiles(target: string, maxFile: number): Promise<void> {
  const keep = Math.max(0, maxFile - 1);
  for (const f of await listLogFiles(target)) {
    if (f === target) continue;
    const n = Number(f.slice(target.length + 1));
    if (n >= keep) await rm(f, { force: true });
  }
  if (keep === 0) {
    await rm(target, { force: true });
    return;
  }
  for (let i = keep - 1; i >= 1; i--) {
    await rename(`${target}.${i}`, `${target}.${i + 1}`).catch((err: unknown) => {
      if (errnoCode(err) !== 'ENOENT') throw err;
    });
  }
  await rename(target, `${target}.1`).catch((err: unknown) => {
    if (errnoCode(err) !== 'ENOENT') throw err;
  });
}

/**
 * Reads the entries of one json-file log from an open file, up to `limit` bytes (default: its size when called).
 * Malformed lines (e.g. a torn last line) are skipped.
 */
export async function* readJsonLogFile(fh: import('node:fs/promises').FileHandle, limit?: number): AsyncGenerator<LogEntry> {
  const end = limit ?? (await fh.stat()).size;
  const buf = Buffer.alloc(64 * 1024);
  let carry: Buffer = Buffer.alloc(0);
  let pos = 0;
  while (pos < end) {
    const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, end - pos), pos);
    if (bytesRead === 0) break;
    pos += bytesRead;
    const data = carry.length ? Buffer.concat([carry, buf.subarray(0, bytesRead)]) : buf.subarray(0, bytesRead);
    let start = 0;
    for (;;) {
      const nl = data.indexOf(0x0a, start);
      if (nl < 0) break;
      const e = nl > start ? decodeJsonLogLine(data.subarray(start, nl)) : undefined;
      start = nl + 1;
      if (e) yield e;
    }
    carry = Buffer.from(data.subarray(start));
  }
  if (carry.length) {
    const e = decodeJsonLogLine(carry);
    if (e) yield e;
  }
}

export async function openIfExists(path: string): Promise<import('node:fs/promises').FileHandle | undefined> {
  try {
    return await open(path, 'r');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw err;
  }
}

