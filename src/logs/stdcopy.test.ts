import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Demuxer, frame } from './stdcopy.js';

void test('frame writes the 8-byte header', () => {
  const f = frame(2, Buffer.from('hey'));
  assert.deepEqual([...f.subarray(0, 8)], [2, 0, 0, 0, 0, 0, 0, 3]);
  assert.equal(f.subarray(8).toString(), 'hey');
});

void test('demuxer round trip across every chunk boundary', () => {
  const frames: Array<[0 | 1 | 2, string]> = [[1, 'hello\n'], [2, ''], [2, 'oops\n'], [1, 'x'.repeat(70000)], [0, 'in']];
  const wire = Buffer.concat(frames.map(([s, p]) => frame(s, Buffer.from(p))));
  for (const step of [1, 2, 5, 8, 9, 4096, wire.length]) {
    const got: Array<[number, string]> = [];
    const d = new Demuxer((s, p) => got.push([s, p.toString()]));
    let returned = 0;
    for (let i = 0; i < wire.length; i += step) returned += d.push(wire.subarray(i, i + step)).length;
    d.end();
    assert.deepEqual(got, frames, `step ${step}`);
    assert.equal(returned, frames.length);
  }
});

void test('demuxer reports a truncated stream', () => {
  const d = new Demuxer();
  d.push(frame(1, Buffer.from('abc')).subarray(0, 10));
  assert.equal(d.buffered, 10);
  assert.throws(() => d.end(), /inside a frame/);
});
