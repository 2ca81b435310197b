import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  ConflictError, InvalidArgumentError, KeyedMutex, NotFoundError, NotModifiedError, FailedPreconditionError,
  errorMessage, log, readJsonIfExists, removeTree, writeJsonAtomic, writeFileAtomic,
} from '../base/index.js';
import type { ConmonRuntime, ExitInfo } from '../runtime/index.js';
import { mountOverlay, unmount, SeqpacketSocket } from '../sys/index.js';
import { LogPump, parseSize, readLogs, type LogEntry } from '../logs/index.js';
import type { EventBus } from '../events/index.js';
import type { ContainerConfig, HostConfig, ImageRuntimeConfig } from './docker-types.js';
import { mergeImageConfig } from './spec-merge.js';
import { buildRuntimeSpec, validateHostConfig } from './spec.js';
import { resolveUser } from './user.js';
import { hostDevices } from './devices.js';
import { buildHostsFile, buildResolvConf, buildHostnameFile } from './etc-files.js';
import type { OciSeccomp } from './seccomp.js';
import { isValidName, randomName } from './names.js';
import { statusString } from './status.js';
import { AttachPoint, type AttachSession, type OutputListener } from './attach-point.js';
import { ExecManager } from './exec.js';
import { hostConfigView } from './inspect-shape.js';

/** What the container service needs from the image service (wired by the engine). */
export interface ImageLookup {
  resolve(ref: string): Promise<{ id: string; config: ImageRuntimeConfig; lowerDirs: string[] }>;
}

export interface ContainerServiceOptions {
  root: string;
  execRoot: string;
  runtime: ConmonRuntime;
  images: ImageLookup;
  events: EventBus;
  defaultRuntime: string;
  runtimes: string[];
  seccomp: (caps: readonly string[]) => OciSeccomp | undefined;
  /** For --init: tini on the host. */
  initPath?: string;
  kernelVersion?: string;
  hostCapabilities: string[];
  hostRlimits: { nofile: { hard: number }; nproc: { hard: number } };
  hostResolvConf: string;
  logConfig: { Type: string; Config: Record<string, string> };
}

const ZERO_TIME = '0001-01-01T00:00:00Z';

export interface ContainerState {
  Status: 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';
  Running: boolean; Paused: boolean; Restarting: boolean; OOMKilled: boolean; Dead: boolean;
  Pid: number; ExitCode: number; Error: string; StartedAt: string; FinishedAt: string;
}

export interface ContainerRecord {
  Id: string;
  Name: string;
  Created: string;
  Path: string;
  Args: string[];
  Config: ContainerConfig;
  HostConfig: HostConfig;
  Image: string;
  State: ContainerState;
  RestartCount: number;
  LogPath: string;
  ResolvConfPath: string;
  HostnamePath: string;
  HostsPath: string;
}

type ExitListener = (code: number) => void;

class Container {
  pump: LogPump | undefined;
  exitWatch: AbortController | undefined;
  readonly exitListeners = new Set<ExitListener>();
  readonly removeListeners = new Set<ExitListener>();
  /** Resolves when the current run has ended and its output is flushed. */
  runEnded: Promise<void> = Promise.resolve();
  private endRun: (() => void) | undefined;
  stopping = false;
  restartTimer: NodeJS.Timeout | undefined;
  /** The daemon's connection to conmon's attach socket (stdin, live output) for the current run. */
  readonly attach = new AttachPoint();
  constructor(public rec: ContainerRecord) {}

  beginRun(): void {
    this.runEnded = new Promise((r) => (this.endRun = r));
  }
  finishRun(): void {
    this.endRun?.();
    this.endRun = undefined;
  }
}

export interface CreateRequest { name?: string; body: ContainerConfig & { HostConfig?: HostConfig; NetworkingConfig?: unknown } }

export class ContainerService {
  private readonly byId = new Map<string, Container>();
  private readonly byName = new Map<string, string>();
  private readonly lock = new KeyedMutex();
  private readonly dir: string;
  readonly execs: ExecManager;

  constructor(private readonly o: ContainerServiceOptions) {
    this.dir = join(o.root, 'containers');
    this.execs = new ExecManager({
      runtime: o.runtime,
      events: o.events,
      hostCapabilities: o.hostCapabilities,
      find: (ref) => this.get(ref).rec,
      rootfs: (id) => join(this.dir, id, 'rootfs'),
      bundle: (id) => join(o.execRoot, 'bundles', id),
    });
  }

  // ---------------------------------------------------------------- lookup

  get(ref: string): Container {
    const c = this.find(ref);
    if (!c) throw new NotFoundError(`No such container: ${ref}`);
    return c;
  }

  find(ref: string): Container | undefined {
    if (!ref) return undefined;
    const direct = this.byId.get(ref);
    if (direct) return direct;
    const byName = this.byName.get(ref.startsWith('/') ? ref.slice(1) : ref);
    if (byName) return this.byId.get(byName);
    if (/^[0-9a-f]+$/.test(ref)) {
      const hits = [...this.byId.keys()].filter((id) => id.startsWith(ref));
      if (hits.length === 1) return this.byId.get(hits[0]!);
      if (hits.length > 1) throw new InvalidArgumentError(`multiple IDs found with provided prefix: ${ref}`);
    }
    return undefined;
  }

  /** Image IDs in use by any container (for rmi). */
  imageUsedBy(imageId: string): string | undefined {
    for (const c of this.byId.values()) if (c.rec.Image === imageId) return c.rec.Id;
    return undefined;
  }

  isRunning(id: string): boolean {
    return !!this.byId.get(id)?.rec.State.Running;
  }

  counts(): { total: number; running: number; paused: number; stopped: number } {
    let running = 0, paused = 0;
    for (const c of this.byId.values()) {
      if (c.rec.State.Paused) paused++;
      else if (c.rec.State.Running) running++;
    }
    return { total: this.byId.size, running, paused, stopped: this.byId.size - running - paused };
  }

  // ---------------------------------------------------------------- create

  async create(req: CreateRequest): Promise<{ Id: string; Warnings: string[] }> {
    const body = req.body ?? {};
    const hostConfig: HostConfig = { ...(body.HostConfig ?? {}) };
    const imageRef = body.Image;
    if (!imageRef) throw new InvalidArgumentError('config error: no image specified');
    let name = req.name ?? '';
    if (name) {
      if (!isValidName(name)) throw new InvalidArgumentError(`Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
      name = name.replace(/^\//, '');
    }
    validateHostConfig(hostConfig);
    const runtimeName = hostConfig.Runtime || this.o.defaultRuntime;
    if (!this.o.runtimes.includes(runtimeName)) throw new InvalidArgumentError(`unknown or invalid runtime name: ${runtimeName}`);
    hostConfig.Runtime = runtimeName;
    if (!hostConfig.NetworkMode || hostConfig.NetworkMode === 'default') hostConfig.NetworkMode = 'none';
    if (hostConfig.NetworkMode !== 'none') throw new InvalidArgumentError(`network ${hostConfig.NetworkMode} not found`);
    // Like moby's mergeAndVerifyLogConfig: the daemon's driver when none is given, its options under the container's.
    const logType = hostConfig.LogConfig?.Type || this.o.logConfig.Type;
    const logCfg: Record<string, string> = { ...(hostConfig.LogConfig?.Config ?? {}) };
    if (logType === this.o.logConfig.Type) for (const [k, v] of Object.entries(this.o.logConfig.Config)) if (!(k in logCfg)) logCfg[k] = v;
    hostConfig.LogConfig = { Type: logType, Config: logCfg };
    const policy = hostConfig.RestartPolicy?.Name ?? '';
    if (!['', 'no', 'always', 'unless-stopped', 'on-failure'].includes(policy)) throw new InvalidArgumentError(`invalid restart policy '${policy}'`);
    if (hostConfig.AutoRemove && policy && policy !== 'no') throw new InvalidArgumentError("can't create 'AutoRemove' container with restart policy");
    if (hostConfig.LogConfig.Type !== 'json-file') throw new InvalidArgumentError(`logger: no log driver named '${hostConfig.LogConfig.Type}' is registered`);
    const logOpts = hostConfig.LogConfig.Config ?? {};
    for (const k of Object.keys(logOpts)) {
      if (!['max-size', 'max-file', 'labels', 'env', 'compress', 'tag'].includes(k)) throw new InvalidArgumentError(`unknown log opt '${k}' for json-file log driver`);
    }
    if (logOpts['max-size']) parseSize(logOpts['max-size']);

    const image = await this.o.images.resolve(imageRef);
    const { HostConfig: _h, NetworkingConfig: _n, ...userConfig } = body;
    const config = mergeImageConfig({ ...userConfig, Image: imageRef } as ContainerConfig, image.config);

    const id = randomBytes(32).toString('hex');
    return this.lock.run('names', async () => {
      if (name && this.byName.has(name)) {
        throw new ConflictError(`Conflict. The container name "/${name}" is already in use by container "${this.byName.get(name)}". You have to remove (or rename) that container to be able to reuse that name.`);
      }
      if (!name) do name = randomName(); while (this.byName.has(name));
      const cdir = join(this.dir, id);
      await mkdir(join(cdir, 'upper'), { recursive: true });
      await mkdir(join(cdir, 'work'), { recursive: true });
      await mkdir(join(cdir, 'rootfs'), { recursive: true });
      config.Hostname = config.Hostname || id.slice(0, 12);
      const rec: ContainerRecord = {
        Id: id,
        Name: `/${name}`,
        Created: new Date().toISOString(),
        Path: [...(config.Entrypoint ?? []), ...(config.Cmd ?? [])][0] ?? '',
        Args: [...(config.Entrypoint ?? []), ...(config.Cmd ?? [])].slice(1),
        Config: config,
        HostConfig: hostConfig,
        Image: image.id,
        State: {
          Status: 'created', Running: false, Paused: false, Restarting: false, OOMKilled: false, Dead: false,
          Pid: 0, ExitCode: 0, Error: '', StartedAt: ZERO_TIME, FinishedAt: ZERO_TIME,
        },
        RestartCount: 0,
        LogPath: join(cdir, `${id}-json.log`),
        ResolvConfPath: join(cdir, 'resolv.conf'),
        HostnamePath: join(cdir, 'hostname'),
        HostsPath: join(cdir, 'hosts'),
      };
      await writeFile(rec.HostnamePath, buildHostnameFile(config.Hostname));
      await writeFile(rec.HostsPath, buildHostsFile({ hostname: config.Hostname, extraHosts: hostConfig.ExtraHosts ?? [] }));
      await writeFile(rec.ResolvConfPath, buildResolvConf(this.o.hostResolvConf, { dns: hostConfig.Dns ?? [], search: hostConfig.DnsSearch ?? [], options: hostConfig.DnsOptions ?? [] }));
      await this.persist(rec);
      this.byId.set(id, new Container(rec));
      this.byName.set(name, id);
      this.emit(rec, 'create');
      return { Id: id, Warnings: [] };
    });
  }

  // ---------------------------------------------------------------- start

  async start(ref: string): Promise<void> {
    const c = this.get(ref);
    await this.lock.run(c.rec.Id, async () => {
      const s = c.rec.State;
      if (s.Paused) throw new ConflictError('cannot start a paused container, try unpause instead');
      if (s.Running) throw new NotModifiedError('container already started');
      if (s.Status === 'removing' || s.Dead) throw new ConflictError(`container ${c.rec.Id} is marked for removal and cannot be started`);
      await this.startLocked(c);
    });
  }

  private async startLocked(c: Container): Promise<void> {
    const rec = c.rec;
    const id = rec.Id;
    const cdir = join(this.dir, id);
    const bundle = join(this.o.execRoot, 'bundles', id);
    const rootfs = join(cdir, 'rootfs');
    await this.o.runtime.delete(id, { force: true }).catch(() => undefined);
    try {
      const image = await this.o.images.resolve(rec.Image);
      await unmount(rootfs).catch(() => undefined);
      await mountOverlay({ lowerDirs: image.lowerDirs, upperDir: join(cdir, 'upper'), workDir: join(cdir, 'work'), target: rootfs });
      const user = await resolveUser(rootfs, rec.Config.User, rec.HostConfig.GroupAdd);
      // Scanned at every privileged start, as Docker does: devices come and go.
      const devices = rec.HostConfig.Privileged ? await hostDevices() : undefined;
      const spec = buildRuntimeSpec({
        id,
        config: rec.Config,
        hostConfig: rec.HostConfig,
        rootfs,
        user,
        hostnamePath: rec.HostnamePath,
        hostsPath: rec.HostsPath,
        resolvConfPath: rec.ResolvConfPath,
        cgroupsPath: `/berth/${id}`,
        seccomp: this.o.seccomp,
        ...(this.o.initPath ? { initPath: this.o.initPath } : {}),
        ...(this.o.kernelVersion ? { kernelVersion: this.o.kernelVersion } : {}),
        hostCapabilities: this.o.hostCapabilities,
        hostRlimits: this.o.hostRlimits,
        ...(devices ? { hostDevices: devices } : {}),
      });
      await mkdir(bundle, { recursive: true });
      await writeFileAtomic(join(bundle, 'config.json'), JSON.stringify(spec));
      const logOpts = rec.HostConfig.LogConfig?.Config ?? {};
      const maxSize = logOpts['max-size'] ? parseSize(logOpts['max-size']) : undefined;
      const maxFile = logOpts['max-file'] ? Number(logOpts['max-file']) : undefined;
      await this.attachPump(c, { maxSize, maxFile, fresh: true });
      c.beginRun();
      const { pid } = await this.o.runtime.create(id, {
        bundle,
        runtime: rec.HostConfig.Runtime ?? this.o.defaultRuntime,
        logPath: join(cdir, 'container.log'),
        logSizeMax: Math.max(8 * 1024 * 1024, (maxSize ?? 0) * 2),
        openStdin: !!rec.Config.OpenStdin,
        terminal: !!rec.Config.Tty,
        // Only a StdinOnce, non-TTY container gets its stdin closed (by an attach session ending its input).
        leaveStdinOpen: !(rec.Config.StdinOnce && !rec.Config.Tty),
      });
      await this.connectAttach(c);
      await this.o.runtime.start(id);
      Object.assign(rec.State, {
        Status: 'running', Running: true, Paused: false, Restarting: false, OOMKilled: false, Dead: false,
        Pid: pid, ExitCode: 0, Error: '', StartedAt: new Date().toISOString(), FinishedAt: ZERO_TIME,
      } satisfies Partial<ContainerState>);
      await this.persist(rec);
      this.emit(rec, 'start');
      this.watchExit(c);
    } catch (err) {
      const msg = errorMessage(err);
      rec.State.Error = msg;
      rec.State.ExitCode = /executable file not found|no such file or directory/.test(msg) ? 127 : /permission denied|is a directory/.test(msg) ? 126 : 128;
      await this.o.runtime.delete(id, { force: true }).catch(() => undefined);
      c.attach.close();
      c.attach.abandon();
      await c.pump?.stop().catch(() => undefined);
      c.pump = undefined;
      c.finishRun();
      await unmount(rootfs).catch(() => undefined);
      await this.persist(rec);
      for (const l of c.exitListeners) l(rec.State.ExitCode);
      c.exitListeners.clear();
      if (rec.HostConfig.AutoRemove) this.removeInBackground(c);
      throw new FailedPreconditionError(`failed to create task for container: ${msg}`, { cause: err });
    }
  }

  private async attachPump(c: Container, opts: { maxSize: number | undefined; maxFile: number | undefined; fresh: boolean }): Promise<void> {
    const cdir = join(this.dir, c.rec.Id);
    if (c.pump) await c.pump.stop();
    if (opts.fresh) await rm(join(cdir, 'container.log'), { force: true });
    const pump = new LogPump({
      source: join(cdir, 'container.log'),
      target: c.rec.LogPath,
      statePath: join(cdir, 'logpump.json'),
      ...(opts.maxSize !== undefined ? { maxSize: opts.maxSize } : {}),
      ...(opts.maxFile !== undefined ? { maxFile: opts.maxFile } : {}),
    });
    if (opts.fresh) await rm(join(cdir, 'logpump.json'), { force: true });
    pump.start();
    c.pump = pump;
  }

  private watchExit(c: Container): void {
    const ac = new AbortController();
    c.exitWatch = ac;
    this.o.runtime.waitExit(c.rec.Id, ac.signal).then(
      (info) => this.lock.run(c.rec.Id, () => this.handleExit(c, info)),
      (err: unknown) => {
        if (!ac.signal.aborted) log.error('waiting for container exit failed', { id: c.rec.Id, error: errorMessage(err) });
      },
    ).catch((err: unknown) => log.error('handling container exit failed', { id: c.rec.Id, error: errorMessage(err) }));
  }

  private async handleExit(c: Container, info: ExitInfo): Promise<void> {
    const rec = c.rec;
    if (!rec.State.Running) return;
    c.exitWatch = undefined;
    if (c.pump) {
      await c.pump.flush().catch((err: unknown) => log.warn('log flush failed', { id: rec.Id, error: errorMessage(err) }));
      await c.pump.stop().catch(() => undefined);
      c.pump = undefined;
    }
    await this.o.runtime.delete(rec.Id, { force: true }).catch((err: unknown) => log.warn('runtime delete failed', { id: rec.Id, error: errorMessage(err) }));
    await unmount(join(this.dir, rec.Id, 'rootfs')).catch((err: unknown) => log.warn('unmount failed', { id: rec.Id, error: errorMessage(err) }));
    await rm(join(this.o.execRoot, 'bundles', rec.Id), { recursive: true, force: true });
    Object.assign(rec.State, {
      Status: 'exited', Running: false, Paused: false, Restarting: false, Pid: 0,
      ExitCode: info.exitCode, OOMKilled: info.oomKilled, FinishedAt: info.exitedAt.toISOString(),
    } satisfies Partial<ContainerState>);
    await this.persist(rec);
    if (info.oomKilled) this.emit(rec, 'oom');
    this.emit(rec, 'die', { exitCode: String(info.exitCode) });
    c.finishRun();
    for (const l of c.exitListeners) l(info.exitCode);
    c.exitListeners.clear();
    if (rec.HostConfig.AutoRemove) this.removeInBackground(c);
    else if (this.shouldRestart(c, info.exitCode)) await this.scheduleRestart(c);
  }

  private shouldRestart(c: Container, code: number): boolean {
    const p = c.rec.HostConfig.RestartPolicy;
    if (!p?.Name || p.Name === 'no' || c.stopping) return false;
    if (p.Name === 'always' || p.Name === 'unless-stopped') return true;
    return p.Name === 'on-failure' && code !== 0 && (!p.MaximumRetryCount || c.rec.RestartCount < p.MaximumRetryCount);
  }

  /** Docker's restart backoff: 100 ms doubling, capped at one minute. */
  private async scheduleRestart(c: Container): Promise<void> {
    const rec = c.rec;
    Object.assign(rec.State, { Restarting: true, Status: 'restarting' });
    await this.persist(rec);
    const delay = Math.min(60_000, 100 * 2 ** Math.min(rec.RestartCount, 10));
    c.restartTimer = setTimeout(() => {
      c.restartTimer = undefined;
      this.lock.run(rec.Id, async () => {
        if (!rec.State.Restarting || !this.byId.has(rec.Id)) return;
        rec.RestartCount++;
        rec.State.Restarting = false;
        await this.startLocked(c);
      }).catch((err: unknown) => log.warn('restart failed', { id: rec.Id, error: errorMessage(err) }));
    }, delay);
  }

  /** Cancels a pending policy restart (stop, kill, rm); true if one was pending. */
  private cancelRestart(c: Container): boolean {
    if (!c.rec.State.Restarting) return false;
    clearTimeout(c.restartTimer);
    c.restartTimer = undefined;
    Object.assign(c.rec.State, { Restarting: false, Status: 'exited' });
    return true;
  }

  private removeInBackground(c: Container): void {
    setImmediate(() => {
      this.remove(c.rec.Id, { force: true }).catch((err: unknown) => {
        if (!(err instanceof NotFoundError)) log.warn('auto-remove failed', { id: c.rec.Id, error: errorMessage(err) });
      });
    });
  }

  // ---------------------------------------------------------------- stop / kill / pause

  async stop(ref: string, opts: { timeout?: number; signal?: string } = {}): Promise<void> {
    const c = this.get(ref);
    const rec = c.rec;
    if (this.cancelRestart(c)) {
      await this.persist(rec);
      this.emit(rec, 'stop');
      return;
    }
    if (!rec.State.Running) throw new NotModifiedError('container already stopped');
    const signal = opts.signal || rec.Config.StopSignal || 'SIGTERM';
    const timeout = opts.timeout ?? rec.Config.StopTimeout ?? 10;
    c.stopping = true;
    try {
      const exited = this.nextExit(c);
      if (timeout !== 0) {
        await this.signal(c, signal);
        if (timeout < 0) {
          await exited;
        } else if (!(await withTimeout(exited, timeout * 1000))) {
          await this.signal(c, 'SIGKILL');
          await exited;
        }
      } else {
        await this.signal(c, 'SIGKILL');
        await exited;
      }
      this.emit(rec, 'stop');
    } finally {
      c.stopping = false;
    }
  }

  /** A promise for the container's next exit code, registered synchronously. */
  private nextExit(c: Container): Promise<number> {
    if (!c.rec.State.Running) return Promise.resolve(c.rec.State.ExitCode);
    return new Promise((resolve) => c.exitListeners.add(resolve));
  }

  private async signal(c: Container, signal: string): Promise<void> {
    this.emit(c.rec, 'kill', { signal: String(signalNumber(signal)) });
    await this.o.runtime.kill(c.rec.Id, signalName(signal), { all: false });
    if (c.rec.State.Paused && signalName(signal) === 'SIGKILL') {
      await this.o.runtime.resume(c.rec.Id).catch(() => undefined);
    }
  }

  async kill(ref: string, signal = 'SIGKILL'): Promise<void> {
    const c = this.get(ref);
    if (!c.rec.State.Running) throw new ConflictError(`Container ${c.rec.Id} is not running`);
    signalNumber(signal);
    await this.signal(c, signal);
  }

  async pause(ref: string): Promise<void> {
    const c = this.get(ref);
    await this.lock.run(c.rec.Id, async () => {
      const s = c.rec.State;
      if (!s.Running) throw new ConflictError(`Container ${c.rec.Id} is not running`);
      if (s.Paused) throw new ConflictError(`Container ${c.rec.Id} is already paused`);
      await this.o.runtime.pause(c.rec.Id);
      Object.assign(s, { Paused: true, Status: 'paused' });
      await this.persist(c.rec);
      this.emit(c.rec, 'pause');
    });
  }

  async unpause(ref: string): Promise<void> {
    const c = this.get(ref);
    await this.lock.run(c.rec.Id, async () => {
      const s = c.rec.State;
      if (!s.Paused) throw new ConflictError(`Container ${c.rec.Id} is not paused`);
      await this.o.runtime.resume(c.rec.Id);
      Object.assign(s, { Paused: false, Status: 'running' });
      await this.persist(c.rec);
      this.emit(c.rec, 'unpause');
    });
  }

  async restart(ref: string, opts: { timeout?: number; signal?: string } = {}): Promise<void> {
    const c = this.get(ref);
    if (c.rec.State.Running) {
      await this.stop(ref, opts).catch((err: unknown) => {
        if (!(err instanceof NotModifiedError)) throw err;
      });
    }
    await this.start(c.rec.Id);
    this.emit(c.rec, 'restart');
  }

  // ---------------------------------------------------------------- wait

  /** Waits per Docker's conditions: not-running (default), next-exit, removed. */
  wait(ref: string, condition = 'not-running'): Promise<number> {
    const c = this.get(ref);
    if (!['not-running', 'next-exit', 'removed', ''].includes(condition)) throw new InvalidArgumentError(`invalid condition: "${condition}"`);
    if (condition === 'removed') return new Promise((resolve) => c.removeListeners.add(resolve));
    if ((condition === 'not-running' || condition === '') && !c.rec.State.Running) return Promise.resolve(c.rec.State.ExitCode);
    return new Promise((resolve) => c.exitListeners.add(resolve));
  }

  /** Removes listeners registered by wait (when the client went away). */
  cancelWait(ref: string, listener: ExitListener): void {
    const c = this.find(ref);
    c?.exitListeners.delete(listener);
    c?.removeListeners.delete(listener);
  }

  // ---------------------------------------------------------------- remove / rename

  async remove(ref: string, opts: { force?: boolean; volumes?: boolean } = {}): Promise<void> {
    const c = this.get(ref);
    const rec = c.rec;
    if (rec.State.Restarting && !opts.force) {
      throw new ConflictError(`cannot remove container "${rec.Name}": container is restarting: stop the container before removing or force remove`);
    }
    this.cancelRestart(c);
    if (rec.State.Running) {
      if (!opts.force) {
        throw new ConflictError(`cannot remove container "${rec.Name}": container is running: stop the container before removing or force remove`);
      }
      const exited = this.nextExit(c);
      c.stopping = true;
      await this.signal(c, 'SIGKILL').catch(() => undefined);
      if (!(await withTimeout(exited, 15_000))) log.warn('container did not exit after SIGKILL', { id: rec.Id });
    }
    await this.lock.run(rec.Id, async () => {
      if (!this.byId.has(rec.Id)) throw new NotFoundError(`No such container: ${ref}`);
      if (rec.State.Running) throw new ConflictError(`cannot remove container "${rec.Name}": container is running`);
      rec.State.Status = 'removing';
      c.exitWatch?.abort();
      await c.pump?.stop().catch(() => undefined);
      c.pump = undefined;
      await this.o.runtime.delete(rec.Id, { force: true }).catch(() => undefined);
      await unmount(join(this.dir, rec.Id, 'rootfs')).catch(() => undefined);
      await rm(join(this.o.execRoot, 'bundles', rec.Id), { recursive: true, force: true });
      await removeTree(join(this.dir, rec.Id));
      this.byId.delete(rec.Id);
      this.byName.delete(rec.Name.slice(1));
      this.emit(rec, 'destroy');
      c.attach.abandon();
      this.execs.forget(rec.Id);
      for (const l of c.removeListeners) l(rec.State.ExitCode);
      c.removeListeners.clear();
      c.finishRun();
    });
  }

  async rename(ref: string, newName: string): Promise<void> {
    const c = this.get(ref);
    if (!newName) throw new InvalidArgumentError('Neither old nor new names may be empty');
    if (!isValidName(newName)) throw new InvalidArgumentError(`Invalid container name (${newName}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
    const name = newName.replace(/^\//, '');
    await this.lock.run('names', async () => {
      const old = c.rec.Name.slice(1);
      if (old === name) throw new InvalidArgumentError('Renaming a container with the same name as its current name');
      const holder = this.byName.get(name);
      if (holder) throw new ConflictError(`Conflict. The container name "/${name}" is already in use by container "${holder}". You have to remove (or rename) that container to be able to reuse that name.`);
      this.byName.delete(old);
      this.byName.set(name, c.rec.Id);
      c.rec.Name = `/${name}`;
      await this.persist(c.rec);
      this.emit(c.rec, 'rename', { oldName: `/${old}` });
    });
  }

  // ---------------------------------------------------------------- logs and output

  logs(ref: string, opts: { follow: boolean; tail?: number; since?: bigint; until?: bigint; stdout: boolean; stderr: boolean; signal: AbortSignal }): AsyncIterable<LogEntry> {
    const c = this.get(ref);
    const following = opts.follow && c.rec.State.Running;
    return readLogs(c.rec.LogPath, {
      follow: following,
      ...(opts.tail !== undefined ? { tail: opts.tail } : {}),
      ...(opts.since !== undefined ? { since: opts.since } : {}),
      ...(opts.until !== undefined ? { until: opts.until } : {}),
      stdout: opts.stdout,
      stderr: opts.stderr,
      signal: opts.signal,
      ...(following && c.pump ? { pump: c.pump, done: c.runEnded } : {}),
    });
  }

  /** Connects the daemon to conmon's attach socket of the container's current run (never fatal). */
  private async connectAttach(c: Container): Promise<void> {
    try {
      const sock = SeqpacketSocket.connect(await this.o.runtime.attachSocketPath(c.rec.Id));
      sock.on('error', () => undefined);
      c.attach.connect(sock);
    } catch (err) {
      log.warn('cannot connect to the container attach socket', { id: c.rec.Id, error: errorMessage(err) });
    }
  }

  /**
   * An attach session on the container's live streams (stdin, stdout/stderr as conmon sees them). Before the
   * container starts, the session waits for the next run. Refused on a paused or restarting container, as moby.
   */
  attachSession(ref: string, onOutput: OutputListener, signal: AbortSignal): AttachSession {
    const c = this.get(ref);
    if (c.rec.State.Paused) throw new ConflictError(`container ${c.rec.Id} is paused, unpause the container before attach`);
    if (c.rec.State.Restarting) throw new ConflictError(`cannot attach to a restarting container`);
    return c.attach.session(onOutput, signal);
  }

  /** Resizes the container's TTY (POST /containers/{id}/resize). */
  async resize(ref: string, height: number, width: number): Promise<void> {
    const c = this.get(ref);
    if (!c.rec.State.Running) throw new ConflictError(`Container ${c.rec.Id} is not running`);
    if (!c.rec.Config.Tty) return;
    await this.o.runtime.resize(c.rec.Id, height, width);
  }

  // ---------------------------------------------------------------- listing and inspect

  list(opts: { all?: boolean; limit?: number; size?: boolean; filters?: Record<string, string[]> }): object[] {
    const f = opts.filters ?? {};
    validateListFilters(f);
    let items = [...this.byId.values()].map((c) => c.rec).sort((a, b) => Date.parse(b.Created) - Date.parse(a.Created) || (a.Id < b.Id ? 1 : -1));
    const all = opts.all || (opts.limit !== undefined && opts.limit > 0) || !!f['status']?.length || !!f['exited']?.length;
    if (!all) items = items.filter((r) => r.State.Running);
    items = items.filter((r) => matchFilters(r, f, this));
    if (opts.limit !== undefined && opts.limit > 0) items = items.slice(0, opts.limit);
    return items.map((r) => this.summary(r));
  }

  private summary(r: ContainerRecord): object {
    return {
      Id: r.Id,
      Names: [r.Name],
      Image: r.Config.Image,
      ImageID: r.Image,
      Command: [r.Path, ...r.Args].map(quoteArg).join(' '),
      Created: Math.floor(Date.parse(r.Created) / 1000),
      Ports: [],
      Labels: sortedKeys(r.Config.Labels ?? {}),
      State: r.State.Status,
      Status: statusString(r.State),
      HostConfig: { NetworkMode: r.HostConfig.NetworkMode ?? 'none' },
      NetworkSettings: { Networks: networksOf(r) },
      Mounts: [],
    };
  }

  inspect(ref: string): object {
    const r = this.get(ref).rec;
    return {
      Id: r.Id,
      Created: r.Created,
      Path: r.Path,
      Args: r.Args,
      State: { ...r.State },
      Image: r.Image,
      ResolvConfPath: r.ResolvConfPath,
      HostnamePath: r.HostnamePath,
      HostsPath: r.HostsPath,
      LogPath: r.LogPath,
      Name: r.Name,
      RestartCount: r.RestartCount,
      Driver: 'overlay2',
      Platform: 'linux',
      MountLabel: '',
      ProcessLabel: '',
      AppArmorProfile: '',
      ExecIDs: this.execs.idsOf(r.Id),
      HostConfig: hostConfigView(r.HostConfig),
      GraphDriver: {
        Name: 'overlay2',
        Data: {
          UpperDir: join(this.dir, r.Id, 'upper'),
          WorkDir: join(this.dir, r.Id, 'work'),
          MergedDir: join(this.dir, r.Id, 'rootfs'),
        },
      },
      Mounts: [],
      Config: { ...r.Config, Volumes: r.Config.Volumes ?? null, Labels: sortedKeys(r.Config.Labels ?? {}) },
      NetworkSettings: {
        Bridge: '', SandboxID: '', SandboxKey: '', Ports: {}, HairpinMode: false, LinkLocalIPv6Address: '', LinkLocalIPv6PrefixLen: 0,
        SecondaryIPAddresses: null, SecondaryIPv6Addresses: null, EndpointID: '', Gateway: '', GlobalIPv6Address: '',
        GlobalIPv6PrefixLen: 0, IPAddress: '', IPPrefixLen: 0, IPv6Gateway: '', MacAddress: '',
        Networks: networksOf(r),
      },
    };
  }

  // ---------------------------------------------------------------- persistence and restore

  private async persist(rec: ContainerRecord): Promise<void> {
    await writeJsonAtomic(join(this.dir, rec.Id, 'config.v2.json'), rec);
  }

  /** Loads every container record and reattaches to containers that kept running while no daemon was up. */
  async restore(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await mkdir(join(this.o.execRoot, 'bundles'), { recursive: true });
    const entries = await readdir(this.dir);
    for (const id of entries) {
      if (id.startsWith('.')) {
        await rm(join(this.dir, id), { recursive: true, force: true });
        continue;
      }
      const rec = await readJsonIfExists<ContainerRecord>(join(this.dir, id, 'config.v2.json')).catch(() => undefined);
      if (!rec) {
        log.warn('dropping container directory without a record', { id });
        await unmount(join(this.dir, id, 'rootfs')).catch(() => undefined);
        await removeTree(join(this.dir, id));
        continue;
      }
      const c = new Container(rec);
      this.byId.set(rec.Id, c);
      this.byName.set(rec.Name.slice(1), rec.Id);
    }
    for (const c of this.byId.values()) {
      await this.lock.run(c.rec.Id, () => this.restoreOne(c)).catch((err: unknown) => log.error('restore failed', { id: c.rec.Id, error: errorMessage(err) }));
    }
  }

  private async restoreOne(c: Container): Promise<void> {
    const rec = c.rec;
    if (rec.State.Status === 'removing') {
      await this.o.runtime.delete(rec.Id, { force: true }).catch(() => undefined);
      await unmount(join(this.dir, rec.Id, 'rootfs')).catch(() => undefined);
      await removeTree(join(this.dir, rec.Id));
      this.byId.delete(rec.Id);
      this.byName.delete(rec.Name.slice(1));
      return;
    }
    if (!rec.State.Running) {
      await unmount(join(this.dir, rec.Id, 'rootfs')).catch(() => undefined);
      return;
    }
    const logOpts = rec.HostConfig.LogConfig?.Config ?? {};
    await this.attachPump(c, {
      maxSize: logOpts['max-size'] ? parseSize(logOpts['max-size']) : undefined,
      maxFile: logOpts['max-file'] ? Number(logOpts['max-file']) : undefined,
      fresh: false,
    });
    c.beginRun();
    const state = await this.o.runtime.state(rec.Id).catch(() => undefined);
    if (state && (state.status === 'running' || state.status === 'paused') && this.o.runtime.shimAlive(rec.Id)) {
      rec.State.Paused = state.status === 'paused';
      rec.State.Status = state.status;
      await this.persist(rec);
      await this.connectAttach(c);
      this.watchExit(c);
      log.info('reattached to running container', { id: rec.Id });
      return;
    }
    const info = await this.o.runtime.exitInfo(rec.Id).catch(() => undefined);
    if (info) {
      await this.handleExit(c, info);
      return;
    }
    if (this.o.runtime.shimAlive(rec.Id)) {
      // Created or stopping: keep watching.
      this.watchExit(c);
      return;
    }
    rec.State.Error = 'container shim exited without recording an exit status';
    await this.handleExit(c, { exitCode: 255, exitedAt: new Date(), oomKilled: false });
  }

  /** Stops watchers and log pumps (containers keep running). */
  async close(): Promise<void> {
    for (const c of this.byId.values()) {
      c.attach.close();
      c.exitWatch?.abort();
      await c.pump?.stop().catch(() => undefined);
      c.pump = undefined;
    }
  }

  // ---------------------------------------------------------------- helpers

  private emit(rec: ContainerRecord, action: string, extra: Record<string, string> = {}): void {
    this.o.events.publish({
      Type: 'container',
      Action: action,
      Actor: { ID: rec.Id, Attributes: { ...(rec.Config.Labels ?? {}), image: rec.Config.Image ?? '', name: rec.Name.slice(1), ...extra } },
      from: rec.Config.Image ?? '',
    });
  }

  /**
   * Publishes a container event (top, attach, detach...) on behalf of the API, with Docker's standard attributes
   * (labels, image, name) plus `extra`; nothing when the container is gone meanwhile.
   */
  containerEvent(ref: string, action: string, extra: Record<string, string> = {}): void {
    const c = this.find(ref);
    if (c) this.emit(c.rec, action, extra);
  }

  // ---------------------------------------------------------------- filesystem access (cp, export, diff, commit)

  /**
   * Runs `fn` under the container's lock with its root filesystem at a host path: a running container's rootfs
   * (frozen meanwhile when `pause`, unless it is paused already: no process can swap a path under us), or, for a
   * container that is not running, its overlay (image layers + upper dir) mounted for the call and unmounted after.
   */
  async withFilesystem<T>(
    ref: string,
    opts: { pause: boolean; event?: string },
    fn: (fs: { root: string; upper: string; lowerDirs: string[]; rec: ContainerRecord }) => Promise<T>,
  ): Promise<T> {
    const c = this.get(ref);
    return this.lock.run(c.rec.Id, async () => {
      const rec = c.rec;
      if (!this.byId.has(rec.Id)) throw new NotFoundError(`No such container: ${ref}`);
      if (rec.State.Status === 'removing' || rec.State.Dead) throw new ConflictError(`container ${rec.Id} is marked for removal`);
      const cdir = join(this.dir, rec.Id);
      const root = join(cdir, 'rootfs');
      const upper = join(cdir, 'upper');
      const { lowerDirs } = await this.o.images.resolve(rec.Image);
      const run = async (): Promise<T> => {
        const out = await fn({ root, upper, lowerDirs, rec });
        if (opts.event) this.emit(rec, opts.event);
        return out;
      };
      if (rec.State.Running) {
        const freeze = opts.pause && !rec.State.Paused;
        if (freeze) await this.o.runtime.pause(rec.Id);
        try {
          return await run();
        } finally {
          if (freeze) await this.o.runtime.resume(rec.Id).catch((err: unknown) => log.warn('resuming after a file operation failed', { id: rec.Id, error: errorMessage(err) }));
        }
      }
      await unmount(root).catch(() => undefined);
      await mkdir(root, { recursive: true });
      await mountOverlay({ lowerDirs, upperDir: upper, workDir: join(cdir, 'work'), target: root });
      try {
        return await run();
      } finally {
        await unmount(root).catch((err: unknown) => log.warn('unmounting a stopped container failed', { id: rec.Id, error: errorMessage(err) }));
      }
    });
  }

  /** Size of the writable layer, for `ps -s` and inspect size=1. */
  async sizeRw(ref: string): Promise<number> {
    return dirSize(join(this.dir, this.get(ref).rec.Id, 'upper'));
  }
}

function networksOf(r: ContainerRecord): Record<string, object> {
  const mode = r.HostConfig.NetworkMode ?? 'none';
  return {
    [mode]: {
      IPAMConfig: null, Links: null, Aliases: null, MacAddress: '', DriverOpts: null, NetworkID: '', EndpointID: '',
      Gateway: '', IPAddress: '', IPPrefixLen: 0, IPv6Gateway: '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0, DNSNames: null,
    },
  };
}

/** As moby's container view: an argument holding a space is shown in single quotes. */
function quoteArg(a: string): string {
  return a.includes(' ') ? `'${a}'` : a;
}

async function withTimeout(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms)));
  try {
    return await Promise.race([p.then(() => true), t]);
  } finally {
    clearTimeout(timer);
  }
}

const SIGNALS: Record<string, number> = {
  HUP: 1, INT: 2, QUIT: 3, ILL: 4, TRAP: 5, ABRT: 6, IOT: 6, BUS: 7, FPE: 8, KILL: 9, USR1: 10, SEGV: 11, USR2: 12,
  PIPE: 13, ALRM: 14, TERM: 15, STKFLT: 16, CHLD: 17, CONT: 18, STOP: 19, TSTP: 20, TTIN: 21, TTOU: 22, URG: 23,
  XCPU: 24, XFSZ: 25, VTALRM: 26, PROF: 27, WINCH: 28, IO: 29, POLL: 29, PWR: 30, SYS: 31,
};

/** Accepts `SIGTERM`, `TERM`, `term`, `15`; returns the number or throws. */
export function signalNumber(sig: string): number {
  const s = sig.trim().toUpperCase();
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    if (n >= 1 && n <= 64) return n;
  } else {
    const name = s.replace(/^SIG/, '');
    const n = SIGNALS[name];
    if (n !== undefined) return n;
    const rt = /^RTMIN(?:\+(\d+))?$/.exec(name);
    if (rt) return 34 + Number(rt[1] ?? 0);
  }
  throw new InvalidArgumentError(`Invalid signal: ${sig}`);
}

export function signalName(sig: string): string {
  const n = signalNumber(sig);
  const name = Object.entries(SIGNALS).find(([, v]) => v === n)?.[0];
  return name ? `SIG${name}` : String(n);
}

/** A map as Go's encoding/json writes it: keys in order. */
function sortedKeys<T>(m: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(m).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** moby's checks on filter values (ps -f status=bogus is a 400, not an empty list). */
function validateListFilters(f: Record<string, string[]>): void {
  const states = ['created', 'running', 'paused', 'restarting', 'removing', 'exited', 'dead'];
  for (const v of f['status'] ?? []) if (!states.includes(v)) throw new InvalidArgumentError(`invalid filter 'status=${v}'`);
  for (const v of f['exited'] ?? []) if (!/^[+-]?\d+$/.test(v)) throw new InvalidArgumentError(`strconv.Atoi: parsing ${JSON.stringify(v)}: invalid syntax`);
}

function matchFilters(r: ContainerRecord, f: Record<string, string[]>, svc: ContainerService): boolean {
  const any = (key: string, pred: (v: string) => boolean): boolean => !f[key]?.length || f[key]!.some(pred);
  if (!any('status', (v) => r.State.Status === v)) return false;
  if (!any('id', (v) => r.Id.startsWith(v))) return false;
  if (!any('name', (v) => { try { return new RegExp(v).test(r.Name.slice(1)) || new RegExp(v).test(r.Name); } catch { return r.Name.includes(v); } })) return false;
  if (!any('exited', (v) => !r.State.Running && r.State.Status === 'exited' && r.State.ExitCode === Number(v))) return false;
  if (!any('ancestor', (v) => r.Config.Image === v || r.Image === v || r.Image.replace('sha256:', '').startsWith(v.replace('sha256:', '')) || familiarMatch(r.Config.Image ?? '', v))) return false;
  for (const l of f['label'] ?? []) {
    const [k, ...rest] = l.split('=');
    const labels = r.Config.Labels ?? {};
    if (!(k! in labels)) return false;
    if (rest.length && labels[k!] !== rest.join('=')) return false;
  }
  for (const key of ['before', 'since'] as const) {
    for (const v of f[key] ?? []) {
      const other = svc.find(v);
      if (!other) throw new NotFoundError(`No such container: ${v}`);
      const cmp = Date.parse(r.Created) - Date.parse(other.rec.Created);
      if (key === 'before' ? cmp >= 0 : cmp <= 0) return false;
    }
  }
  return true;
}

function familiarMatch(imageAsGiven: string, wanted: string): boolean {
  const norm = (s: string): string => (s.includes(':') || s.includes('@') ? s : `${s}:latest`).replace(/^docker\.io\/(library\/)?/, '');
  return norm(imageAsGiven) === norm(wanted);
}

async function dirSize(path: string): Promise<number> {
  let total = 0;
  let entries: string[];
  try {
    entries = await readdir(path);
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = join(path, e);
    const s = await stat(p).catch(() => undefined);
    if (!s) continue;
    total += s.isDirectory() ? await dirSize(p) : s.size;
  }
  return total;
}

export async function readHostResolvConf(): Promise<string> {
  return readFile('/etc/resolv.conf', 'utf8').catch(() => '');
}
