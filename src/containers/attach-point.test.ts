import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { AttachPoint, parseAttachPacket } from './attach-point.js';

void test('parseAttachPacket: conmon pipe byte 2 = stdout, 3 = stderr', () => {
  assert.deepEqual(parseAttachPacket(Buffer.from([2, 0x68, 0x69])), { kind: 'stdout', data: Buffer.from('hi') });
  assert.deepEqual(parseAttachPacket(Buffer.from([3, 0x78])), { kind: 'stderr', data: Buffer.from('x') });
  assert.equal(parseAttachPacket(Buffer.from([1, 0x78])), undefined);
  assert.equal(parseAttachPacket(Buffer.alloc(0)), undefined);
});

void test('AttachPoint: a session made before the run gets its output and queued stdin, and ends with the run', async () => {
  const ap = new AttachPoint();
  const got: string[] = [];
  const ac = new AbortController();
  const s = ap.session((kind, data) => { got.push(`${kind}:${data.toString()}`); }, ac.signal);
  s.write(Buffer.from('early'));
  s.closeStdin();
  const conn = new PassThrough({ allowHalfOpen: true });
  const written: string[] = [];
  const sink = new PassThrough();
  sink.on('data', (b: Buffer) => written.push(b.toString()));
  // A duplex whose writes go to `sink` and whose reads come from `conn`.
  const duplex = Object.assign(conn, {});
  const origWrite = duplex.write.bind(duplex);
  duplex.write = ((chunk: Buffer) => { sink.write(chunk); return true; }) as typeof duplex.write;
  let ended = false;
  duplex.end = (() => { ended = true; return duplex; }) as typeof duplex.end;
  ap.connect(duplex);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(written, ['early']);
  assert.equal(ended, true);
  origWrite(Buffer.from([2, ...Buffer.from('out')]));
  origWrite(Buffer.from([3, ...Buffer.from('err')]));
  conn.push(null);
  await s.done;
  assert.deepEqual(got, ['stdout:out', 'stderr:err']);
  assert.equal(ap.connected, false);
});

void test('AttachPoint: abandon and abort end waiting sessions', async () => {
  const ap = new AttachPoint();
  const s1 = ap.session(() => undefined, new AbortController().signal);
  ap.abandon();
  await s1.done;
  const ac = new AbortController();
  const s2 = ap.session(() => undefined, ac.signal);
  ac.abort();
  await s2.done;
});
