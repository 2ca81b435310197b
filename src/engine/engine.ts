import { mkdir, readFile, writeFile, rm } from 'node:fs/promises';
import { cpus, hostname, totalmem, release } from 'node:os';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { log, readJsonIfExists, writeJsonAtomic } from '../base/index.js';
import { ImageService } from '../images/index.js';
import { RegistryClient } from '../distribution/index.js';
import { ContainerService, readHostResolvConf, makeSeccompProvider, loadDefaultProfile } from '../containers/index.js';
import { ConmonRuntime } from '../runtime/index.js';
import { EventBus, EventHistoryFile } from '../events/index.js';
import type { DaemonConfig } from './config.js';
import { acquireDataRootLock } from './lock.js';
import { hostCapabilities, hostRlimits, resolveBinary } from './host.js';

export const BERTH_VERSION = '0.1.0';

/** The composition root: builds every service from the configuration and owns their lifetimes. */
export class Engine {
  readonly startedAt = new Date();
  /** The persisted event history (flushed on close). */
  eventHistory: EventHistoryFile | undefined;
  private constructor(
    readonly config: DaemonConfig,
    readonly events: EventBus,
    readonly images: ImageService,
    readonly containers: ContainerService,
    readonly runtime: ConmonRuntime,
    readonly id: string,
    private readonly releaseLock: () => Promise<void>,
  ) {}

  static async open(config: DaemonConfig): Promise<Engine> {
    await mkdir(config.dataRoot, { recursive: true, mode: 0o711 });
    await mkdir(config.execRoot, { recursive: true, mode: 0o700 });
    const releaseLock = await acquireDataRootLock(config.dataRoot);
    try {
      const idFile = join(config.dataRoot, 'engine-id');
      let id = await readJsonIfExists<string>(idFile);
      if (!id) {
        id = randomUUID();
        await writeJsonAtomic(idFile, id);
      }
      const handlers = [];
      for (const [name, rt] of Object.entries(config.runtimes)) {
        const path = await resolveBinary(rt.path);
        if (path) handlers.push({ name, path, ...(rt.runtimeArgs ? { args: rt.runtimeArgs } : {}) });
        else log.warn('runtime binary not found; runtime disabled', { runtime: name, path: rt.path });
      }
      const runtime = new ConmonRuntime({
        stateDir: join(config.execRoot, 'runtime'),
        runcRoot: join(config.execRoot, 'runc'),
        handlers,
      });
      const late: { containers?: ContainerService } = {};
      const eventHistory = new EventHistoryFile(join(config.dataRoot, 'events.jsonl'), 1024);
      const events = new EventBus({ historySize: 1024, onPublish: (ev, ns) => eventHistory.append({ ev, ns }) });
      events.restore(await eventHistory.load());
      const images = new ImageService({
        root: config.dataRoot,
        emit: (e) => events.publish({ Type: 'image', Action: e.action, Actor: { ID: e.id, Attributes: e.ref ? { name: e.ref } : {} } }),
        usedBy: (imageId) => late.containers?.imageUsedBy(imageId),
        isRunning: (id) => late.containers?.isRunning(id) ?? true,
        registry: new RegistryClient({
          insecureRegistries: config.insecureRegistries, registryMirrors: config.registryMirrors,
          ...(config.uploadChunkSize !== undefined ? { uploadChunkSize: config.uploadChunkSize } : {}),
        }),
        maxConcurrentDownloads: config.maxConcurrentDownloads,
        maxConcurrentUploads: config.maxConcurrentUploads,
        maxDownloadRetries: config.maxDownloadAttempts,
        maxUploadRetries: config.maxUploadAttempts,
        retryDelayMs: config.transferRetryDelay,
      });
      await images.init();
      const caps = await hostCapabilities();
      const seccomp = makeSeccompProvider(await loadDefaultProfile(), { arch: process.arch, kernelVersion: release() });
      const initPath = await resolveBinary('tini-static') ?? await resolveBinary('tini');
      const containers = new ContainerService({
        root: config.dataRoot,
        execRoot: config.execRoot,
        runtime,
        images,
        events,
        defaultRuntime: config.defaultRuntime,
        runtimes: handlers.map((h) => h.name),
        seccomp,
        ...(initPath ? { initPath } : {}),
        kernelVersion: release(),
        hostCapabilities: caps,
        hostRlimits: await hostRlimits(),
        hostResolvConf: await readHostResolvConf(),
        logConfig: { Type: config.logDriver, Config: config.logOpts },
      });
      late.containers = containers;
      await containers.restore();
      const engine = new Engine(config, events, images, containers, runtime, id, releaseLock);
      engine.eventHistory = eventHistory;
      if (config.pidfile) await writeFile(config.pidfile, `${process.pid}\n`);
      return engine;
    } catch (err) {
      await releaseLock();
      throw err;
    }
  }

  /** Stops watchers; containers keep running (live restore). */
  async close(): Promise<void> {
    await this.containers.close();
    await this.eventHistory?.flush();
    if (this.config.pidfile) await rm(this.config.pidfile, { force: true });
    await this.releaseLock();
  }

  version(): Record<string, unknown> {
    const details = {
      ApiVersion: '1.45', MinAPIVersion: '1.24', GitCommit: 'berth', GoVersion: `node${process.versions.node}`,
      Os: 'linux', Arch: goArch(), KernelVersion: release(), Experimental: 'false', BuildTime: this.startedAt.toISOString(),
    };
    return {
      Platform: { Name: 'berth' },
      Components: [{ Name: 'Engine', Version: BERTH_VERSION, Details: details }],
      Version: BERTH_VERSION,
      ApiVersion: '1.45',
      MinAPIVersion: '1.24',
      GitCommit: 'berth',
      GoVersion: `node${process.versions.node}`,
      Os: 'linux',
      Arch: goArch(),
      KernelVersion: release(),
      BuildTime: this.startedAt.toISOString(),
    };
  }

  async info(): Promise<Record<string, unknown>> {
    const counts = this.containers.counts();
    const runtimes: Record<string, { path: string }> = {};
    for (const [name, rt] of Object.entries(this.config.runtimes)) runtimes[name] = { path: rt.path };
    const osRelease = await readFile('/etc/os-release', 'utf8').catch(() => '');
    const prettyName = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(osRelease)?.[1] ?? 'Linux';
    return {
      ID: this.id,
      Containers: counts.total,
      ContainersRunning: counts.running,
      ContainersPaused: counts.paused,
      ContainersStopped: counts.stopped,
      Images: this.images.count(),
      Driver: 'overlay2',
      DriverStatus: [['Backing Filesystem', 'extfs'], ['Supports d_type', 'true'], ['Using metacopy', 'false'], ['Native Overlay Diff', 'true']],
      Plugins: { Volume: ['local'], Network: ['none'], Authorization: null, Log: ['json-file'] },
      MemoryLimit: true, SwapLimit: true, CpuCfsPeriod: true, CpuCfsQuota: true, CPUShares: true, CPUSet: true,
      PidsLimit: true, IPv4Forwarding: true, BridgeNfIptables: false, BridgeNfIp6tables: false, Debug: this.config.logLevel === 'debug',
      NFd: 0, OomKillDisable: true, NGoroutines: 0, SystemTime: new Date().toISOString(), LoggingDriver: this.config.logDriver,
      CgroupDriver: 'cgroupfs', CgroupVersion: '1', NEventsListener: 0, KernelVersion: release(), OperatingSystem: prettyName,
      OSVersion: '', OSType: 'linux', Architecture: arch(), IndexServerAddress: 'https://index.docker.io/v1/',
      RegistryConfig: {
        AllowNondistributableArtifactsCIDRs: null, AllowNondistributableArtifactsHostnames: null,
        InsecureRegistryCIDRs: ['127.0.0.0/8'], IndexConfigs: {}, Mirrors: this.config.registryMirrors,
      },
      NCPU: cpus().length, MemTotal: totalmem(), GenericResources: null, DockerRootDir: this.config.dataRoot,
      HttpProxy: '', HttpsProxy: '', NoProxy: '', Name: hostname(), Labels: [], ExperimentalBuild: false,
      ServerVersion: BERTH_VERSION, Runtimes: runtimes, DefaultRuntime: this.config.defaultRuntime,
      Swarm: { NodeID: '', NodeAddr: '', LocalNodeState: 'inactive', ControlAvailable: false, Error: '', RemoteManagers: null },
      LiveRestoreEnabled: this.config.liveRestore, Isolation: '', InitBinary: 'tini',
      ContainerdCommit: { ID: '' }, RuncCommit: { ID: '' }, InitCommit: { ID: '' },
      SecurityOptions: ['name=seccomp,profile=builtin'], Warnings: [],
    };
  }
}

/** `uname -m` style, as Docker's info Architecture (`x86_64`, `aarch64`). */
function arch(): string {
  return process.arch === 'x64' ? 'x86_64' : process.arch === 'arm64' ? 'aarch64' : process.arch;
}

/** Go's GOARCH, as Docker's version Arch (`amd64`, `arm64`). */
function goArch(): string {
  const map: Record<string, string> = { x64: 'amd64', ia32: '386', ppc64: 'ppc64le' };
  return map[process.arch] ?? process.arch;
}

