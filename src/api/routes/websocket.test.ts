import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { acceptWebsocket, decodeFrames, encodeFrame } from './websocket.js';
import { readUpgradeBody } from './streams.js';

function masked(opcode: number, payload: Buffer): Buffer {
  const mask = Buffer.from([1, 2, 3, 4]);
  const body = Buffer.from(payload.map((b, i) => b ^ mask[i & 3]!));
  const len = payload.length;
  const head = len < 126 ? Buffer.from([0x80 | opcode, 0x80 | len]) : Buffer.from([0x80 | opcode, 0x80 | 126, len >> 8, len & 0xff]);
  return Buffer.concat([head, mask, body]);
}

void test('websocket: handshake accept key (RFC 6455 example)', () => {
  const req = { headers: { 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', upgrade: 'websocket' } } as unknown as IncomingMessage;
  assert.match(acceptWebsocket(req), /Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=\r\n/);
  assert.throws(() => acceptWebsocket({ headers: { upgrade: 'tcp' } } as unknown as IncomingMessage), /not a websocket handshake/);
});

void test('websocket: frames round trip, masked input, partial frames kept', () => {
  const small = encodeFrame(2, Buffer.from('hi'));
  assert.deepEqual([...small.subarray(0, 2)], [0x82, 2]);
  const big = encodeFrame(1, Buffer.alloc(300, 0x61));
  assert.deepEqual([...big.subarray(0, 4)], [0x81, 126, 1, 44]);
  const huge = encodeFrame(2, Buffer.alloc(70000));
  assert.equal(huge[1], 127);
  assert.deepEqual(decodeFrames(Buffer.concat([small, big])).frames.map((f) => [f.opcode, f.payload.length]), [[2, 2], [1, 300]]);
  const input = Buffer.concat([masked(2, Buffer.from('stdin')), masked(1, Buffer.alloc(200, 0x62))]);
  const part = decodeFrames(input.subarray(0, input.length - 5));
  assert.equal(part.frames.length, 1);
  assert.equal(part.frames[0]!.payload.toString(), 'stdin');
  const rest = decodeFrames(Buffer.concat([part.rest, input.subarray(input.length - 5)]));
  assert.equal(rest.frames.length, 1);
  assert.equal(rest.frames[0]!.payload.toString(), 'b'.repeat(200));
  assert.equal(rest.rest.length, 0);
});

void test('readUpgradeBody: Content-Length and chunked bodies; the bytes after are stdin', async () => {
  const sock = new PassThrough();
  const req = { headers: { 'content-length': '16' } } as unknown as IncomingMessage;
  const p = readUpgradeBody(req, sock, Buffer.from('{"Detach":'));
  sock.write('false}stdin!');
  const r = await p;
  assert.equal(r.body.toString(), '{"Detach":false}');
  assert.equal(r.rest.toString(), 'stdin!');

  const sock2 = new PassThrough();
  const chunked = { headers: { 'transfer-encoding': 'chunked' } } as unknown as IncomingMessage;
  const p2 = readUpgradeBody(chunked, sock2, Buffer.from('4\r\n{"a"\r\n'));
  sock2.write('3\r\n:1}\r\n0\r\n');
  sock2.write('\r\nmore');
  const r2 = await p2;
  assert.equal(r2.body.toString(), '{"a":1}');
  assert.equal(r2.rest.toString(), 'more');

  const r3 = await readUpgradeBody({ headers: { 'transfer-encoding': 'chunked' } } as unknown as IncomingMessage, new PassThrough(), Buffer.from('0\r\n\r\n'));
  assert.equal(r3.body.length, 0);
  assert.equal(r3.rest.length, 0);
});
