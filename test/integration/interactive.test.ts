import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { BERTH, TestDaemon, hasDocker, isRoot, sh, waitFor } from '../helpers/daemon.js';

// Interactive containers driven through a real terminal (tmux) with the berth CLI and the docker CLI.
const hasTmux = spawnSync('tmux', ['-V']).status === 0;
const skip = !isRoot || !hasTmux;
const skipDocker = skip || !hasDocker();
let d: TestDaemon;
let seq = 0;

before(async () => {
  if (skip) return;
  d = await TestDaemon.start();
});
after(async () => {
  if (skip) return;
  assert.deepEqual(await d.cleanup(), []);
});

type Cli = 'berth' | 'docker';

/** The command line (for a shell) running `cli` against the test daemon. */
function cliLine(cli: Cli, args: string): string {
  if (cli === 'berth') return `${BERTH} -H ${d.host} ${args}`;
  return `env DOCKER_HOST=${d.host} DOCKER_CONFIG=${join(d.dir, 'docker-config')} docker ${args}`;
}

/** One tmux server of our own (unique -L socket), killed by `close()`. */
class Term {
  readonly name = `berth-it-${process.pid}-${++seq}`;
  readonly exitFile: string;
  constructor() {
    this.exitFile = join(d.dir, `${this.name}.exit`);
  }

  private tmux(...args: string[]): string {
    const r = spawnSync('tmux', ['-L', this.name, ...args], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`tmux ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  }

  /** Runs `line` in an 80x24 terminal; its exit status lands in exitFile. */
  start(line: string, size = { x: 80, y: 24 }): void {
    this.tmux('new-session', '-d', '-x', String(size.x), '-y', String(size.y), '-s', 'main',
      `${line}; echo EXIT=$? > ${this.exitFile}; sleep 600`);
  }

  keys(...keys: string[]): void {
    this.tmux('send-keys', '-t', 'main', ...keys);
  }

  type(text: string): void {
    this.tmux('send-keys', '-t', 'main', '-l', text);
    this.tmux('send-keys', '-t', 'main', 'Enter');
  }

  screen(): string {
    return this.tmux('capture-pane', '-p', '-t', 'main', '-S', '-200');
  }

  resize(x: number, y: number): void {
    this.tmux('resize-window', '-t', 'main', '-x', String(x), '-y', String(y));
  }

  async waitScreen(re: RegExp, what: string): Promise<string> {
    try {
      return await waitFor(() => (re.test(this.screen()) ? this.screen() : ''), what, 20_000);
    } catch (err) {
      throw new Error(`${(err as Error).message}\nscreen:\n${this.screen()}`);
    }
  }

  async exitCode(): Promise<number> {
    const text = await waitFor(() => readFile(this.exitFile, 'utf8').catch(() => ''), `exit of ${this.name}`, 20_000);
    return Number(/EXIT=(\d+)/.exec(text)![1]);
  }

  close(): void {
    spawnSync('tmux', ['-L', this.name, 'kill-server']);
  }
}

async function withTerm<T>(fn: (t: Term) => Promise<T>): Promise<T> {
  const t = new Term();
  try {
    return await fn(t);
  } finally {
    t.close();
  }
}

async function state(name: string): Promise<string> {
  const r = await d.berth(['inspect', '--format', '{{.State.Status}}', name]);
  return r.stdout.trim();
}

for (const cli of ['berth', 'docker'] as const) {
  const skipThis = cli === 'docker' ? skipDocker : skip;

  void test(`${cli}: run -it: typing, window size, resize, ctrl-c, detach, attach again, exit code`, { skip: skipThis }, async () => {
    const name = `it-${cli}`;
    await withTerm(async (t) => {
      t.start(cliLine(cli, `run -it --name ${name} busybox sh`));
      await t.waitScreen(/\/ #\s*$/m, 'the shell prompt');
      t.type('echo hello-$((6*7))');
      await t.waitScreen(/^hello-42$/m, 'command output');
      t.type('stty size');
      await t.waitScreen(/^24 80$/m, 'initial window size');
      t.resize(100, 30);
      // SIGWINCH reaches the CLI asynchronously: ask until the new size shows.
      await waitFor(() => {
        t.type('stty size');
        return /^30 100$/m.test(t.screen());
      }, 'resized window');
      t.type('sleep 300');
      await t.waitScreen(/sleep 300\n/, 'sleep typed');
      t.keys('C-c');
      t.type('echo after-$((2+3))');
      await t.waitScreen(/^after-5$/m, 'shell back after ctrl-c');
      t.keys('C-p', 'C-q');
      assert.equal(await t.exitCode(), 0, t.screen());
    });
    assert.equal(await state(name), 'running');
    await withTerm(async (t) => {
      t.start(cliLine(cli, `attach ${name}`));
      t.type('echo back-$((1+1))');
      await t.waitScreen(/^back-2$/m, 'output after attach');
      t.type('exit 3');
      assert.equal(await t.exitCode(), 3, t.screen());
    });
    assert.equal(await state(name), 'exited');
    // With a TTY the log holds the terminal output as stdout.
    const logs = await d.berth(['logs', name]);
    assert.match(logs.stdout, /hello-42\r?\n/);
    assert.equal((await d.berth(['rm', name])).code, 0);
  });

  void test(`${cli}: attach --detach-keys and run -d -it keep the shell alive`, { skip: skipThis }, async () => {
    const name = `dk-${cli}`;
    const r = await d.berth(['run', '-d', '-it', '--name', name, 'busybox', 'sh']);
    assert.equal(r.code, 0, r.stderr);
    await withTerm(async (t) => {
      t.start(cliLine(cli, `attach --detach-keys ctrl-x,x ${name}`));
      t.type('echo ok-$((3*3))');
      await t.waitScreen(/^ok-9$/m, 'attached output');
      // The default keys do nothing here; the custom sequence detaches.
      t.keys('C-p', 'C-q', 'C-x', 'x');
      assert.equal(await t.exitCode(), 1, t.screen()); // docker attach: "read escape sequence", status 1
      assert.match(t.screen(), /read escape sequence/);
    });
    assert.equal(await state(name), 'running');
    assert.equal((await d.berth(['rm', '-f', name])).code, 0);
  });

  void test(`${cli}: start -ai and exec -it with a window size`, { skip: skipThis }, async () => {
    const name = `sa-${cli}`;
    assert.equal((await d.berth(['create', '-it', '--name', name, 'busybox', 'sh'])).code, 0);
    await withTerm(async (t) => {
      t.start(cliLine(cli, `start -ai ${name}`));
      await t.waitScreen(/\/ #\s*$/m, 'prompt after start -ai');
      t.type('echo started-$((4+4))');
      await t.waitScreen(/^started-8$/m, 'start -ai output');
      t.keys('C-p', 'C-q');
      assert.equal(await t.exitCode(), 0, t.screen());
    });
    await withTerm(async (t) => {
      t.start(cliLine(cli, `exec -it -e FOO=bar -w /tmp ${name} sh`), { x: 90, y: 20 });
      await t.waitScreen(/\/tmp #\s*$/m, 'exec prompt');
      t.type('echo $FOO-$(pwd)-$TERM; stty size');
      await t.waitScreen(/^bar-\/tmp-xterm\n20 90$/m, 'exec env and size');
      t.resize(70, 15);
      await waitFor(() => {
        t.type('stty size');
        return /^15 70$/m.test(t.screen());
      }, 'resized exec window');
      t.type('exit 7');
      assert.equal(await t.exitCode(), 7, t.screen());
    });
    assert.equal(await state(name), 'running');
    assert.equal((await d.berth(['rm', '-f', name])).code, 0);
  });

  void test(`${cli}: piped stdin, exec exit codes, exec -d, exec refused when paused or stopped`, { skip: skipThis }, async () => {
    const run = (args: string[], input?: string) => (cli === 'berth' ? d.berth(args, input !== undefined ? { input } : {}) : d.docker(args, input !== undefined ? { input } : {}));
    const piped = await run(['run', '-i', '--rm', 'busybox', 'cat'], 'hi\n');
    assert.equal(piped.code, 0, piped.stderr);
    assert.equal(piped.stdout, 'hi\n');
    const name = `ex-${cli}`;
    assert.equal((await run(['run', '-d', '--name', name, 'busybox', 'sleep', '300'])).code, 0);
    const five = await run(['exec', name, 'sh', '-c', 'echo out; echo err >&2; exit 5']);
    assert.equal(five.code, 5);
    assert.equal(five.stdout, 'out\n');
    assert.equal(five.stderr, 'err\n');
    const nf = await run(['exec', name, 'no-such-command']);
    assert.equal(nf.code, 127);
    assert.match(nf.stdout, /executable file not found/);
    const nx = await run(['exec', name, '/etc']);
    assert.equal(nx.code, 126);
    const cat = await run(['exec', '-i', name, 'cat'], 'through exec\n');
    assert.equal(cat.stdout, 'through exec\n');
    const user = await run(['exec', '-u', 'nobody', '-e', 'X=1', name, 'sh', '-c', 'echo $(id -u) $X']);
    assert.equal(user.stdout, '65534 1\n');
    assert.equal((await run(['exec', '-d', name, 'sh', '-c', 'echo detached > /tmp/d'])).code, 0);
    await waitFor(async () => (await run(['exec', name, 'cat', '/tmp/d'])).stdout === 'detached\n', 'exec -d effect');
    const id = (await d.berth(['inspect', '--format', '{{.Id}}', name])).stdout.trim();
    assert.equal((await d.berth(['pause', name])).code, 0);
    const paused = await run(['exec', name, 'true']);
    assert.equal(paused.code, 1);
    assert.match(paused.stderr, new RegExp(`Container ${id} is paused, unpause the container before exec`));
    assert.equal((await d.berth(['unpause', name])).code, 0);
    assert.equal((await d.berth(['stop', '-t', '0', name])).code, 0);
    const stopped = await run(['exec', name, 'true']);
    assert.equal(stopped.code, 1);
    assert.match(stopped.stderr, new RegExp(`Container ${id} is not running`));
    assert.equal((await d.berth(['rm', name])).code, 0);
  });
}

/** A raw API request on the daemon socket; resolves with the socket once the response head is in. */
function rawRequest(head: string, socketPath = d.socket): Promise<{ head: string; rest: Buffer; socket: import('node:net').Socket }> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    let buf = Buffer.alloc(0);
    const onData = (b: Buffer): void => {
      buf = Buffer.concat([buf, b]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      resolve({ head: buf.subarray(0, end).toString(), rest: buf.subarray(end + 4), socket });
    };
    socket.on('data', onData);
    socket.on('error', reject);
    socket.write(head);
  });
}

function readUntil(socket: import('node:net').Socket, initial: Buffer, pred: (all: Buffer) => boolean): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let all = initial;
    if (pred(all)) return resolve(all);
    const timer = setTimeout(() => reject(new Error(`timeout; got ${JSON.stringify(all.toString())}`)), 20_000);
    socket.on('data', (b: Buffer) => {
      all = Buffer.concat([all, b]);
      if (pred(all)) {
        clearTimeout(timer);
        resolve(all);
      }
    });
  });
}

void test('API: hijacked attach with stdin and stdcopy frames; exec inspect; resize; websocket attach', { skip }, async () => {
  const r = await d.berth(['run', '-d', '-i', '--name', 'api-i', 'busybox', 'sh', '-c', 'while read l; do echo got-$l; echo err-$l >&2; done']);
  assert.equal(r.code, 0, r.stderr);
  const id = r.stdout.trim();
  // Hijacked attach: the 101 comes alone, then stdcopy frames for stdout and stderr.
  const h = await rawRequest(`POST /v1.45/containers/${id}/attach?stream=1&stdin=1&stdout=1&stderr=1 HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 0\r\n\r\n`);
  assert.match(h.head, /^HTTP\/1.1 101 UPGRADED/);
  assert.match(h.head, /Content-Type: application\/vnd.docker.multiplexed-stream/);
  h.socket.write('one\n');
  const frames = await readUntil(h.socket, h.rest, (b) => b.includes('got-one') && b.includes('err-one'));
  const kinds = new Set<number>();
  for (let off = 0; off + 8 <= frames.length; off += 8 + frames.readUInt32BE(off + 4)) kinds.add(frames[off]!);
  assert.deepEqual([...kinds].sort(), [1, 2]);
  h.socket.destroy();

  // Websocket attach: masked frames in, raw output out.
  const key = randomBytes(16).toString('base64');
  const ws = await rawRequest(`GET /v1.45/containers/${id}/attach/ws?stream=1&stdin=1&stdout=1 HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${key}\r\n\r\n`);
  assert.match(ws.head, /^HTTP\/1.1 101 Switching Protocols/);
  const accept = createHash('sha1').update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
  assert.match(ws.head, new RegExp(`Sec-WebSocket-Accept: ${accept.replace(/[+/]/g, '\\$&')}`));
  const payload = Buffer.from('two\n');
  const mask = randomBytes(4);
  const masked = Buffer.from(payload.map((b, i) => b ^ mask[i & 3]!));
  ws.socket.write(Buffer.concat([Buffer.from([0x82, 0x80 | payload.length]), mask, masked]));
  const got = await readUntil(ws.socket, ws.rest, (b) => b.includes('got-two'));
  assert.equal(got[0]! & 0x0f, 2); // a binary message
  ws.socket.destroy();

  // Exec inspect: exit code recorded, process config as created.
  const ex = await d.berth(['exec', 'api-i', 'sh', '-c', 'exit 9']);
  assert.equal(ex.code, 9);
  const execs = await sh(`curl -s --unix-socket ${d.socket} http://x/v1.45/containers/${id}/json`);
  const ids = (JSON.parse(execs.stdout) as { ExecIDs: string[] }).ExecIDs;
  const ins = await sh(`curl -s --unix-socket ${d.socket} http://x/v1.45/exec/${ids.at(-1)}/json`);
  const info = JSON.parse(ins.stdout) as { ExitCode: number; Running: boolean; ProcessConfig: { entrypoint: string; arguments: string[] }; ContainerID: string };
  assert.equal(info.ExitCode, 9);
  assert.equal(info.Running, false);
  assert.equal(info.ContainerID, id);
  assert.deepEqual([info.ProcessConfig.entrypoint, ...info.ProcessConfig.arguments], ['sh', '-c', 'exit 9']);
  const missing = await sh(`curl -s -o /dev/null -w '%{http_code}' --unix-socket ${d.socket} http://x/v1.45/exec/nope/json`);
  assert.equal(missing.stdout, '404');
  // Resize of a running container answers 200; of a stopped one 409.
  const rs = await sh(`curl -s -o /dev/null -w '%{http_code}' -X POST --unix-socket ${d.socket} 'http://x/v1.45/containers/${id}/resize?h=10&w=20'`);
  assert.equal(rs.stdout, '200');
  assert.equal((await d.berth(['rm', '-f', 'api-i'])).code, 0);
});

void test('daemon.json detach-keys: the daemon detaches an attach session on them; ctrl-p ctrl-q pass through', { skip }, async () => {
  const d2 = await TestDaemon.start({ config: { 'detach-keys': 'ctrl-x,x' } });
  try {
    const r = await d2.berth(['run', '-d', '-it', '--name', 'dk', 'busybox', 'sh']);
    assert.equal(r.code, 0, r.stderr);
    const id = r.stdout.trim();
    const h = await rawRequest(`POST /v1.45/containers/${id}/attach?stream=1&stdin=1&stdout=1&stderr=1 HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 0\r\n\r\n`, d2.socket);
    assert.match(h.head, /^HTTP\/1.1 101 UPGRADED/);
    const ended = new Promise<void>((resolve) => { h.socket.once('end', resolve); h.socket.once('close', () => resolve()); });
    // Docker's default keys are no escape here: they reach the shell (which ignores them), the session stays.
    h.socket.write('\x10\x11echo still-$((6*7))\r');
    await readUntil(h.socket, h.rest, (b) => b.includes('still-42'));
    // The configured sequence ends the session; the container keeps running.
    h.socket.write('\x18x');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([ended, new Promise((_r, reject) => { timer = setTimeout(() => reject(new Error('the session did not end on the configured detach keys')), 20_000); })]);
    clearTimeout(timer);
    h.socket.destroy();
    assert.equal((await d2.berth(['inspect', '--format', '{{.State.Status}}', id])).stdout.trim(), 'running');
    assert.equal((await d2.berth(['rm', '-f', id])).code, 0);
  } finally {
    assert.deepEqual(await d2.cleanup(), []);
  }
});
