import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, copyFile, mkdtemp, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LogPump } from './log-pump.js';
import { readLogs } from './read-logs.js';
import type { LogEntry } from './types.js';

const root = await mkdtemp(join(tmpdir(), 'berth-logpump-'));
after(() => rm(root, { recursive: true, force: true }));
let n = 0;
async function dir(): Promise<{ source: string; target: string; statePath: string }> {
  const d = join(root, String(n++));
  await import('node:fs/promises').then((fs) => fs.mkdir(d));
  return { source: join(d, 'container.log'), target: join(d, 'ctr-json.log'), statePath: join(d, 'logpump.json') };
}

let clock = 1_700_000_000_000_000_000n;
function rec(stream: 'stdout' | 'stderr', tag: 'F' | 'P', content: string): string {
  clock += 1000n;
  const sec = clock / 1_000_000_000n;
  const ns = (clock % 1_000_000_000n).toString().padStart(9, '0');
  return `${new Date(Number(sec) * 1000).toISOString().slice(0, 19)}.${ns}+00:00 ${stream} ${tag} ${content}\n`;
}
const lines = (from: number, to: number, stream: 'stdout' | 'stderr' = 'stdout'): string =>
  Array.from({ length: to - from }, (_, i) => rec(stream, 'F', `line ${from + i}`)).join('');

async function waitFor(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function all(target: string, opts: Partial<Parameters<typeof readLogs>[1]> = {}): Promise<LogEntry[]> {
  const out: LogEntry[] = [];
  for await (const e of readLogs(target, { stdout: true, stderr: true, ...opts })) out.push(e);
  return out;
}
const texts = (es: LogEntry[]): string[] => es.map((e) => e.line.toString());
const range = (from: number, to: number): string[] => Array.from({ length: to - from }, (_, i) => `line ${from + i}\n`);

void test('converts a hand-written k8s log to json-file', async () => {
  const p = await dir();
  await writeFile(p.source, [
    '2024-01-02T03:04:05.000000001+01:00 stdout F hello\n',
    '2024-01-02T03:04:05.000000002+01:00 stderr P "quoted" \\ and ',
    '\n2024-01-02T03:04:05.000000003+01:00 stderr F é\n',
    '2024-01-02T03:04:05.000000004+01:00 stdout P no newline',
    '\n',
  ].join(''));
  const pump = new LogPump(p);
  await pump.flush();
  await pump.stop();
  assert.equal(await readFile(p.target, 'utf8'), [
    '{"log":"hello\\n","stream":"stdout","time":"2024-01-02T02:04:05.000000001Z"}',
    '{"log":"\\"quoted\\" \\\\ and é\\n","stream":"stderr","time":"2024-01-02T02:04:05.000000002Z"}',
    '{"log":"no newline","stream":"stdout","time":"2024-01-02T02:04:05.000000004Z"}',
    '',
  ].join('\n'));
  const st = JSON.parse(await readFile(p.statePath, 'utf8')) as { source: { offset: number } };
  assert.equal(st.source.offset, (await stat(p.source)).size);
});

void test('follows appends (source created after start) and emits to subscribers', async () => {
  const p = await dir();
  const pump = new LogPump(p);
  const seen: string[] = [];
  const unsub = pump.subscribe((e) => seen.push(e.line.toString()));
  pump.start();
  try {
    await appendFile(p.source, lines(0, 3));
    await waitFor(() => seen.length === 3, '3 entries');
    await appendFile(p.source, rec('stdout', 'P', 'prompt$ '));
    await waitFor(() => seen.length === 4, 'the idle partial line');
    assert.equal(seen[3], 'prompt$ ');
    await appendFile(p.source, lines(3, 5));
    await waitFor(() => seen.length === 6, '6 entries');
    assert.deepEqual(seen, [...range(0, 3), 'prompt$ ', ...range(3, 5)]);
    unsub();
  } finally {
    await pump.stop();
  }
  assert.deepEqual(texts(await all(p.target)), [...range(0, 3), 'prompt$ ', ...range(3, 5)]);
});

void test('rotates the target by max-size keeping max-file files in order', async () => {
  const p = await dir();
  await writeFile(p.source, lines(0, 200));
  const pump = new LogPump({ ...p, maxSize: 1000, maxFile: 3 });
  await pump.flush();
  await pump.stop();
  const files = (await readdir(join(p.target, '..'))).filter((f) => f.startsWith('ctr-json.log')).sort();
  assert.deepEqual(files, ['ctr-json.log', 'ctr-json.log.1', 'ctr-json.log.2']);
  for (const f of files) {
    const size = (await stat(join(p.target, '..', f))).size;
    assert.ok(size < 1000 + 100, `${f} is ${size} bytes`);
  }
  const got = texts(await all(p.target));
  assert.ok(got.length > 10 && got.length < 200);
  assert.deepEqual(got, range(200 - got.length, 200), 'the newest lines, contiguous and in order');
  // .2 is older than .1, which is older than the current file
  const first = async (f: string): Promise<string> => (JSON.parse((await readFile(f, 'utf8')).split('\n')[0]!) as { log: string }).log;
  const n2 = Number((await first(`${p.target}.2`)).split(' ')[1]);
  const n1 = Number((await first(`${p.target}.1`)).split(' ')[1]);
  const n0 = Number((await first(p.target)).split(' ')[1]);
  assert.ok(n2 < n1 && n1 < n0);
});

void test('max-size without max-file keeps only the current file', async () => {
  const p = await dir();
  await writeFile(p.source, lines(0, 100));
  const pump = new LogPump({ ...p, maxSize: 500 });
  await pump.flush();
  await pump.stop();
  const files = (await readdir(join(p.target, '..'))).filter((f) => f.startsWith('ctr-json.log'));
  assert.deepEqual(files, ['ctr-json.log']);
  const got = texts(await all(p.target));
  assert.deepEqual(got, range(100 - got.length, 100));
});

void test('copes with conmon rename-rotation of the source mid-stream without loss', async () => {
  const p = await dir();
  const pump = new LogPump(p);
  const seen: string[] = [];
  pump.subscribe((e) => seen.push(e.line.toString()));
  pump.start();
  try {
    await writeFile(p.source, lines(0, 50));
    await waitFor(() => seen.length === 50, 'first 50');
    for (let round = 1; round <= 3; round++) {
      // conmon: more output into the old file, then <path>.tmp renamed over <path>, then output into the new one.
      await appendFile(p.source, lines(round * 100 - 50, round * 100));
      await writeFile(`${p.source}.tmp`, '');
      await rename(`${p.source}.tmp`, p.source);
      await appendFile(p.source, lines(round * 100, round * 100 + 50));
      // (two conmon rotations within one poll would lose the middle file: conmon's files are >= 8 MiB)
      await waitFor(() => seen.length === round * 100 + 50, `round ${round}`);
    }
    await pump.flush();
    const want = [...range(0, 50), ...range(50, 100), ...range(100, 150), ...range(150, 200), ...range(200, 250), ...range(250, 300), ...range(300, 350)];
    assert.deepEqual(seen, want);
    assert.deepEqual(texts(await all(p.target)), want);
  } finally {
    await pump.stop();
  }
});

void test('rotation detected only after the old file got more data is read to its end', async () => {
  const p = await dir();
  await writeFile(p.source, lines(0, 5));
  const pump = new LogPump(p);
  await pump.flush();
  await appendFile(p.source, lines(5, 10));
  await rename(p.source, `${p.source}.old`); // keep the inode alive under another name
  await writeFile(p.source, lines(10, 12));
  await pump.flush();
  await pump.stop();
  assert.deepEqual(texts(await all(p.target)), range(0, 12));
});

void test('a new pump resumes where the last stopped: no duplicates, pending partial lines kept', async () => {
  const p = await dir();
  await writeFile(p.source, lines(0, 10) + rec('stdout', 'P', 'half '));
  const a = new LogPump({ ...p, partialFlushMs: 60_000 });
  a.start();
  await waitFor(async () => (await all(p.target)).length === 10, '10 entries');
  await a.stop();
  await appendFile(p.source, rec('stdout', 'F', 'whole') + lines(10, 15));
  const b = new LogPump(p);
  await b.flush();
  await b.stop();
  assert.deepEqual(texts(await all(p.target)), [...range(0, 10), 'half whole\n', ...range(10, 15)]);
  // and once more with nothing new
  const c = new LogPump(p);
  await c.flush();
  await c.stop();
  assert.equal((await all(p.target)).length, 16);
});

void test('after a crash between writing entries and persisting the position, the uncommitted tail is redone once', async () => {
  const p = await dir();
  await writeFile(p.source, lines(0, 10));
  const a = new LogPump(p);
  await a.flush();
  await copyFile(p.statePath, `${p.statePath}.saved`);
  await appendFile(p.source, lines(10, 20));
  await a.flush();
  await a.stop();
  await rename(`${p.statePath}.saved`, p.statePath); // as if the process died before persisting
  const b = new LogPump(p);
  await b.flush();
  await b.stop();
  assert.deepEqual(texts(await all(p.target)), range(0, 20));
});

void test('crash recovery also works across a target rotation', async () => {
  const p = await dir();
  await writeFile(p.source, lines(0, 10));
  // Size the target so it is full after exactly 10 entries: the next entry rotates it first.
  const lineLen = (await (async () => { const q = await dir(); await writeFile(q.source, lines(0, 1)); const x = new LogPump(q); await x.flush(); await x.stop(); return (await stat(q.target)).size; })());
  const opts = { ...p, maxSize: 10 * lineLen - 1, maxFile: 5 };
  const a = new LogPump(opts);
  await a.flush();
  // The position persisted now is also the one persisted right before the coming rotation.
  await copyFile(p.statePath, `${p.statePath}.saved`);
  await appendFile(p.source, lines(10, 15));
  await a.flush();
  await a.stop();
  assert.deepEqual(texts(await all(p.target)), range(0, 15));
  await rename(`${p.statePath}.saved`, p.statePath); // as if it died after rotating, before the next persist
  const b = new LogPump(opts);
  await b.flush();
  await b.stop();
  assert.deepEqual(texts(await all(p.target)), range(0, 15));
  assert.equal((await readFile(`${p.target}.1`, 'utf8')).split('\n').length, 11);
});

void test('rejects bad rotation options', () => {
  assert.throws(() => new LogPump({ source: 'a', target: 'b', statePath: 'c', maxSize: 0 }), /max-size/);
  assert.throws(() => new LogPump({ source: 'a', target: 'b', statePath: 'c', maxSize: 10, maxFile: 0 }), /max-file/);
});
