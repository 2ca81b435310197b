/**
 * Exec sessions under conmon (as podman does): one `conmon --exec` per exec, which runs `<runtime> exec --detach
 * --process <spec>` and holds the process's stdio (or the pty master with a terminal). With --exec-attach, conmon
 * sets up its attach socket in the exec's directory, reports that on _OCI_ATTACHPIPE and waits on _OCI_STARTPIPE
 * before running the runtime, so we connect before the process runs and lose no output.
 *
 * _OCI_SYNCPIPE (api version 1) carries two JSON lines: {"data": pid} (negative, with "message", when the runtime
 * failed), then {"data": exitCode} when the process exited.
 *
 * Layout: <container state dir>/exec/<execId>/{process.json, pid, conmon.pid, exits/, sock/, runtime.log,
 * output.log, attach, ctl, winsz}; removed by `cleanup()`.
 */
import { spawn } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { FailedPreconditionError, InvalidArgumentError, removeTree } from '../base/index.js';
import { SeqpacketSocket, isSameProcessAlive, processStartTime } from '../sys/index.js';
import type { ExecContext } from './conmon.js';
import { runtimeErrorMessage } from './conmon.js';
import { writeControl } from './control.js';

const EXEC_ID_RE = /^[a-f0-9]{64}$/;
const SETUP_TIMEOUT_MS = 60_000;

export interface ExecSpawnOptions {
  execId: string;
  /** The OCI process to run (args, env, cwd, user, terminal, capabilities...). */
  process: Record<string, unknown>;
  terminal: boolean;
  stdin: boolean;
}

/** The runtime failed to start the process (not found, not executable...): `message` is the runtime's own. */
export class ExecStartError extends Error {
  constructor(readonly runtimeMessage: string) {
    super(`OCI runtime exec failed: ${runtimeMessage}`);
    this.name = 'ExecStartError';
  }
}

export interface ExecHandle {
  pid: number;
  /** conmon's attach socket: packets from it are [2=stdout|3=stderr] + data; what is written is stdin. */
  socket: SeqpacketSocket;
  /** The exit code, known before (or when) the attach socket reaches its end. */
  exit: Promise<number>;
  resize(height: number, width: number): Promise<void>;
  /** Kills conmon if still alive and removes the exec's directory. */
  cleanup(): Promise<void>;
}

/** Line reader on a pipe: resolves one JSON object per call, undefined at the end. */
function lineReader(stream: Readable): () => Promise<{ data?: number; message?: string } | undefined> {
  let buf = '';
  let ended = false;
  let waiter: (() => void) | undefined;
  stream.on('data', (b: Buffer) => { buf += b.toString(); waiter?.(); });
  stream.on('end', () => { ended = true; waiter?.(); });
  stream.on('error', () => { ended = true; waiter?.(); });
  stream.on('close', () => { ended = true; waiter?.(); });
  return async () => {
    for (;;) {
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          return JSON.parse(line) as { data?: number; message?: string };
        } catch {
          return { data: -1, message: `unexpected message from conmon: ${line}` };
        }
      }
      if (ended) return undefined;
      await new Promise<void>((r) => (waiter = r));
      waiter = undefined;
    }
  };
}

function withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new FailedPreconditionError(`conmon did not ${what} within ${SETUP_TIMEOUT_MS / 1000}s`)), SETUP_TIMEOUT_MS);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

function writeTo(stream: Writable, data: string): Promise<void> {
  return new Promise((resolve, reject) => stream.write(data, (err) => (err ? reject(err) : resolve())));
}

/** Starts an exec in a running container; throws ExecStartError when the runtime refused the process. */
export async function spawnExec(ctx: ExecContext, o: ExecSpawnOptions): Promise<ExecHandle> {
  if (!EXEC_ID_RE.test(o.execId)) throw new InvalidArgumentError(`invalid exec id: ${o.execId}`);
  const dir = join(ctx.dir, 'exec', o.execId);
  await mkdir(join(dir, 'exits'), { recursive: true });
  await mkdir(join(dir, 'sock'));
  const spec = join(dir, 'process.json');
  // A transient private file conmon reads at once: no fsync (writeFileAtomic) needed.
  await writeFile(spec, JSON.stringify(o.process), { mode: 0o600 });
  const runtimeLog = join(dir, 'runtime.log');
  const args = [
    '--api-version', '1',
    '-c', ctx.id,
    '-u', o.execId,
    '-n', ctx.id,
    '-r', ctx.runtimePath,
    '-b', dir,
    '-p', join(dir, 'pid'),
    '-P', join(dir, 'conmon.pid'),
    '-l', `k8s-file:${join(dir, 'output.log')}`,
    '--exit-dir', join(dir, 'exits'),
    '--socket-dir-path', join(dir, 'sock'),
    '--exec', '--exec-process-spec', spec, '--exec-attach',
    ...ctx.globalArgs.flatMap((a) => ['--runtime-arg', a]),
    '--runtime-arg', `--log=${runtimeLog}`,
    '--runtime-arg', '--log-format=json',
  ];
  if (o.stdin) args.push('-i');
  if (o.terminal) args.push('-t');
  const env: NodeJS.ProcessEnv = { ...process.env, _OCI_SYNCPIPE: '3', _OCI_STARTPIPE: '4', _OCI_ATTACHPIPE: '5' };
  delete env.NOTIFY_SOCKET;
  const child = spawn(ctx.conmonPath, args, { cwd: dir, env, detached: true, stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe', 'pipe'] });
  child.on('error', () => undefined);
  child.unref();
  const sync = child.stdio[3] as Readable;
  const start = child.stdio[4] as Writable;
  const attachPipe = (child.stdio as unknown as Readable[])[5]!;
  start.on('error', () => undefined);
  const stderr: Buffer[] = [];
  child.stdout!.on('data', (b: Buffer) => stderr.push(b));
  child.stderr!.on('data', (b: Buffer) => stderr.push(b));
  const nextSync = lineReader(sync);
  const nextAttach = lineReader(attachPipe);
  let socket: SeqpacketSocket | undefined;
  const closePipes = (): void => {
    for (const s of [sync, start, attachPipe, child.stdout!, child.stderr!]) s.destroy();
  };
  const cleanup = async (): Promise<void> => {
    closePipes();
    socket?.destroy();
    const conmonPid = Number((await readFile(join(dir, 'conmon.pid'), 'utf8').catch(() => '')).trim());
    if (conmonPid > 0) {
      const st = processStartTime(conmonPid);
      for (let i = 0; i < 40 && isSameProcessAlive(conmonPid, st); i++) await new Promise((r) => setTimeout(r, 50));
      if (isSameProcessAlive(conmonPid, st)) {
        try { process.kill(conmonPid, 'SIGKILL'); } catch { /* gone */ }
      }
    }
    await removeTree(dir);
  };
  try {
    await writeTo(start, '0');
    const ready = await withTimeout(nextAttach(), 'set up the exec attach socket');
    if (!ready || (typeof ready.data === 'number' && ready.data < 0)) {
      throw new FailedPreconditionError(`conmon failed to set up the exec: ${ready?.message ?? (Buffer.concat(stderr).toString().trim() || 'no attach socket')}`);
    }
    socket = SeqpacketSocket.connect(join(dir, 'attach'));
    socket.on('error', () => undefined);
    await writeTo(start, '0');
    const first = await withTimeout(nextSync(), 'report the exec started');
    if (!first || typeof first.data !== 'number' || first.data <= 0) {
      let msg = first?.message ?? '';
      if (!msg) msg = runtimeErrorMessage(await readFile(runtimeLog, 'utf8').catch(() => ''));
      if (!msg) msg = Buffer.concat(stderr).toString().trim() || 'the runtime did not start the process';
      throw new ExecStartError(runtimeErrorMessage(msg) || msg.trim());
    }
    const pid = first.data;
    const exit = (async (): Promise<number> => {
      const m = await nextSync();
      if (m && typeof m.data === 'number' && m.data >= 0) return m.data;
      const text = await readFile(join(dir, 'exits', ctx.id), 'utf8').catch(() => '');
      const code = Number.parseInt(text.trim(), 10);
      return Number.isFinite(code) && code >= 0 ? code : 255;
    })();
    exit.catch(() => undefined);
    return {
      pid,
      socket,
      exit,
      resize: (h, w) => writeControl(join(dir, 'ctl'), h, w),
      cleanup,
    };
  } catch (err) {
    await cleanup().catch(() => undefined);
    throw err;
  }
}
