/**
 * ConmonRuntime: one conmon shim per container driving an OCI runtime (runc by default).
 *
 * Layout, per container, under <stateDir>/<id>/: state.json (what we need after a daemon restart), conmon.pid,
 * pidfile (container init), runtime.log (the runtime's JSON log for create, read for error messages),
 * exits/<id> (exit code written by conmon; watched), persist/{exit,oom} (conmon's persist dir: `oom` marks an OOM
 * kill), sock/<id> -> bundle (conmon's attach socket dir; conmon creates attach/ctl/winsz in the bundle, removed on
 * delete). The runtime's --root is `runcRoot` for the 'runc' handler and <dirname(runcRoot)>/<handler name> otherwise.
 *
 * cgroups: the caller puts an absolute `linux.cgroupsPath` in the spec, e.g. "/berth/<id>" (cgroupfs driver, like
 * Docker's "/docker/<id>"): on this hybrid host runc creates <hierarchy>/berth/<id> in every v1 controller, the
 * name=systemd hierarchy and the (controller-less) v2 one. A relative path would nest under berthd's own cgroup.
 * `runc delete` removes the leaf; the shared parent (/berth) stays, as with Docker.
 *
 * OOM: conmon 2.1.6 watches memory.oom_control (cgroup v1 eventfd) and writes persist/oom; as a fallback we read
 * the `oom_kill` counter of the container's memory cgroup (recorded at create) while it still exists.
 *
 * crun 1.8 refuses hybrid hosts ("cgroups in hybrid mode not supported"); on such a host a crun handler is run
 * through a wrapper script (<stateDir>/.wrappers/<name>-hybrid.sh) that unshares a private mount namespace and
 * bind-mounts /dev/null over /sys/fs/cgroup/unified/cgroup.controllers, so crun sees a pure v1 layout.
 */
import { spawn } from 'node:child_process';
import { existsSync, watch, readFileSync, type FSWatcher } from 'node:fs';
import { mkdir, readFile, readdir, rm, stat, chmod } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import {
  AlreadyExistsError,
  CancelledError,
  ConflictError,
  ExecError,
  FailedPreconditionError,
  InvalidArgumentError,
  KeyedMutex,
  NotFoundError,
  errnoCode,
  errorMessage,
  execFile,
  log,
  readJsonIfExists,
  removeTree,
  writeFileAtomic,
  writeJsonAtomic,
} from '../base/index.js';
import {
  isSameProcessAlive,
  memoryCgroupOf,
  memoryOomKillCount,
  mountPoints,
  processStartTime,
  removeCgroup,
  cgroupFrozen,
  setCgroupFrozen,
} from '../sys/index.js';
import { parseSignal } from './signals.js';
import { writeControl } from './control.js';

export interface RuntimeHandler {
  name: string;
  path: string;
  args?: string[];
}

export interface CreateOptions {
  /** A directory holding the OCI config.json (root.path may be absolute, pointing elsewhere). */
  bundle: string;
  /** Handler name. */
  runtime: string;
  /** conmon writes the container's stdout/stderr here in k8s-file format. */
  logPath: string;
  /** Passed to conmon --log-size-max. */
  logSizeMax?: number;
  /** Reserved for attach (later); conmon -i. */
  openStdin?: boolean;
  /** Reserved for TTY (later); conmon -t. */
  terminal?: boolean;
  /** conmon --leave-stdin-open: the end of an attach connection does not close the container's stdin. */
  leaveStdinOpen?: boolean;
}

/** See ConmonRuntime.execContext; `dir` is the container's state directory (execs live under dir/exec/). */
export interface ExecContext { id: string; conmonPath: string; runtimePath: string; globalArgs: string[]; bundle: string; dir: string }

export interface ExitInfo {
  exitCode: number;
  exitedAt: Date;
  oomKilled: boolean;
}

export type ContainerStatus = 'created' | 'running' | 'paused' | 'stopped';

/** What we persist in <stateDir>/<id>/state.json, enough to find everything again after a daemon restart. */
interface PersistedState {
  id: string;
  runtime: string;
  bundle: string;
  logPath: string;
  createdAt: string;
  conmonPid: number;
  conmonStartTime?: number;
  pid: number;
  pidStartTime?: number;
  /** v1 memory cgroup of the container (from /proc/PID/cgroup), to read the kernel's OOM-kill counter. */
  memoryCgroup?: string;
  /** linux.cgroupsPath of the bundle when absolute, removed (if empty) on delete. */
  cgroupsPath?: string;
}

const ID_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/;
const CREATE_TIMEOUT_MS = 60_000;
const POLL_MS = 250;
/** Files conmon creates in the bundle directory (attach socket, control and window-size FIFOs). */
const CONMON_BUNDLE_FILES = ['attach', 'ctl', 'winsz'];

/** Extracts the runtime's own error message from its stderr or JSON log (runc/crun wording kept as is). */
export function runtimeErrorMessage(text: string): string {
  const msgs: string[] = [];
  let last = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    last = line;
    if (line.startsWith('{')) {
      try {
        const j = JSON.parse(line) as { level?: string; msg?: string };
        if (j.msg && (j.level === 'error' || j.level === 'fatal')) msgs.push(j.msg);
        continue;
      } catch {
        /* not JSON */
      }
    }
    const m = /level=(?:error|fatal) msg="((?:[^"\\]|\\.)*)"/.exec(line);
    if (m) {
      try {
        msgs.push(JSON.parse(`"${m[1]}"`) as string);
      } catch {
        msgs.push(m[1]!);
      }
    }
  }
  return (msgs.at(-1) ?? last).trim();
}

function notRunningMessage(msg: string): boolean {
  return /container not running|not running|container .* is not running|cannot (?:pause|resume)|not paused|does not exist|no such/i.test(msg);
}

export class ConmonRuntime {
  private readonly stateDir: string;
  private readonly runcRoot: string;
  private readonly conmonPath: string;
  private readonly handlers = new Map<string, RuntimeHandler>();
  private readonly mutex = new KeyedMutex();
  private hybrid: Promise<boolean> | undefined;

  constructor(opts: { stateDir: string; runcRoot: string; conmonPath?: string; handlers: RuntimeHandler[] }) {
    this.stateDir = opts.stateDir;
    this.runcRoot = opts.runcRoot;
    this.conmonPath = opts.conmonPath ?? '/usr/bin/conmon';
    for (const h of opts.handlers) this.handlers.set(h.name, h);
  }

  // ---- paths -------------------------------------------------------------------------------------------------

  private dir(id: string): string {
    return join(this.stateDir, id);
  }
  private exitDir(id: string): string {
    return join(this.dir(id), 'exits');
  }
  private persistDir(id: string): string {
    return join(this.dir(id), 'persist');
  }

  private checkId(id: string): void {
    if (!ID_RE.test(id)) throw new InvalidArgumentError(`invalid container id: ${JSON.stringify(id)}`);
  }

  private handler(name: string): RuntimeHandler {
    const h = this.handlers.get(name);
    if (!h) throw new InvalidArgumentError(`unknown or invalid runtime name: ${name}`);
    return h;
  }

  /** The runtime's --root: runcRoot for 'runc', a sibling directory named after the handler for the others. */
  private rootFor(h: RuntimeHandler): string {
    return h.name === 'runc' ? this.runcRoot : join(dirname(this.runcRoot), h.name);
  }

  private isHybridCgroups(): Promise<boolean> {
    this.hybrid ??= mountPoints().then((ms) => {
      const v2 = ms.some((m) => m.fsType === 'cgroup2' && m.mountPoint !== '/sys/fs/cgroup');
      const v1 = ms.some((m) => m.fsType === 'cgroup');
      return v1 && v2;
    });
    return this.hybrid;
  }

  /**
   * The program conmon and we run for a handler. crun 1.8 refuses hybrid cgroups ("cgroups in hybrid mode not
   * supported"): for it, on a hybrid host, we run it through a wrapper that unshares a private mount namespace and
   * masks /sys/fs/cgroup/unified/cgroup.controllers, so crun sees a pure v1 layout.
   */
  private async runtimePath(h: RuntimeHandler): Promise<string> {
    if (basename(h.path) !== 'crun' || !(await this.isHybridCgroups())) return h.path;
    const wrapper = join(this.stateDir, '.wrappers', `${h.name}-hybrid.sh`);
    const script =
      '#!/bin/sh\n' +
      '# written by berth: run crun with cgroup v2 hidden (crun refuses hybrid v1/v2 hosts)\n' +
      `exec unshare --mount --propagation private /bin/sh -c 'mount --bind /dev/null /sys/fs/cgroup/unified/cgroup.controllers && exec "$0" "$@"' ${JSON.stringify(h.path)} "$@"\n`;
    let current: string | undefined;
    try {
      current = await readFile(wrapper, 'utf8');
    } catch {
      /* absent */
    }
    if (current !== script) {
      await writeFileAtomic(wrapper, script, { mode: 0o755 });
      await chmod(wrapper, 0o755);
    }
    return wrapper;
  }

  /** Whether the runtime may have a container `id` (its state directory exists, or its root is not ours to know). */
  private mayHoldState(h: RuntimeHandler, id: string): boolean {
    if ((h.args ?? []).some((a) => a.startsWith('--root'))) return true;
    return existsSync(join(this.rootFor(h), id));
  }

  private globalArgs(h: RuntimeHandler): string[] {
    return [`--root=${this.rootFor(h)}`, ...(h.args ?? [])];
  }

  private async loadState(id: string): Promise<PersistedState | undefined> {
    if (!ID_RE.test(id)) return undefined;
    return readJsonIfExists<PersistedState>(join(this.dir(id), 'state.json'));
  }

  private async mustLoad(id: string): Promise<PersistedState> {
    const st = await this.loadState(id);
    if (!st) throw new NotFoundError(`No such container: ${id}`);
    return st;
  }

  /** Runs `<runtime> --root=... <args...>`; on failure throws with the runtime's own message. */
  private async runRuntime(h: RuntimeHandler, args: string[], what: string, allowFail = false) {
    const path = await this.runtimePath(h);
    const r = await execFile(path, [...this.globalArgs(h), ...args], { allowFail: true });
    if (r.code !== 0 && !allowFail) {
      const msg = runtimeErrorMessage(r.stderr) || runtimeErrorMessage(r.stdout) || `exit status ${r.code}`;
      throw Object.assign(new Error(`${h.name} ${what} failed: ${msg}`, { cause: new ExecError(path, args, r) }), {
        runtimeMessage: msg,
      });
    }
    return r;
  }

  // ---- lifecycle ---------------------------------------------------------------------------------------------

  async create(id: string, opts: CreateOptions): Promise<{ pid: number; conmonPid: number }> {
    this.checkId(id);
    const h = this.handler(opts.runtime);
    return this.mutex.run(id, async () => {
      const dir = this.dir(id);
      try {
        await mkdir(this.stateDir, { recursive: true });
        await mkdir(dir);
      } catch (err) {
        if (errnoCode(err) === 'EEXIST') throw new AlreadyExistsError(`container ${id} already exists in the runtime`);
        throw err;
      }
      try {
        return await this.createLocked(id, h, opts);
      } catch (err) {
        await this.cleanupFailedCreate(id, h, opts.bundle).catch((e: unknown) =>
          log.warn('runtime: cleanup after failed create', { id, error: errorMessage(e) }),
        );
        throw err;
      }
    });
  }

  private async createLocked(id: string, h: RuntimeHandler, opts: CreateOptions) {
    const dir = this.dir(id);
    await mkdir(this.exitDir(id), { recursive: true });
    await mkdir(this.persistDir(id), { recursive: true });
    await mkdir(join(dir, 'sock'), { recursive: true });
    await mkdir(dirname(opts.logPath), { recursive: true });
    const runtimeLog = join(dir, 'runtime.log');
    const runtimePath = await this.runtimePath(h);

    let cgroupsPath: string | undefined;
    try {
      const spec = JSON.parse(await readFile(join(opts.bundle, 'config.json'), 'utf8')) as { linux?: { cgroupsPath?: string } };
      const cp = spec.linux?.cgroupsPath;
      if (cp && cp.startsWith('/') && !cp.includes(':')) cgroupsPath = cp;
    } catch (err) {
      throw new InvalidArgumentError(`cannot read OCI bundle ${opts.bundle}: ${errorMessage(err)}`, { cause: err });
    }

    const args = [
      '--api-version', '1',
      '-c', id,
      '-u', id,
      '-n', id,
      '-r', runtimePath,
      '-b', opts.bundle,
      '-p', join(dir, 'pidfile'),
      '-P', join(dir, 'conmon.pid'),
      '-l', `k8s-file:${opts.logPath}`,
      '--exit-dir', this.exitDir(id),
      '--persist-dir', this.persistDir(id),
      '--socket-dir-path', join(dir, 'sock'),
      ...this.globalArgs(h).flatMap((a) => ['--runtime-arg', a]),
      '--runtime-arg', `--log=${runtimeLog}`,
      '--runtime-arg', '--log-format=json',
    ];
    if (opts.logSizeMax !== undefined && opts.logSizeMax > 0) args.push('--log-size-max', String(opts.logSizeMax));
    if (opts.openStdin) args.push('-i');
    if (opts.terminal) args.push('-t');
    if (opts.openStdin && opts.leaveStdinOpen) args.push('--leave-stdin-open');

    const env: NodeJS.ProcessEnv = { ...process.env, _OCI_SYNCPIPE: '3' };
    delete env._OCI_STARTPIPE;
    delete env.NOTIFY_SOCKET;
    // detached: conmon gets its own session (it double-forks itself too), so it outlives berthd.
    const child = spawn(this.conmonPath, args, { cwd: dir, env, detached: true, stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
    const sync = child.stdio[3] as Readable;
    const stderr: Buffer[] = [];
    child.stdout!.on('data', (b: Buffer) => stderr.push(b));
    child.stderr!.on('data', (b: Buffer) => stderr.push(b));

    let message: { data?: number; message?: string } | undefined;
    try {
      message = await new Promise<{ data?: number; message?: string } | undefined>((resolve, reject) => {
        let buf = '';
        const timer = setTimeout(() => reject(new FailedPreconditionError(`conmon did not report container ${id} created within ${CREATE_TIMEOUT_MS / 1000}s`)), CREATE_TIMEOUT_MS);
        const done = (v: { data?: number; message?: string } | undefined) => {
          clearTimeout(timer);
          resolve(v);
        };
        child.on('error', (err) => {
          clearTimeout(timer);
          reject(new FailedPreconditionError(`cannot run conmon (${this.conmonPath}): ${err.message}`, { cause: err }));
        });
        sync.on('data', (b: Buffer) => {
          buf += b.toString();
          const nl = buf.indexOf('\n');
          if (nl < 0) return;
          try {
            done(JSON.parse(buf.slice(0, nl)) as { data?: number; message?: string });
          } catch {
            done({ data: -1, message: `unexpected message from conmon: ${buf.slice(0, nl)}` });
          }
        });
        sync.on('error', () => undefined);
        sync.on('end', () => done(undefined));
      });
    } finally {
      sync.destroy();
      child.stdout!.destroy();
      child.stderr!.destroy();
      child.unref();
    }

    if (!message || typeof message.data !== 'number' || message.data <= 0) {
      let detail = message?.message ?? '';
      if (!detail) detail = runtimeErrorMessage(await readFile(runtimeLog, 'utf8').catch(() => ''));
      if (!detail) detail = Buffer.concat(stderr).toString().trim() || 'conmon exited without reporting the container';
      throw new FailedPreconditionError(`OCI runtime create failed: ${detail.trim()}`);
    }
    const pid = message.data;
    const conmonPid = Number((await readFile(join(dir, 'conmon.pid'), 'utf8')).trim());
    if (!Number.isInteger(conmonPid) || conmonPid <= 0) throw new FailedPreconditionError(`conmon wrote no pid file for ${id}`);
    const state: PersistedState = {
      id,
      runtime: h.name,
      bundle: opts.bundle,
      logPath: opts.logPath,
      createdAt: new Date().toISOString(),
      conmonPid,
      conmonStartTime: processStartTime(conmonPid),
      pid,
      pidStartTime: processStartTime(pid),
      memoryCgroup: await memoryCgroupOf(pid),
      cgroupsPath,
    };
    await writeJsonAtomic(join(dir, 'state.json'), state);
    return { pid, conmonPid };
  }

  private async cleanupFailedCreate(id: string, h: RuntimeHandler, bundle: string): Promise<void> {
    const dir = this.dir(id);
    const conmonPid = Number((await readFile(join(dir, 'conmon.pid'), 'utf8').catch(() => '')).trim());
    await this.runRuntime(h, ['delete', '--force', id], 'delete', true);
    if (conmonPid > 0) await this.stopConmon(conmonPid, undefined);
    await this.removeBundleArtifacts(bundle);
    await removeTree(dir);
  }

  async start(id: string): Promise<void> {
    const st = await this.mustLoad(id);
    const h = this.handler(st.runtime);
    try {
      await this.runRuntime(h, ['start', id], 'start');
    } catch (err) {
      const msg = (err as { runtimeMessage?: string }).runtimeMessage ?? errorMessage(err);
      if (/cannot start a container that has stopped|cannot start an already running container|paused state/i.test(msg)) {
        throw new ConflictError(`cannot start container ${id}: ${msg}`, { cause: err });
      }
      throw new FailedPreconditionError(`OCI runtime start failed: ${msg}`, { cause: err });
    }
  }

  async kill(id: string, signal: string | number, opts: { all?: boolean } = {}): Promise<void> {
    const sig = parseSignal(signal);
    const st = await this.mustLoad(id);
    const h = this.handler(st.runtime);
    const cur = await this.state(id);
    if (!cur || cur.status === 'stopped') throw new ConflictError(`Container ${id} is not running`);
    try {
      await this.runRuntime(h, ['kill', ...(opts.all ? ['--all'] : []), id, String(sig)], 'kill');
    } catch (err) {
      const msg = (err as { runtimeMessage?: string }).runtimeMessage ?? errorMessage(err);
      if (notRunningMessage(msg)) throw new ConflictError(`Container ${id} is not running`, { cause: err });
      throw new FailedPreconditionError(`OCI runtime kill failed: ${msg}`, { cause: err });
    }
  }

  async pause(id: string): Promise<void> {
    await this.pauseResume(id, 'pause');
  }

  async resume(id: string): Promise<void> {
    await this.pauseResume(id, 'resume');
  }

  /**
   * pause/resume. With an absolute cgroup path the cgroup freezer is read and written directly, as the runtime
   * itself would (runc reports the same state from it), so neither a `state` call nor the runtime's process is
   * needed; otherwise the runtime does it, after a `state` check.
   */
  private async pauseResume(id: string, op: 'pause' | 'resume'): Promise<void> {
    const st = await this.mustLoad(id);
    const frozen = st.cgroupsPath ? await cgroupFrozen(st.cgroupsPath) : undefined;
    if (frozen !== undefined) {
      if (op === 'pause' && frozen) throw new ConflictError(`Container ${id} is already paused`);
      if (op === 'resume' && !frozen) throw new ConflictError(`Container ${id} is not paused`);
      await setCgroupFrozen(st.cgroupsPath!, op === 'pause');
      return;
    }
    const h = this.handler(st.runtime);
    const cur = await this.state(id);
    if (op === 'pause' && cur?.status !== 'running') {
      throw new ConflictError(cur?.status === 'paused' ? `Container ${id} is already paused` : `Container ${id} is not running`);
    }
    if (op === 'resume' && cur?.status !== 'paused') throw new ConflictError(`Container ${id} is not paused`);
    try {
      await this.runRuntime(h, [op, id], op);
    } catch (err) {
      const msg = (err as { runtimeMessage?: string }).runtimeMessage ?? errorMessage(err);
      if (notRunningMessage(msg)) throw new ConflictError(`Container ${id} is not running: ${msg}`, { cause: err });
      throw new FailedPreconditionError(`OCI runtime ${op} failed: ${msg}`, { cause: err });
    }
  }

  async state(id: string): Promise<{ status: ContainerStatus; pid: number } | undefined> {
    const st = await this.loadState(id);
    if (!st) return undefined;
    const h = this.handlers.get(st.runtime);
    if (h) {
      const r = await this.runRuntime(h, ['state', id], 'state', true);
      if (r.code === 0) {
        try {
          const j = JSON.parse(r.stdout) as { status?: string; pid?: number };
          const status: ContainerStatus =
            j.status === 'running' || j.status === 'paused' || j.status === 'stopped' ? j.status : j.status === 'created' || j.status === 'creating' ? 'created' : 'stopped';
          // A "running" container whose init is a zombie has exited; report it as stopped.
          if (status === 'running' && !isSameProcessAlive(st.pid, st.pidStartTime)) return { status: 'stopped', pid: 0 };
          return { status, pid: status === 'stopped' ? 0 : (j.pid ?? st.pid) };
        } catch {
          /* fall through */
        }
      }
    }
    return { status: 'stopped', pid: 0 };
  }

  async exitInfo(id: string): Promise<ExitInfo | undefined> {
    const st = await this.loadState(id);
    if (!st) return undefined;
    return this.readExit(id, st);
  }

  private async readExit(id: string, st: PersistedState): Promise<ExitInfo | undefined> {
    const file = join(this.exitDir(id), id);
    let text: string;
    let mtime: Date;
    try {
      text = await readFile(file, 'utf8');
      mtime = (await stat(file)).mtime;
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return undefined;
      throw err;
    }
    const code = Number.parseInt(text.trim(), 10);
    if (!Number.isFinite(code)) return undefined; // not fully written yet
    return { exitCode: code, exitedAt: mtime, oomKilled: await this.oomKilled(id, st) };
  }

  /** conmon leaves an `oom` marker in the persist dir (v1: memory.oom_control eventfd); the cgroup's oom_kill counter backs it up. */
  private async oomKilled(id: string, st: PersistedState): Promise<boolean> {
    try {
      await stat(join(this.persistDir(id), 'oom'));
      return true;
    } catch {
      /* no marker */
    }
    if (st.memoryCgroup && st.memoryCgroup !== '/') {
      const n = await memoryOomKillCount(st.memoryCgroup).catch(() => undefined);
      if (n !== undefined && n > 0) return true;
    }
    return false;
  }

  shimAlive(id: string): boolean {
    if (!ID_RE.test(id)) return false;
    try {
      const st = JSON.parse(readFileSync(join(this.dir(id), 'state.json'), 'utf8')) as PersistedState;
      return isSameProcessAlive(st.conmonPid, st.conmonStartTime);
    } catch {
      return false;
    }
  }

  /**
   * The exit, or, when conmon is gone without having recorded one (killed), a synthesized exit (255) once the
   * container's init is gone too; that exit is written to the exit file so later reads agree.
   */
  private async checkExit(id: string, st: PersistedState): Promise<ExitInfo | undefined> {
    const info = await this.readExit(id, st);
    if (info) return info;
    if (isSameProcessAlive(st.conmonPid, st.conmonStartTime)) return undefined;
    const again = await this.readExit(id, st);
    if (again) return again;
    if (isSameProcessAlive(st.pid, st.pidStartTime)) return undefined;
    log.warn('runtime: conmon exited without recording the container exit', { id });
    await writeFileAtomic(join(this.exitDir(id), id), '255');
    return this.readExit(id, st);
  }

  async waitExit(id: string, signal?: AbortSignal): Promise<ExitInfo> {
    const st = await this.mustLoad(id);
    signal?.throwIfAborted();
    return new Promise<ExitInfo>((resolve, reject) => {
      let done = false;
      let watcher: FSWatcher | undefined;
      let timer: NodeJS.Timeout | undefined;
      let checking = false;
      let again = false;
      const finish = (fn: () => void) => {
        if (done) return;
        done = true;
        watcher?.close();
        if (timer) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        fn();
      };
      const onAbort = () => finish(() => reject(new CancelledError(`waiting for container ${id} was cancelled`, { cause: signal?.reason })));
      const check = async (): Promise<void> => {
        if (done) return;
        if (checking) {
          again = true;
          return;
        }
        checking = true;
        try {
          do {
            again = false;
            if (!(await this.loadState(id))) {
              finish(() => reject(new NotFoundError(`No such container: ${id}`)));
              return;
            }
            const info = await this.checkExit(id, st);
            if (info) {
              finish(() => resolve(info));
              return;
            }
          } while (again && !done);
        } catch (err) {
          finish(() => reject(err));
        } finally {
          checking = false;
        }
      };
      const tick = () => {
        void check().finally(() => {
          if (!done) timer = setTimeout(tick, POLL_MS);
        });
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        watcher = watch(this.exitDir(id), () => void check());
        watcher.on('error', () => undefined);
      } catch {
        /* the slow poll still works */
      }
      tick();
    });
  }

  async delete(id: string, opts: { force?: boolean } = {}): Promise<void> {
    this.checkId(id);
    await this.mutex.run(id, async () => {
      const st = await this.loadState(id);
      if (!st) {
        // Nothing of ours; clear a half-created runtime container and a state dir without state.json (crash in create).
        // Only runtimes that hold state for it: a fresh container has none, and each call costs a process.
        for (const h of this.handlers.values()) {
          if (!this.mayHoldState(h, id)) continue;
          await this.runRuntime(h, ['delete', '--force', id], 'delete', true).catch(() => undefined);
        }
        await removeTree(this.dir(id));
        return;
      }
      const h = this.handler(st.runtime);
      // Only a plain delete needs the state (to refuse a live container); --force kills and deletes in one go.
      const cur = opts.force ? undefined : await this.state(id);
      if (cur && (cur.status === 'running' || cur.status === 'paused')) {
        throw new ConflictError(`cannot remove container ${id}: container is ${cur.status}: stop the container before removing or force remove`);
      }
      const r = await this.runRuntime(h, ['delete', ...(opts.force ? ['--force'] : []), id], 'delete', true);
      if (r.code !== 0) {
        const msg = runtimeErrorMessage(r.stderr);
        if (!/does not exist|not exist|no such/i.test(msg)) {
          if (!opts.force) throw new FailedPreconditionError(`OCI runtime delete failed: ${msg}`);
          await this.runRuntime(h, ['delete', '--force', id], 'delete');
        }
      }
      await this.stopConmon(st.conmonPid, st.conmonStartTime);
      if (st.cgroupsPath) await removeCgroup(st.cgroupsPath).catch(() => undefined);
      await this.removeBundleArtifacts(st.bundle);
      await removeTree(this.dir(id));
    });
  }

  /** Waits (up to 5 s) for conmon to exit once its container is gone, then SIGKILLs it (only if still the same process). */
  private async stopConmon(pid: number, startTime: number | undefined): Promise<void> {
    const start = startTime ?? processStartTime(pid);
    if (start === undefined) return;
    // conmon exits a moment after its container: poll quickly at first, then every 50 ms (5 s in all).
    for (let waited = 0, step = 1; waited < 5000 && isSameProcessAlive(pid, start); waited += step, step = Math.min(step * 2, 50)) {
      await new Promise((r) => setTimeout(r, step));
    }
    if (isSameProcessAlive(pid, start)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }

  private async removeBundleArtifacts(bundle: string): Promise<void> {
    for (const f of CONMON_BUNDLE_FILES) await rm(join(bundle, f), { force: true }).catch(() => undefined);
  }

  /** conmon's attach socket (SOCK_SEQPACKET) of a created container: in its bundle. */
  async attachSocketPath(id: string): Promise<string> {
    return join((await this.mustLoad(id)).bundle, 'attach');
  }

  /** Resizes the container's terminal through conmon's control FIFO. */
  async resize(id: string, height: number, width: number): Promise<void> {
    await writeControl(join((await this.mustLoad(id)).bundle, 'ctl'), height, width);
  }

  /** What an exec needs to run the runtime of container `id`: its program, global args and the container's bundle. */
  async execContext(id: string): Promise<ExecContext> {
    const st = await this.mustLoad(id);
    const h = this.handler(st.runtime);
    return { id, conmonPath: this.conmonPath, runtimePath: await this.runtimePath(h), globalArgs: this.globalArgs(h), bundle: st.bundle, dir: this.dir(id) };
  }

  async list(): Promise<string[]> {
    let entries: string[];
    try {
      entries = await readdir(this.stateDir);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return [];
      throw err;
    }
    const out: string[] = [];
    for (const e of entries) {
      if (e.startsWith('.') || !ID_RE.test(e)) continue;
      try {
        await stat(join(this.stateDir, e, 'state.json'));
        out.push(e);
      } catch {
        /* not a (complete) container */
      }
    }
    return out.sort();
  }
}
