/**
 * A minimal RFC 6455 server side for /containers/{id}/attach/ws: the handshake, unmasking client frames into an
 * input stream (text/binary/continuation payloads are stdin; close ends it; ping gets a pong), and each output
 * write sent as one unmasked message.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { PassThrough, Writable, type Duplex } from 'node:stream';
import { InvalidArgumentError } from '../../base/index.js';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** The 101 answer to a websocket handshake; throws (400) on a request that is not one. */
export function acceptWebsocket(req: IncomingMessage): string {
  const key = req.headers['sec-websocket-key'];
  if (typeof key !== 'string' || !/websocket/i.test(String(req.headers['upgrade'] ?? ''))) {
    throw new InvalidArgumentError('not a websocket handshake');
  }
  const accept = createHash('sha1').update(key + GUID).digest('base64');
  return `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`;
}

/** Encodes one unmasked server frame. */
export function encodeFrame(opcode: number, payload: Buffer): Buffer {
  const len = payload.length;
  let head: Buffer;
  if (len < 126) {
    head = Buffer.from([0x80 | opcode, len]);
  } else if (len < 65536) {
    head = Buffer.alloc(4);
    head[0] = 0x80 | opcode;
    head[1] = 126;
    head.writeUInt16BE(len, 2);
  } else {
    head = Buffer.alloc(10);
    head[0] = 0x80 | opcode;
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(len), 2);
  }
  return Buffer.concat([head, payload]);
}

/** Decodes as many complete frames as `buf` holds; returns them and the bytes left over. */
export function decodeFrames(buf: Buffer): { frames: { opcode: number; payload: Buffer }[]; rest: Buffer } {
  const frames: { opcode: number; payload: Buffer }[] = [];
  let off = 0;
  for (;;) {
    if (buf.length - off < 2) break;
    const opcode = buf[off]! & 0x0f;
    const masked = (buf[off + 1]! & 0x80) !== 0;
    let len = buf[off + 1]! & 0x7f;
    let p = off + 2;
    if (len === 126) {
      if (buf.length < p + 2) break;
      len = buf.readUInt16BE(p);
      p += 2;
    } else if (len === 127) {
      if (buf.length < p + 8) break;
      len = Number(buf.readBigUInt64BE(p));
      p += 8;
    }
    const maskLen = masked ? 4 : 0;
    if (buf.length < p + maskLen + len) break;
    const mask = masked ? buf.subarray(p, p + 4) : undefined;
    p += maskLen;
    const payload = Buffer.from(buf.subarray(p, p + len));
    if (mask) for (let i = 0; i < payload.length; i++) payload[i]! ^= mask[i & 3]!;
    frames.push({ opcode, payload });
    off = p + len;
  }
  return { frames, rest: buf.subarray(off) };
}

export class WebsocketConnection {
  readonly input = new PassThrough();
  readonly output: Writable;
  private closed = false;

  constructor(private readonly socket: Duplex, head: Buffer, mode: 'binary' | 'text') {
    const opcode = mode === 'binary' ? 2 : 1;
    this.output = new Writable({
      write: (chunk: Buffer, _enc, cb) => {
        if (this.closed || socket.destroyed) return cb();
        if (socket.write(encodeFrame(opcode, chunk))) cb();
        else socket.once('drain', () => cb());
      },
    });
    socket.once('close', () => this.output.destroy());
    let pending: Buffer = Buffer.alloc(0);
    const onData = (b: Buffer): void => {
      pending = pending.length ? Buffer.concat([pending, b]) : b;
      const { frames, rest } = decodeFrames(pending);
      pending = rest;
      for (const f of frames) {
        if (f.opcode === 0 || f.opcode === 1 || f.opcode === 2) this.input.write(f.payload);
        else if (f.opcode === 8) this.input.end();
        else if (f.opcode === 9 && !socket.destroyed) socket.write(encodeFrame(10, f.payload));
      }
    };
    socket.on('error', () => undefined);
    socket.on('end', () => this.input.end());
    if (head.length) onData(head);
    socket.on('data', onData);
    socket.resume();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (!this.socket.destroyed) this.socket.end(encodeFrame(8, Buffer.from([0x03, 0xe8])));
  }
}
