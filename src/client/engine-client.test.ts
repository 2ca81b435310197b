import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { EngineClient, ApiError, ConnectionError, encodeQuery, compareVersions } from './engine-client.js';
import { StdcopyDemuxer, encodeFrame, demuxStream } from './stdcopy.js';
import { readJsonLines } from './ndjson.js';
import { parseHost, resolveHost } from './host.js';
import { PassThrough, Readable } from 'node:stream';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

async function fakeDaemon(handler: Handler, opts: { apiVersion?: string | null; upgrade?: (req: IncomingMessage, socket: Duplex, head: Buffer) => void } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'berth-client-'));
  const sock = join(dir, 'd.sock');
  const seen: string[] = [];
  const server: Server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    if (opts.apiVersion !== null) res.setHeader('Api-Version', opts.apiVersion ?? '1.45');
    if (req.url === '/_ping') { res.setHeader('Ostype', 'linux'); res.end(req.method === 'HEAD' ? undefined : 'OK'); return; }
    handler(req, res);
  });
  if (opts.upgrade) server.on('upgrade', (req, socket, head) => { seen.push(`UPGRADE ${req.method} ${req.url}`); opts.upgrade!(req, socket, head); });
  await new Promise<void>((r) => server.listen(sock, r));
  return {
    host: `unix://${sock}`, seen,
    async close() { server.closeAllConnections(); await new Promise((r) => server.close(r)); rmSync(dir, { recursive: true, force: true }); },
  };
}

void test('negotiates min(1.45, server) and prefixes paths', async () => {
  const d = await fakeDaemon((_req, res) => { res.setHeader('Content-Type', 'application/json'); res.end('{"ok":true}'); }, { apiVersion: '1.41' });
  const c = new EngineClient({ host: d.host });
  try {
    assert.deepEqual(await c.get('/containers/json', { all: '1' }), { ok: true });
    assert.deepEqual(d.seen, ['HEAD /_ping', 'GET /v1.41/containers/json?all=1']);
  } finally { c.close(); await d.close(); }
  const d2 = await fakeDaemon((_req, res) => res.end('{}'), { apiVersion: '1.50' });
  const c2 = new EngineClient({ host: d2.host });
  try { assert.equal(await c2.apiVersion(), '1.45'); } finally { c2.close(); await d2.close(); }
  const d3 = await fakeDaemon((_req, res) => res.end('{}'), { apiVersion: null });
  const c3 = new EngineClient({ host: d3.host });
  try { assert.equal(await c3.apiVersion(), '1.24'); } finally { c3.close(); await d3.close(); }
});

void test('JSON error bodies become ApiError; 304 is success', async () => {
  const d = await fakeDaemon((req, res) => {
    if (req.url!.includes('/start')) { res.statusCode = 304; res.end(); return; }
    if (req.url!.includes('/plain')) { res.statusCode = 500; res.end('boom'); return; }
    res.statusCode = 404;
    res.setHeader('Content-Type', 'application/json');
    res.end('{"message":"No such container: nope"}');
  });
  const c = new EngineClient({ host: d.host });
  try {
    await assert.rejects(c.get('/containers/nope/json'), (e: unknown) => e instanceof ApiError && e.status === 404 && e.message === 'No such container: nope');
    assert.equal(await c.call('POST', '/containers/x/start'), 304);
    await assert.rejects(c.get('/plain'), { message: 'boom' });
  } finally { c.close(); await d.close(); }
});

void test('connection failures are ConnectionError with the host', async () => {
  const c = new EngineClient({ host: 'unix:///nonexistent/berth.sock' });
  await assert.rejects(c.get('/info'), (e: unknown) => e instanceof ConnectionError && e.message === 'Cannot connect to the berth daemon at unix:///nonexistent/berth.sock. Is berthd running?');
  c.close();
});

void test('hijack: 101 upgrade, stdcopy frames, half-close keeps reading', async () => {
  let gotStdin = '';
  const d = await fakeDaemon(() => undefined, {
    upgrade(req, socket) {
      assert.equal(req.headers.upgrade, 'tcp');
      assert.equal(req.headers.connection, 'Upgrade');
      socket.write('HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.multiplexed-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n');
      socket.on('data', (b: Buffer) => { gotStdin += b.toString(); });
      socket.on('end', () => {
        // stdin EOF: echo it back on stdout, then an stderr frame split across writes, then close.
        const f = encodeFrame(2, 'err!\n');
        socket.write(Buffer.concat([encodeFrame(1, `in:${gotStdin}`), f.subarray(0, 3)]));
        setTimeout(() => { socket.end(f.subarray(3)); }, 10);
      });
    },
  });
  const c = new EngineClient({ host: d.host });
  try {
    const conn = await c.hijack('POST', '/containers/x/attach', { query: { stream: '1', stdin: '1', stdout: '1', stderr: '1' } });
    assert.equal(conn.contentType, 'application/vnd.docker.multiplexed-stream');
    if (conn.head.length) conn.socket.unshift(conn.head);
    conn.socket.write('hello');
    conn.socket.end();
    const out = new PassThrough();
    const err = new PassThrough();
    const o: Buffer[] = []; const e: Buffer[] = [];
    out.on('data', (b: Buffer) => o.push(b)); err.on('data', (b: Buffer) => e.push(b));
    await demuxStream(conn.socket, out, err);
    assert.equal(Buffer.concat(o).toString(), 'in:hello');
    assert.equal(Buffer.concat(e).toString(), 'err!\n');
    assert.ok(d.seen.includes('UPGRADE POST /v1.45/containers/x/attach?stream=1&stdin=1&stdout=1&stderr=1'));
  } finally { c.close(); await d.close(); }
});

void test('hijack refused with a JSON error', async () => {
  const d = await fakeDaemon(() => undefined, {
    upgrade(_req, socket) {
      const body = '{"message":"No such container: x"}';
      socket.end(`HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    },
  });
  const c = new EngineClient({ host: d.host });
  try {
    await assert.rejects(c.hijack('POST', '/containers/x/attach'), (e: unknown) => e instanceof ApiError && e.status === 404 && e.message === 'No such container: x');
  } finally { c.close(); await d.close(); }
});

void test('stdcopy demuxer handles split headers and payloads; systemerr rejects', async () => {
  const frames: [number, string][] = [];
  const dm = new StdcopyDemuxer((s, p) => frames.push([s, p.toString()]));
  const all = Buffer.concat([encodeFrame(1, 'abc'), encodeFrame(2, ''), encodeFrame(1, 'x'.repeat(70000))]);
  for (let i = 0; i < all.length; i += 5) dm.push(all.subarray(i, i + 5));
  assert.deepEqual(frames.map(([s, p]) => [s, p.length]), [[1, 3], [2, 0], [1, 70000]]);
  assert.equal(dm.pending, 0);
  await assert.rejects(demuxStream(Readable.from([encodeFrame(3, 'daemon broke')]), new PassThrough(), new PassThrough()), { message: 'daemon broke' });
});

void test('ndjson reader, query encoding, hosts, versions', async () => {
  const vals: unknown[] = [];
  for await (const v of readJsonLines(Readable.from([Buffer.from('{"a":1}\r\n{"b"'), Buffer.from(':2}\n\n{"c":3}')]))) vals.push(v);
  assert.deepEqual(vals, [{ a: 1 }, { b: 2 }, { c: 3 }]);
  assert.equal(encodeQuery({ a: true, b: undefined, c: ['x', 'y'], d: 'a b' }), '?a=1&c=x&c=y&d=a%20b');
  assert.deepEqual(parseHost('unix:///run/x.sock'), { host: 'unix:///run/x.sock', socketPath: '/run/x.sock' });
  assert.deepEqual(parseHost('tcp://127.0.0.1:2375'), { host: 'tcp://127.0.0.1:2375', hostname: '127.0.0.1', port: 2375 });
  assert.throws(() => parseHost('https://x:2376'), /not supported yet/);
  assert.equal(resolveHost(undefined, {}), 'unix:///run/berth/berth.sock');
  assert.equal(resolveHost(undefined, { DOCKER_HOST: 'unix:///d', BERTH_HOST: 'unix:///b' }), 'unix:///b');
  assert.equal(resolveHost('unix:///h', { BERTH_HOST: 'unix:///b' }), 'unix:///h');
  assert.equal(compareVersions('1.9', '1.45'), -1);
});
