import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { SeqpacketSocket } from './seqpacket.js';

// A SOCK_SEQPACKET peer Node cannot make itself: python3 (on every machine here) answers each packet with
// "<n>:" + the packet, and sends "eof" when our write side is shut down.
const PEER = `
import socket, sys, os
p = sys.argv[1]
d, name = os.path.split(p)
os.chdir(d)
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.bind(name); s.listen(1)
print("ready", flush=True)
c, _ = s.accept()
n = 0
while True:
    b = c.recv(65536)
    if not b:
        c.send(b"eof"); break
    n += 1
    c.send(str(n).encode() + b":" + b)
c.close()
`;

void test('SeqpacketSocket: packets both ways, half-close, long paths', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'seqpacket-'));
  try {
    // Longer than sun_path (108 bytes) on purpose.
    const deep = join(dir, 'x'.repeat(60), 'y'.repeat(60));
    await mkdir(deep, { recursive: true });
    const path = join(deep, 'attach');
    assert.ok(path.length > 108);
    const peer = spawn('python3', ['-c', PEER, path], { stdio: ['ignore', 'pipe', 'inherit'] });
    await once(peer.stdout, 'data');
    assert.ok(existsSync(path));
    const sock = SeqpacketSocket.connect(path);
    const got: string[] = [];
    sock.on('data', (b: Buffer) => got.push(b.toString()));
    sock.write('hello');
    await new Promise((r) => setTimeout(r, 50));
    sock.write(Buffer.alloc(10_000, 'a'));
    sock.end();
    await once(sock, 'end');
    sock.destroy();
    await once(peer, 'close');
    assert.equal(got[0], '1:hello');
    // 10 000 bytes go out as packets of at most 4096.
    assert.deepEqual(got.slice(1, 4).map((s) => s.length), [4098, 4098, 1810]);
    assert.equal(got.at(-1), 'eof');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

void test('SeqpacketSocket: connecting to nothing throws', () => {
  assert.throws(() => SeqpacketSocket.connect('/nonexistent/attach'), /ENOENT|No such file/);
});
