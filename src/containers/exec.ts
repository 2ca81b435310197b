/**
 * Exec instances (POST /containers/{id}/exec, /exec/{id}/start|json|resize). Each started exec runs under its own
 * conmon (runtime/exec.ts). Execs live in memory only (they do not survive a daemon restart) and are forgotten
 * when their container is removed. The exit code is recorded before `finished` resolves, and the API ends the
 * client's stream only after that, so a client inspecting the exec right after its stream ends sees the code.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { ConflictError, InvalidArgumentError, NotFoundError, errorMessage, log } from '../base/index.js';
import { ExecStartError, spawnExec, type ConmonRuntime, type ExecHandle } from '../runtime/index.js';
import type { EventBus } from '../events/index.js';
import type { ContainerConfig, HostConfig } from './docker-types.js';
import { resolveUser } from './user.js';

export interface ExecCreateBody {
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  DetachKeys?: string;
  Tty?: boolean;
  ConsoleSize?: number[] | null;
  Env?: string[] | null;
  Cmd?: string[] | null;
  Privileged?: boolean;
  User?: string;
  WorkingDir?: string;
}

/** The parts of a container record an exec needs (service.ts's ContainerRecord fits). */
export interface ExecTarget {
  Id: string;
  Name: string;
  Config: ContainerConfig;
  HostConfig: HostConfig;
  State: { Running: boolean; Paused: boolean; Restarting: boolean };
}
type ContainerRecord = ExecTarget;

export interface ExecManagerOptions {
  runtime: ConmonRuntime;
  events: EventBus;
  hostCapabilities: string[];
  find(ref: string): ContainerRecord;
  rootfs(id: string): string;
  bundle(id: string): string;
}

class ExecInstance {
  running = false;
  started = false;
  exitCode: number | null = null;
  pid = 0;
  handle: ExecHandle | undefined;
  constructor(readonly id: string, readonly containerId: string, readonly config: ExecCreateBody) {}
}

/** What `start` gives the API: the live process (absent when the runtime refused it) and its end. */
export interface StartedExec {
  handle?: ExecHandle;
  /** The runtime's error, Docker-worded, when the process could not start (exit code already recorded). */
  error?: string;
  /** Resolves once the exit code is recorded. */
  finished: Promise<number>;
}

/** Exit code Docker records when the runtime could not start the process (moby's translateContainerdStartErr). */
export function startErrorExitCode(msg: string): number {
  if (/executable file not found|no such file or directory|system cannot find the file specified/i.test(msg)) return 127;
  return 126;
}

export function checkRunnable(rec: ContainerRecord): void {
  if (rec.State.Paused) throw new ConflictError(`Container ${rec.Id} is paused, unpause the container before exec`);
  if (rec.State.Restarting) throw new ConflictError(`Container ${rec.Id} is restarting, wait until the container is running`);
  if (!rec.State.Running) throw new ConflictError(`Container ${rec.Id} is not running`);
}

function replaceOrAppendEnv(base: string[], extra: string[]): string[] {
  const out = [...base];
  for (const e of extra) {
    const key = e.split('=')[0]!;
    const i = out.findIndex((x) => x.split('=')[0] === key);
    if (i >= 0) out[i] = e;
    else out.push(e);
  }
  return out;
}

export class ExecManager {
  private readonly execs = new Map<string, ExecInstance>();

  constructor(private readonly o: ExecManagerOptions) {}

  private get(id: string): ExecInstance {
    const e = this.execs.get(id);
    if (!e) throw new NotFoundError(`No such exec instance: ${id}`);
    return e;
  }

  idsOf(containerId: string): string[] | null {
    const ids = [...this.execs.values()].filter((e) => e.containerId === containerId).map((e) => e.id);
    return ids.length ? ids : null;
  }

  /** Drops the execs of a removed container. */
  forget(containerId: string): void {
    for (const [id, e] of this.execs) if (e.containerId === containerId) this.execs.delete(id);
  }

  create(ref: string, body: ExecCreateBody): { Id: string } {
    const rec = this.o.find(ref);
    if (!body.Cmd || body.Cmd.length === 0) throw new InvalidArgumentError('No exec command specified');
    checkRunnable(rec);
    if (body.WorkingDir && !posix.isAbsolute(body.WorkingDir)) throw new InvalidArgumentError(`the working directory '${body.WorkingDir}' is invalid, it needs to be an absolute path`);
    for (const e of body.Env ?? []) if (!e || e.startsWith('=')) throw new InvalidArgumentError(`invalid environment variable: ${e}`);
    const id = randomBytes(32).toString('hex');
    this.execs.set(id, new ExecInstance(id, rec.Id, { ...body, Cmd: [...body.Cmd] }));
    this.emit(rec, `exec_create: ${body.Cmd.join(' ')}`, { execID: id });
    return { Id: id };
  }

  inspect(id: string): object {
    const e = this.get(id);
    const c = e.config;
    const [entrypoint, ...args] = c.Cmd ?? [];
    return {
      ID: e.id,
      Running: e.running,
      ExitCode: e.exitCode,
      ProcessConfig: {
        tty: !!c.Tty,
        entrypoint: entrypoint ?? '',
        arguments: args,
        privileged: !!c.Privileged,
        ...(c.User ? { user: c.User } : {}),
      },
      OpenStdin: !!c.AttachStdin,
      OpenStderr: !!c.AttachStderr,
      OpenStdout: !!c.AttachStdout,
      CanRemove: false,
      ContainerID: e.containerId,
      DetachKeys: c.DetachKeys ?? '',
      Pid: e.pid,
    };
  }

  /** The exec's config as created (the API needs Tty, Attach*, DetachKeys before starting). */
  configOf(id: string): ExecCreateBody & { containerId: string } {
    const e = this.get(id);
    return { ...e.config, containerId: e.containerId };
  }

  async resize(id: string, height: number, width: number): Promise<void> {
    const e = this.get(id);
    if (!e.running || !e.handle) throw new ConflictError(`Exec ${id} is not running`);
    if (!e.config.Tty) return;
    await e.handle.resize(height, width);
  }

  /** Validates that the exec can start (404/409 before any hijack). */
  checkStart(id: string): void {
    const e = this.get(id);
    if (e.exitCode !== null || (e.started && !e.running)) throw new ConflictError(`Error: Exec command ${id} has already run`);
    if (e.started) throw new ConflictError(`Error: Exec command ${id} is already running`);
    checkRunnable(this.o.find(e.containerId));
  }

  async start(id: string, opts: { tty?: boolean; consoleSize?: number[] | null; detach?: boolean } = {}): Promise<StartedExec> {
    this.checkStart(id);
    const e = this.get(id);
    e.started = true;
    const rec = this.o.find(e.containerId);
    const tty = opts.tty ?? !!e.config.Tty;
    let handle: ExecHandle;
    try {
      const proc = await this.processSpec(rec, e.config, tty, opts.consoleSize ?? e.config.ConsoleSize ?? null);
      const ctx = await this.o.runtime.execContext(rec.Id);
      this.emit(rec, `exec_start: ${(e.config.Cmd ?? []).join(' ')}`, { execID: id });
      handle = await spawnExec(ctx, { execId: id, process: proc, terminal: tty, stdin: !!e.config.AttachStdin });
    } catch (err) {
      const msg = err instanceof ExecStartError ? `${err.message}: unknown` : errorMessage(err);
      e.exitCode = err instanceof ExecStartError ? startErrorExitCode(err.runtimeMessage) : 126;
      e.running = false;
      this.emit(rec, 'exec_die', { execID: id, exitCode: String(e.exitCode) });
      return { error: msg, finished: Promise.resolve(e.exitCode) };
    }
    e.handle = handle;
    e.pid = handle.pid;
    e.running = true;
    const finished = handle.exit.then(
      (code) => code,
      () => 255,
    ).then((code) => {
      e.exitCode = code;
      e.running = false;
      e.pid = 0;
      this.emit(rec, 'exec_die', { execID: id, exitCode: String(code) });
      return code;
    });
    if (opts.detach) handle.socket.resume(); // nobody reads: drain, or conmon would block on its writes
    // conmon's directory goes once the output is read to its end (or a while after the exit, if nobody reads).
    const sock = handle.socket;
    const sockEnded = new Promise<void>((r) => {
      if (sock.readableEnded || sock.destroyed) r();
      sock.once('end', () => r());
      sock.once('close', () => r());
    });
    const grace = finished.then(() => new Promise<void>((r) => setTimeout(r, 10_000).unref()));
    void finished
      .then(() => Promise.race([sockEnded, grace]))
      .then(() => handle.cleanup())
      .then(() => { e.handle = undefined; })
      .catch((err: unknown) => log.warn('exec cleanup failed', { id, error: errorMessage(err) }));
    return { handle, finished };
  }

  private async processSpec(rec: ContainerRecord, c: ExecCreateBody, tty: boolean, consoleSize: number[] | null): Promise<Record<string, unknown>> {
    const cfg = JSON.parse(await readFile(join(this.o.bundle(rec.Id), 'config.json'), 'utf8')) as { process: Record<string, unknown> & { env?: string[]; cwd?: string } };
    const proc: Record<string, unknown> = { ...cfg.process };
    proc['args'] = [...(c.Cmd ?? [])];
    let env = (cfg.process.env ?? []).filter((e) => !e.startsWith('TERM='));
    if (tty) env.push('TERM=xterm');
    const containerTerm = (rec.Config.Env ?? []).filter((e) => e.startsWith('TERM='));
    env = replaceOrAppendEnv(env, [...containerTerm, ...(c.Env ?? [])]);
    proc['env'] = env;
    proc['terminal'] = tty;
    delete proc['consoleSize'];
    if (tty && consoleSize && consoleSize.length === 2 && consoleSize[0]! > 0 && consoleSize[1]! > 0) {
      proc['consoleSize'] = { height: consoleSize[0], width: consoleSize[1] };
    }
    if (c.WorkingDir) proc['cwd'] = c.WorkingDir;
    if (c.User) {
      const u = await resolveUser(this.o.rootfs(rec.Id), c.User, rec.HostConfig.GroupAdd);
      proc['user'] = { uid: u.uid, gid: u.gid, additionalGids: [...u.additionalGids] };
    }
    if (c.Privileged) {
      const caps = [...this.o.hostCapabilities];
      proc['capabilities'] = { bounding: caps, effective: caps, permitted: caps };
    }
    return proc;
  }

  private emit(rec: ContainerRecord, action: string, extra: Record<string, string>): void {
    try {
      this.o.events.publish({
        Type: 'container',
        Action: action,
        Actor: { ID: rec.Id, Attributes: { ...(rec.Config.Labels ?? {}), image: rec.Config.Image ?? '', name: rec.Name.slice(1), ...extra } },
        from: rec.Config.Image ?? '',
      });
    } catch (err) {
      log.warn('exec event failed', { error: errorMessage(err) });
    }
  }
}
