import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { main } from './main.js';
import { encodeFrame } from '../client/index.js';
import { runExitCode } from './errors.js';
import { ApiError } from '../client/index.js';

function sink() {
  const s = new PassThrough();
  const chunks: Buffer[] = [];
  s.on('data', (b: Buffer) => chunks.push(b));
  return { stream: s, text: () => Buffer.concat(chunks).toString() };
}

async function berth(argv: string[], host?: string, stdin: Readable = Readable.from([])) {
  const out = sink(); const err = sink();
  const code = await main(argv, { stdout: out.stream, stderr: err.stream, stdin: stdin as never, env: host ? { BERTH_HOST: host } : { BERTH_HOST: 'unix:///nonexistent/b.sock' } });
  return { code, stdout: out.text(), stderr: err.text() };
}

const ID = 'a'.repeat(64);

async function daemon(route: (req: IncomingMessage, res: ServerResponse, body: string) => void) {
  const dir = mkdtempSync(join(tmpdir(), 'berth-cli-'));
  const sock = join(dir, 'd.sock');
  const calls: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (b: Buffer) => { body += b.toString(); });
    req.on('end', () => {
      res.setHeader('Api-Version', '1.45');
      if (req.url === '/_ping') { res.end(); return; }
      calls.push(`${req.method} ${req.url}`);
      route(req, res, body);
    });
  });
  server.on('upgrade', (req, socket) => {
    calls.push(`UPGRADE ${req.url}`);
    socket.write('HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.multiplexed-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n');
    (server as unknown as { attached: typeof socket }).attached = socket;
    socket.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(sock, r));
  return {
    host: `unix://${sock}`, calls, server,
    attached: () => (server as unknown as { attached: import('node:stream').Duplex }).attached,
    async close() { server.closeAllConnections(); await new Promise((r) => server.close(r)); rmSync(dir, { recursive: true, force: true }); },
  };
}

function json(res: ServerResponse, status: number, v: unknown) {
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json');
  res.end(JSON.stringify(v));
}

void test('run: 404 → pull → create → attach → wait → start → exit code', async () => {
  let creates = 0;
  let createBody: Record<string, unknown> = {};
  const d = await daemon((req, res, body) => {
    const url = req.url!;
    if (url.startsWith('/v1.45/containers/create')) {
      creates++;
      if (creates === 1) return json(res, 404, { message: 'No such image: alpine:latest' });
      createBody = JSON.parse(body);
      return json(res, 201, { Id: ID, Warnings: [] });
    }
    if (url.startsWith('/v1.45/images/create')) {
      res.setHeader('Content-Type', 'application/json');
      res.write('{"status":"Pulling from library/alpine","id":"latest"}\n');
      res.write('{"status":"Downloading","progressDetail":{"current":1,"total":2},"id":"abc"}\n');
      res.end('{"status":"Status: Downloaded newer image for alpine:latest"}\n');
      return;
    }
    if (url.includes('/wait')) {
      res.setHeader('Content-Type', 'application/json');
      res.flushHeaders();
      (d.server as unknown as { finishWait: () => void }).finishWait = () => res.end('{"StatusCode":3}\n');
      return;
    }
    if (url.includes('/start')) {
      res.statusCode = 204; res.end();
      const s = d.attached();
      s.write(Buffer.concat([encodeFrame(1, 'hello\n'), encodeFrame(2, 'oops\n')]));
      setTimeout(() => { s.end(); (d.server as unknown as { finishWait: () => void }).finishWait(); }, 20);
      return;
    }
    json(res, 404, { message: 'page not found' });
  });
  try {
    const r = await berth(['run', '--rm', '-e', 'A=1', 'alpine', 'sh', '-c', 'exit 3'], d.host);
    assert.equal(r.code, 3);
    assert.equal(r.stdout, 'hello\n');
    assert.equal(r.stderr, "Unable to find image 'alpine:latest' locally\nlatest: Pulling from library/alpine\nStatus: Downloaded newer image for alpine:latest\noops\n");
    assert.deepEqual(d.calls, [
      'POST /v1.45/containers/create',
      'POST /v1.45/images/create?fromImage=docker.io%2Flibrary%2Falpine&tag=latest',
      'POST /v1.45/containers/create',
      `UPGRADE /v1.45/containers/${ID}/attach?stream=1&stdout=1&stderr=1`,
      `POST /v1.45/containers/${ID}/wait?condition=removed`,
      `POST /v1.45/containers/${ID}/start`,
    ]);
    assert.deepEqual(createBody.Cmd, ['sh', '-c', 'exit 3']);
    assert.deepEqual(createBody.Env, ['A=1']);
  } finally { await d.close(); }
});

void test('run -d prints the id; start error maps to 127', async () => {
  const d = await daemon((req, res) => {
    if (req.url!.startsWith('/v1.45/containers/create?name=x')) return json(res, 201, { Id: ID, Warnings: ['low memory'] });
    if (req.url!.includes('/start')) return json(res, 400, { message: 'failed to create task: exec: "nope": executable file not found in $PATH' });
    json(res, 404, { message: 'page not found' });
  });
  try {
    const r = await berth(['run', '-d', '--name', 'x', 'alpine', 'nope'], d.host);
    assert.equal(r.code, 127);
    assert.equal(r.stderr, "WARNING: low memory\nberth: Error response from daemon: failed to create task: exec: \"nope\": executable file not found in $PATH\n\nRun 'berth run --help' for more information\n");
  } finally { await d.close(); }
});

void test('ps, rm, inspect fallback, daemon errors', async () => {
  const d = await daemon((req, res) => {
    const url = req.url!;
    if (url.startsWith('/v1.45/containers/json')) return json(res, 200, [{ Id: ID, Names: ['/web'], Image: 'alpine', Command: 'top', Created: Math.floor(Date.now() / 1000) - 10, Ports: [], Labels: {}, State: 'running', Status: 'Up 10 seconds' }]);
    if (url === '/v1.45/containers/web') { res.statusCode = 204; return res.end(); }
    if (url === '/v1.45/containers/busy') return json(res, 409, { message: 'cannot remove container "busy": container is running' });
    if (url === '/v1.45/images/alpine/json') return json(res, 200, { Id: 'sha256:abc', RepoTags: ['alpine:latest'] });
    json(res, 404, { message: `No such thing: ${url}` });
  });
  try {
    let r = await berth(['ps', '--format', '{{.ID}} {{.Names}} {{.Status}}'], d.host);
    assert.equal(r.stdout, `${ID.slice(0, 12)} web Up 10 seconds\n`);
    r = await berth(['container', 'ls', '-q', '--no-trunc', '-a', '-f', 'status=running'], d.host);
    assert.equal(r.stdout, `${ID}\n`);
    assert.ok(d.calls.includes('GET /v1.45/containers/json?all=1&filters=%7B%22status%22%3A%7B%22running%22%3Atrue%7D%7D'));
    r = await berth(['rm', 'web', 'busy'], d.host);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, 'web\n');
    assert.equal(r.stderr, 'Error response from daemon: cannot remove container "busy": container is running\n');
    r = await berth(['inspect', '-f', '{{.Id}} {{index .RepoTags 0}}', 'alpine'], d.host);
    assert.equal(r.stdout, 'sha256:abc alpine:latest\n');
    r = await berth(['inspect', 'zzz'], d.host);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '[]\n');
    assert.equal(r.stderr, 'Error: No such object: zzz\n');
  } finally { await d.close(); }
});

void test('usage errors, help and connection errors', async () => {
  let r = await berth(['run']);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, "berth: 'berth run' requires at least 1 argument\n\nUsage:  berth run [OPTIONS] IMAGE [COMMAND] [ARG...]\n\nSee 'berth run --help' for more information\n");
  r = await berth(['run', '--x', 'alpine']);
  assert.equal(r.code, 125);
  assert.equal(r.stderr, "unknown flag: --x\n\nUsage:  berth run [OPTIONS] IMAGE [COMMAND] [ARG...]\n\nRun 'berth run --help' for more information\n");
  r = await berth(['rename', 'a']);
  assert.match(r.stderr, /^berth: 'berth rename' requires 2 arguments\n/);
  r = await berth(['foo']);
  assert.equal(r.stderr, "berth: unknown command: berth foo\n\nRun 'berth --help' for more information\n");
  r = await berth(['ps']);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, 'Cannot connect to the berth daemon at unix:///nonexistent/b.sock. Is berthd running?\n');
  r = await berth(['run', 'alpine']);
  assert.equal(r.code, 125);
  r = await berth(['container', 'ls', '--help']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^Usage:  berth container ls \[OPTIONS\]\n\nList containers\n\nAliases:\n  berth container ls, berth container list, berth container ps, berth ps\n/);
  r = await berth(['image']);
  assert.match(r.stderr, /^Usage:  berth image COMMAND\n/);
  r = await berth(['-v']);
  assert.equal(r.stdout, 'berth version 0.1.0\n');
});

void test('import sends the file as the body', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-imp-'));
  const file = join(dir, 'rootfs.tar');
  writeFileSync(file, 'TARDATA');
  let got = '';
  const d = await daemon((req, res, body) => {
    got = body;
    res.setHeader('Content-Type', 'application/json');
    res.end(`{"status":"sha256:${'b'.repeat(64)}"}\n`);
  });
  try {
    const r = await berth(['import', '-c', 'CMD ["sh"]', '-c', 'ENV A=1', '-m', 'msg', file, 'foo:1.0'], d.host);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `sha256:${'b'.repeat(64)}\n`);
    assert.equal(got, 'TARDATA');
    assert.equal(d.calls[0], 'POST /v1.45/images/create?fromSrc=-&repo=foo%3A1.0&message=msg&changes=CMD%20%5B%22sh%22%5D&changes=ENV%20A%3D1');
  } finally { await d.close(); rmSync(dir, { recursive: true, force: true }); }
});

void test('run exit codes for start errors', () => {
  assert.equal(runExitCode(new ApiError(400, 'exec: "x": executable file not found in $PATH')), 127);
  assert.equal(runExitCode(new ApiError(400, 'open /x: no such file or directory')), 127);
  assert.equal(runExitCode(new ApiError(400, 'exec /etc: permission denied')), 126);
  assert.equal(runExitCode(new ApiError(400, 'is a directory')), 126);
  assert.equal(runExitCode(new ApiError(500, 'other')), 125);
});
