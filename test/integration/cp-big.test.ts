import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestDaemon, isRoot } from '../helpers/daemon.js';

// Regression: `berth cp` of a large tree failed now and then with "Premature close" in both directions, because
// GNU tar exits right after the end-of-archive blocks, before reading the record padding, and the stdin pipe
// feeding it was then treated as a failure (in berthd for cp in, in the CLI for cp out). Several rounds of a
// ~40 MB tree each way, the content compared by checksum every time.

let d: TestDaemon;
let tmp: string;
let tree: string;
const NAME = 'cp-big';
const ROUNDS = 5;

/** `./dir/file  <md5>` lines for every regular file under `dir`, sorted (the format busybox md5sum prints). */
async function md5Lines(dir: string, rel = '.'): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(join(dir, rel), { withFileTypes: true })) {
    const r = `${rel}/${e.name}`;
    if (e.isDirectory()) out.push(...(await md5Lines(dir, r)));
    else if (e.isFile()) out.push(`${createHash('md5').update(await readFile(join(dir, r))).digest('hex')}  ${r}`);
  }
  return out;
}
const sorted = (lines: string[]): string[] => [...lines].sort();

before(async () => {
  if (!isRoot) return;
  d = await TestDaemon.start();
  tmp = await mkdtemp(join(tmpdir(), 'berth-cpbig-'));
  tree = join(tmp, 'data');
  for (let i = 0; i < 8; i++) {
    await mkdir(join(tree, `d${i}`), { recursive: true });
    for (let j = 0; j < 10; j++) await writeFile(join(tree, `d${i}`, `f${j}`), randomBytes(512 * 1024 + i * 1000 + j));
  }
  const r = await d.berth(['run', '-d', '--name', NAME, '--network', 'none', 'busybox', 'sh', '-c', 'mkdir /in && exec sleep 1000']);
  assert.equal(r.code, 0, r.stderr);
});

after(async () => {
  if (!isRoot) return;
  await d.berth(['rm', '-f', NAME]);
  const leaks = await d.cleanup();
  await rm(tmp, { recursive: true, force: true });
  assert.deepEqual(leaks, [], 'nothing left behind');
});

void test('berth cp of a ~40 MB tree in and out, several times, keeps every byte', { skip: !isRoot }, async () => {
  const want = sorted(await md5Lines(tree));
  assert.equal(want.length, 80);
  for (let i = 0; i < ROUNDS; i++) {
    const cpIn = await d.berth(['cp', tree, `${NAME}:/in`]);
    assert.equal(cpIn.code, 0, `cp in, round ${i}: ${cpIn.stderr}`);
    const sums = await d.berth(['exec', NAME, 'sh', '-c', 'cd /in/data && find . -type f -exec md5sum {} +']);
    assert.equal(sums.code, 0, sums.stderr);
    assert.deepEqual(sorted(sums.stdout.trim().split('\n')), want, `content inside the container, round ${i}`);
  }
  for (let i = 0; i < ROUNDS; i++) {
    const out = join(tmp, `out${i}`);
    await mkdir(out);
    const cpOut = await d.berth(['cp', `${NAME}:/in/data`, out]);
    assert.equal(cpOut.code, 0, `cp out, round ${i}: ${cpOut.stderr}`);
    assert.deepEqual(sorted(await md5Lines(join(out, 'data'))), want, `content copied out, round ${i}`);
    await rm(out, { recursive: true, force: true });
  }
});
