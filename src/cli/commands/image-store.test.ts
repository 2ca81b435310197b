import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough, Readable } from 'node:stream';
import { main } from '../main.js';
import { diskUsageImageRows, diskUsageRows, historyRow } from './image-store.js';

const ID = `sha256:${'ab'.repeat(32)}`;

void test('historyRow: docker truncation, human and raw sizes', () => {
  const h = { Id: ID, Created: 1_700_000_000, CreatedBy: `/bin/sh -c\t#(nop) ${'x'.repeat(60)}`, Tags: null, Size: 1_982_903, Comment: 'c' };
  const human = historyRow(h, { trunc: true, human: true, now: 1_700_000_000_000 + 3 * 3600_000 });
  assert.equal(human['ID'], 'abababababab');
  assert.equal(human['CreatedSince'], '3 hours ago');
  assert.equal(human['Size'], '1.98MB');
  assert.equal([...human['CreatedBy']!].length, 45);
  assert.ok(human['CreatedBy']!.startsWith('/bin/sh -c #(nop) ') && human['CreatedBy']!.endsWith('…'));
  const raw = historyRow({ ...h, Id: '<missing>' }, { trunc: false, human: false });
  assert.equal(raw['ID'], '<missing>');
  assert.equal(raw['Size'], '1982903');
  assert.match(raw['CreatedSince']!, /^2023-11-1\dT\d\d:\d\d:20(Z|[+-]\d\d:\d\d)$/);
  assert.equal(raw['CreatedBy'], h.CreatedBy.replace('\t', ' '));
  assert.equal(historyRow({ ...h, Created: 0 }, { trunc: true, human: true })['CreatedSince'], 'N/A');
});

void test('diskUsageRows: docker df arithmetic', () => {
  const rows = diskUsageRows({
    LayersSize: 1000,
    Images: [
      { Id: ID, Size: 600, SharedSize: 200, Containers: 1 },
      { Id: ID, Size: 600, SharedSize: 200, Containers: 0 },
    ],
    Containers: [{ Id: 'a', State: 'running', SizeRw: 100 }, { Id: 'b', State: 'exited', SizeRw: 300 }],
    Volumes: [],
    BuildCache: [],
  });
  assert.deepEqual(rows.map((r) => [r['Type'], r['TotalCount'], r['Active'], r['Size'], r['Reclaimable']]), [
    ['Images', '2', '1', '1kB', '600B (60%)'],
    ['Containers', '2', '1', '400B', '300B (75%)'],
    ['Local Volumes', '0', '0', '0B', '0B'],
    ['Build Cache', '0', '0', '0B', '0B'],
  ]);
  const v = diskUsageImageRows([{ Id: ID, RepoTags: ['busybox:latest', 'b:2'], Size: 1_982_903, SharedSize: 0, Containers: 2, Created: 0 }], true);
  assert.equal(v[0]!['Repository'], 'busybox');
  assert.equal(v[0]!['UniqueSize'], '1.983MB');
  assert.equal(diskUsageImageRows([{ Id: ID, RepoTags: [], Size: 1 }], true)[0]!['Tag'], '<none>');
});

void test('save refuses a terminal stdout and load an interactive stdin, before any request', async () => {
  const run = async (argv: string[], tty: { out?: boolean; in?: boolean }) => {
    const out = Object.assign(new PassThrough(), { isTTY: tty.out });
    const err = new PassThrough();
    const chunks: Buffer[] = [];
    err.on('data', (b: Buffer) => chunks.push(b));
    const stdin = Object.assign(Readable.from([]), { isTTY: tty.in });
    const code = await main(argv, { stdout: out, stderr: err, stdin: stdin as never, env: { BERTH_HOST: 'unix:///nonexistent/b.sock' } });
    return { code, stderr: Buffer.concat(chunks).toString() };
  };
  const s = await run(['save', 'busybox'], { out: true });
  assert.equal(s.code, 1);
  assert.match(s.stderr, /cowardly refusing to save to a terminal\. Use the -o flag or redirect/);
  const l = await run(['load'], { in: true });
  assert.equal(l.code, 1);
  assert.match(l.stderr, /requested load from stdin, but stdin is empty/);
});
