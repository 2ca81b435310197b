import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { request, type ClientRequest } from 'node:http';

export const REPO = resolve(new URL('../../..', import.meta.url).pathname.replace(/\/dist\/?$/, ''));
const repoRoot = existsSync(join(REPO, 'package.json')) ? REPO : resolve(REPO, '..');
export const BERTH = join(repoRoot, 'bin', 'berth');
export const BERTHD = join(repoRoot, 'bin', 'berthd');
export const BUSYBOX_TAR_SCRIPT = join(repoRoot, 'scripts', 'make-busybox-tar.sh');

export const isRoot = process.getuid?.() === 0;

export interface RunResult { code: number; stdout: string; stderr: string }

/** A real berthd on a temporary socket, data root and exec root. */
export class TestDaemon {
  proc: ChildProcess | undefined;
  log = '';
  private constructor(readonly dir: string, readonly socket: string, readonly dataRoot: string, readonly execRoot: string) {}

  static async start(opts: { dir?: string; extraArgs?: string[]; busybox?: boolean; config?: object } = {}): Promise<TestDaemon> {
    const dir = opts.dir ?? (await mkdtemp(join(tmpdir(), 'berth-test-')));
    const d = new TestDaemon(dir, join(dir, 'berth.sock'), join(dir, 'data'), join(dir, 'exec'));
    await writeFile(join(dir, 'daemon.json'), JSON.stringify(opts.config ?? {}));
    await d.spawn(opts.extraArgs ?? []);
    if (opts.busybox !== false) await d.importBusybox();
    return d;
  }

  get host(): string { return `unix://${this.socket}`; }

  async spawn(extraArgs: string[] = []): Promise<void> {
    const args = ['-H', this.host, '--data-root', this.dataRoot, '--exec-root', this.execRoot, '--config-file', join(this.dir, 'daemon.json'), ...extraArgs];
    const proc = spawn(BERTHD, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env },
    });
    this.proc = proc;
    proc.stdout!.on('data', (b: Buffer) => (this.log += b.toString()));
    proc.stderr!.on('data', (b: Buffer) => (this.log += b.toString()));
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      if (proc.exitCode !== null) throw new Error(`berthd exited with ${proc.exitCode}: ${this.log}`);
      if (await this.ping()) return;
      await sleep(50);
    }
    throw new Error(`berthd did not come up: ${this.log}`);
  }

  ping(): Promise<boolean> {
    return new Promise((resolve) => {
      const req = request({ socketPath: this.socket, path: '/_ping', method: 'GET' }, (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      });
      req.on('error', () => resolve(false));
      req.end();
    });
  }

  /** Raw HTTP to the API; returns status, headers and the body text. */
  api(method: string, path: string, body?: unknown): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
    return new Promise((resolve, reject) => {
      const data = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
      const req = request({ socketPath: this.socket, path, method, headers: data ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) } : {} }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
      });
      req.on('error', reject);
      req.end(data);
    });
  }

  async importBusybox(): Promise<void> {
    const r = await sh(`bash ${BUSYBOX_TAR_SCRIPT} | ${BERTH} -H ${this.host} import -c 'CMD ["sh"]' - busybox:latest`);
    if (r.code !== 0) throw new Error(`busybox import failed: ${r.stderr}`);
  }

  /** Runs the berth CLI against this daemon. */
  berth(args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
    return run(BERTH, ['-H', this.host, ...args], opts);
  }

  /** Runs the real docker CLI against this daemon. */
  docker(args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
    return run('docker', args, { ...opts, env: { DOCKER_HOST: this.host, DOCKER_CONFIG: join(this.dir, 'docker-config') } });
  }

  /** SIGKILL the daemon (containers keep running under their shims). */
  async kill9(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await exited;
  }

  async stopDaemon(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGTERM');
    await exited;
  }

  /** Removes every container, stops the daemon, and checks nothing was left behind. */
  async cleanup(): Promise<string[]> {
    if (this.proc && this.proc.exitCode === null && this.proc.signalCode === null) {
      const ids = (await this.berth(['ps', '-aq', '--no-trunc'])).stdout.split('\n').filter(Boolean);
      if (ids.length) await this.berth(['rm', '-f', ...ids]);
      await this.stopDaemon();
    }
    const leaks = await leaksUnder(this.dir);
    await rm(this.dir, { recursive: true, force: true });
    return leaks;
  }
}

/** Mounts, conmon processes and cgroups that still refer to a test directory. */
export async function leaksUnder(dir: string): Promise<string[]> {
  const leaks: string[] = [];
  const mounts = await readFile('/proc/self/mountinfo', 'utf8');
  for (const line of mounts.split('\n')) if (line.includes(dir)) leaks.push(`mount: ${line.split(' ')[4]}`);
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmd.includes(dir) && (cmd.startsWith('conmon') || cmd.includes('/conmon'))) {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
      if (stat && !/\) Z /.test(stat)) leaks.push(`process ${pid}: ${cmd.replace(/\0/g, ' ').slice(0, 120)}`);
    }
  }
  return leaks;
}

/** cgroup directories berth made for containers that no longer exist. */
export async function cgroupLeaks(ids: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const ctrl of ['memory', 'pids', 'cpu', 'freezer', 'blkio', 'devices', 'cpuset']) {
    for (const id of ids) {
      const p = `/sys/fs/cgroup/${ctrl}/berth/${id}`;
      if (existsSync(p)) out.push(p);
    }
  }
  return out;
}

export function run(cmd: string, args: string[], opts: { input?: string; timeoutMs?: number; env?: Record<string, string> } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...(opts.env ?? {}) } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`timeout: ${cmd} ${args.join(' ')}\n${stdout}\n${stderr}`)); }, opts.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code: code ?? 128, stdout, stderr }); });
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

export function sh(script: string, opts: { timeoutMs?: number } = {}): Promise<RunResult> {
  return run('bash', ['-c', script], opts);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `fn` until it returns a truthy value or the time runs out. */
export async function waitFor<T>(fn: () => Promise<T> | T, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

export function hasDocker(): boolean {
  return spawnSync('docker', ['--version']).status === 0;
}

/** One message of a JSON progress stream (pull, push, load...). */
export interface JsonMessage { status?: string; id?: string; error?: string; progress?: string; progressDetail?: { current?: number; total?: number } }

/** A streaming POST to berthd's API as a client that can go away: collects the JSON messages as they come. */
export interface RawStream { lines: JsonMessage[]; done: Promise<void>; destroy(): void }

export function rawJsonStream(d: TestDaemon, path: string, headers: Record<string, string> = {}): RawStream {
  const lines: JsonMessage[] = [];
  let req: ClientRequest | undefined;
  const done = new Promise<void>((resolve, reject) => {
    req = request({ socketPath: d.socket, method: 'POST', path, headers }, (res) => {
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (s: string) => {
        buf += s;
        for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
          lines.push(JSON.parse(buf.slice(0, nl)) as JsonMessage);
          buf = buf.slice(nl + 1);
        }
      });
      res.on('end', () => resolve());
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
  done.catch(() => undefined); // a destroyed client's request fails; only the waited-for ones matter
  return { lines, done, destroy: () => req?.destroy() };
}
