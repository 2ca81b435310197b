import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LogPump } from './log-pump.js';
import { readLogs, type ReadLogsOptions } from './read-logs.js';
import { encodeJsonLogLine } from './json-file.js';
import { formatRfc3339Nano } from './time.js';
import type { LogEntry } from './types.js';

const root = await mkdtemp(join(tmpdir(), 'berth-readlogs-'));
after(() => rm(root, { recursive: true, force: true }));
let n = 0;
async function dir(): Promise<{ source: string; target: string; statePath: string }> {
  const d = join(root, String(n++));
  await mkdir(d);
  return { source: join(d, 'container.log'), target: join(d, 'c-json.log'), statePath: join(d, 'state.json') };
}

const BASE = 1_700_000_000_000_000_000n;
function entry(i: number, stream: 'stdout' | 'stderr' = i % 2 ? 'stderr' : 'stdout'): LogEntry {
  const timeNs = BASE + BigInt(i) * 1000n + 1n;
  return { stream, timeNs, time: formatRfc3339Nano(timeNs), line: Buffer.from(`line ${i}\n`) };
}
const json = (from: number, to: number): string => Array.from({ length: to - from }, (_, i) => encodeJsonLogLine(entry(from + i)).toString()).join('');

async function collect(target: string, opts: Partial<ReadLogsOptions> = {}): Promise<string[]> {
  const out: string[] = [];
  for await (const e of readLogs(target, { stdout: true, stderr: true, ...opts })) out.push(e.line.toString().trimEnd());
  return out;
}
const names = (from: number, to: number, step = 1): string[] => {
  const r: string[] = [];
  for (let i = from; i < to; i += step) r.push(`line ${i}`);
  return r;
};

void test('reads rotated files in order, with tail across files', async () => {
  const p = await dir();
  await writeFile(`${p.target}.2`, json(0, 3));
  await writeFile(`${p.target}.1`, json(3, 6));
  await writeFile(p.target, json(6, 8));
  assert.deepEqual(await collect(p.target), names(0, 8));
  assert.deepEqual(await collect(p.target, { tail: 4 }), names(4, 8));
  assert.deepEqual(await collect(p.target, { tail: 100 }), names(0, 8));
  assert.deepEqual(await collect(p.target, { tail: 0 }), []);
  assert.deepEqual(await collect(`${p.target}-missing`), []);
});

void test('since/until with ns precision, stream selection', async () => {
  const p = await dir();
  await writeFile(p.target, json(0, 10));
  const at = (i: number): bigint => BASE + BigInt(i) * 1000n + 1n;
  assert.deepEqual(await collect(p.target, { since: at(7) }), names(7, 10));
  assert.deepEqual(await collect(p.target, { since: at(7) + 1n }), names(8, 10));
  assert.deepEqual(await collect(p.target, { until: at(2) }), names(0, 3));
  assert.deepEqual(await collect(p.target, { since: at(3), until: at(5) }), names(3, 6));
  assert.deepEqual(await collect(p.target, { since: new Date(Number(BASE / 1_000_000n) + 1) }), []);
  assert.deepEqual(await collect(p.target, { stderr: false }), names(0, 10, 2));
  assert.deepEqual(await collect(p.target, { stdout: false }), names(1, 10, 2));
  // Docker counts tail before the stream filter
  assert.deepEqual(await collect(p.target, { tail: 4, stderr: false }), ['line 6', 'line 8']);
});

function k8s(from: number, to: number, stream = 'stdout'): string {
  let s = '';
  for (let i = from; i < to; i++) s += `${formatRfc3339Nano(BASE + BigInt(i) * 1000n)} ${stream} F line ${i}\n`;
  return s;
}

void test('follow: files then live entries without gaps or duplicates, ends on done', async () => {
  const p = await dir();
  await writeFile(p.source, k8s(0, 300));
  const pump = new LogPump(p);
  pump.start(); // still converting the backlog while the follower starts
  let finish!: () => void;
  const done = new Promise<void>((r) => (finish = r));
  const got: string[] = [];
  const reader = (async () => {
    for await (const e of readLogs(p.target, { follow: true, stdout: true, stderr: true, pump, done })) got.push(e.line.toString().trimEnd());
  })();
  for (let i = 300; i < 600; i += 50) await appendFile(p.source, k8s(i, i + 50));
  await pump.flush();
  await pump.stop();
  finish();
  await reader;
  assert.deepEqual(got, names(0, 600));
});

void test('follow with tail and stdout only; abort ends it; a past until does not follow', async () => {
  const p = await dir();
  await writeFile(p.source, k8s(0, 5) + k8s(5, 6, 'stderr'));
  const pump = new LogPump(p);
  await pump.flush();
  pump.start();
  try {
    const ac = new AbortController();
    const got: string[] = [];
    const reader = (async () => {
      for await (const e of readLogs(p.target, { follow: true, tail: 3, stdout: true, stderr: false, pump, done: new Promise(() => undefined), signal: ac.signal })) {
        got.push(e.line.toString().trimEnd());
        if (got.length === 3) ac.abort();
      }
    })();
    await appendFile(p.source, k8s(6, 7, 'stderr') + k8s(7, 8));
    await reader;
    assert.deepEqual(got, ['line 3', 'line 4', 'line 7']);

    const past = await collect(p.target, { follow: true, pump, until: BASE + 3000n, done: new Promise(() => undefined) });
    assert.deepEqual(past, names(0, 4));
  } finally {
    await pump.stop();
  }
});

void test('follow ends right away when done already resolved', async () => {
  const p = await dir();
  await writeFile(p.source, k8s(0, 2));
  const pump = new LogPump(p);
  await pump.flush();
  await pump.stop();
  assert.deepEqual(await collect(p.target, { follow: true, pump, done: Promise.resolve() }), names(0, 2));
});
