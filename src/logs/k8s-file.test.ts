import { test } from 'node:test';
import assert from 'node:assert/strict';
import { K8sLogParser, parseK8sLine, splitK8sRecords } from './k8s-file.js';
import { formatRfc3339Nano, parseRfc3339Ns } from './time.js';
import { parseSize } from './size.js';

const T = '2024-05-06T07:08:09.123456789+02:00';

void test('parses one record, converting the offset to UTC ns', () => {
  const r = parseK8sLine(Buffer.from(`${T} stdout F hello world`));
  assert.ok(r);
  assert.equal(r.stream, 'stdout');
  assert.equal(r.partial, false);
  assert.equal(r.content.toString(), 'hello world');
  assert.equal(formatRfc3339Nano(r.timeNs), '2024-05-06T05:08:09.123456789Z');
  const empty = parseK8sLine(Buffer.from(`${T} stderr P `));
  assert.equal(empty?.content.length, 0);
  assert.equal(empty?.partial, true);
  assert.equal(parseK8sLine(Buffer.from(`${T} stdin F x`)), undefined);
  assert.equal(parseK8sLine(Buffer.from(`garbage stdout F x`)), undefined);
});

void test('time helpers keep nanosecond precision', () => {
  assert.equal(parseRfc3339Ns('1970-01-01T00:00:01.000000001Z'), 1_000_000_001n);
  assert.equal(parseRfc3339Ns('1970-01-01T00:00:01.5Z'), 1_500_000_000n);
  assert.equal(parseRfc3339Ns('1970-01-01T01:00:00-01:00'), 7_200_000_000_000n);
  assert.equal(formatRfc3339Nano(1_000_000_001n), '1970-01-01T00:00:01.000000001Z');
  assert.equal(parseRfc3339Ns('nope'), undefined);
});

void test('splitK8sRecords leaves an unterminated last record for later', () => {
  const buf = Buffer.from(`${T} stdout F a\n${T} stdout F b\n${T} stdout F c`);
  const { records, consumed } = splitK8sRecords(buf, 100);
  assert.deepEqual(records.map((r) => r.content.toString()), ['a', 'b']);
  assert.equal(records[0]!.start, 100);
  assert.equal(records[1]!.end, 100 + consumed);
  assert.equal(buf.subarray(consumed).toString(), `${T} stdout F c`);
});

void test('joins P records per stream, interleaved streams, across arbitrary chunk boundaries', () => {
  const text = [
    `${T} stdout P hel`,
    `${T} stderr P err`,
    `${T} stdout P lo `,
    `${T} stderr F or`,
    `${T} stdout F world`,
    `${T} stdout F `,
    `2024-05-06T07:08:10.000000000+02:00 stdout F last`,
    '',
  ].join('\n');
  const expected = [['stderr', 'error\n'], ['stdout', 'hello world\n'], ['stdout', '\n'], ['stdout', 'last\n']];
  for (const step of [1, 3, 7, 1000]) {
    const p = new K8sLogParser();
    const out = [];
    const buf = Buffer.from(text);
    for (let i = 0; i < buf.length; i += step) out.push(...p.push(buf.subarray(i, i + step)));
    assert.deepEqual(out.map((e) => [e.stream, e.line.toString()]), expected, `chunk size ${step}`);
    assert.equal(out[0]!.time, '2024-05-06T05:08:09.123456789Z');
    assert.equal(p.end().length, 0);
  }
});

void test('a pending partial line is emitted without newline at end, and long joins are capped', () => {
  const p = new K8sLogParser({ maxLine: 8 });
  assert.deepEqual(p.push(Buffer.from(`${T} stdout P abc\n${T} stdout P defgh\n${T} stdout P ij\n`)).map((e) => e.line.toString()), ['abcdefgh']);
  assert.deepEqual(p.end().map((e) => e.line.toString()), ['ij']);
});

void test('parseSize uses Docker units (binary multiples)', () => {
  assert.equal(parseSize('10'), 10);
  assert.equal(parseSize('10b'), 10);
  assert.equal(parseSize('1k'), 1024);
  assert.equal(parseSize('1kb'), 1024);
  assert.equal(parseSize('10m'), 10 * 1024 * 1024);
  assert.equal(parseSize('10MB'), 10 * 1024 * 1024);
  assert.equal(parseSize('1.5g'), 1.5 * 1024 ** 3);
  assert.equal(parseSize('2KiB'), 2048);
  assert.throws(() => parseSize('abc'), /invalid size: 'abc'/);
  assert.throws(() => parseSize('-1'), /invalid size/);
});
