import { readFile } from 'node:fs/promises';
import { InvalidArgumentError, errnoCode } from '../base/index.js';
import { DEFAULT_CONCURRENT_DOWNLOADS, DEFAULT_CONCURRENT_UPLOADS, DEFAULT_RETRY } from '../images/index.js';

export interface RuntimeConfig { path: string; runtimeArgs?: string[] }

/** The daemon's settings: command-line flags over daemon.json (Docker's key names) over defaults. */
export interface DaemonConfig {
  hosts: string[];
  dataRoot: string;
  execRoot: string;
  pidfile: string | undefined;
  configFile: string;
  logLevel: string;
  defaultRuntime: string;
  runtimes: Record<string, RuntimeConfig>;
  logDriver: string;
  logOpts: Record<string, string>;
  detachKeys: string | undefined;
  insecureRegistries: string[];
  registryMirrors: string[];
  /** Layers fetched and unpacked at once per pull (docker's key; dockerd's default is 3, berth's 4). */
  maxConcurrentDownloads: number;
  /** Layer uploads at once, over all pushes (dockerd's `max-concurrent-uploads`, default 5). */
  maxConcurrentUploads: number;
  /** Blobs above this size are uploaded in PATCHes of this size; 0 = in one request (berth's `upload-chunk-size`). */
  uploadChunkSize: number | undefined;
  /** Retries of a layer download that failed transiently (dockerd's `max-download-attempts`, default 5). */
  maxDownloadAttempts: number;
  /** The same for a layer upload (`max-upload-attempts`, default 5). */
  maxUploadAttempts: number;
  /** The n-th retry of a layer waits n times this many ms (berth's `transfer-retry-delay`; dockerd's 5 s). */
  transferRetryDelay: number;
  liveRestore: boolean;
}

export const DEFAULT_SOCKET = 'unix:///run/berth/berth.sock';

export interface DaemonFlags {
  hosts?: string[];
  dataRoot?: string;
  execRoot?: string;
  pidfile?: string;
  configFile?: string;
  logLevel?: string;
  debug?: boolean;
}

const KNOWN_KEYS = new Set([
  'hosts', 'data-root', 'exec-root', 'pidfile', 'log-level', 'debug', 'default-runtime', 'runtimes', 'log-driver',
  'log-opts', 'detach-keys', 'detachKeys', 'insecure-registries', 'registry-mirrors', 'live-restore', 'storage-driver',
  'max-concurrent-downloads',
  'features', 'experimental', 'iptables', 'ip-forward', 'bridge', 'bip', 'dns', 'dns-opts', 'dns-search',
  'max-concurrent-uploads', 'upload-chunk-size', 'max-download-attempts', 'max-upload-attempts', 'transfer-retry-delay',
]);

export async function loadConfig(flags: DaemonFlags): Promise<DaemonConfig> {
  const configFile = flags.configFile ?? '/etc/berth/daemon.json';
  let file: Record<string, unknown> = {};
  try {
    file = JSON.parse(await readFile(configFile, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    if (errnoCode(err) !== 'ENOENT' || flags.configFile) {
      if (errnoCode(err) === 'ENOENT') throw new InvalidArgumentError(`unable to configure the daemon: open ${configFile}: no such file or directory`);
      throw new InvalidArgumentError(`unable to configure the daemon with file ${configFile}: ${(err as Error).message}`);
    }
  }
  if (typeof file !== 'object' || file === null || Array.isArray(file)) throw new InvalidArgumentError(`${configFile}: not a JSON object`);
  for (const k of Object.keys(file)) {
    if (!KNOWN_KEYS.has(k)) throw new InvalidArgumentError(`the following directives don't match any configuration option: ${k}`);
  }
  const str = (k: string): string | undefined => (typeof file[k] === 'string' ? (file[k] as string) : undefined);
  const strs = (k: string): string[] => (Array.isArray(file[k]) ? (file[k] as unknown[]).map(String) : []);
  if (flags.hosts?.length && file['hosts']) {
    throw new InvalidArgumentError('the following directives are specified both as a flag and in the configuration file: hosts');
  }
  const runtimes: Record<string, RuntimeConfig> = { runc: { path: 'runc' }, crun: { path: 'crun' } };
  const fileRuntimes = file['runtimes'];
  if (fileRuntimes && typeof fileRuntimes === 'object') {
    for (const [name, v] of Object.entries(fileRuntimes as Record<string, { path?: string; runtimeArgs?: string[] }>)) {
      if (!v || typeof v.path !== 'string') throw new InvalidArgumentError(`runtime ${name}: a path is required`);
      runtimes[name] = { path: v.path, ...(v.runtimeArgs ? { runtimeArgs: v.runtimeArgs } : {}) };
    }
  }
  const defaultRuntime = str('default-runtime') ?? 'runc';
  if (!runtimes[defaultRuntime]) throw new InvalidArgumentError(`default runtime ${defaultRuntime} is not configured`);
  const int = (k: string, min: number): number | undefined => {
    const v = file[k];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new InvalidArgumentError(`invalid ${k} ${JSON.stringify(v)}: an integer of at least ${min} is required`);
    return v;
  };
  const logOpts = (file['log-opts'] && typeof file['log-opts'] === 'object' ? file['log-opts'] : {}) as Record<string, string>;
  return {
    hosts: flags.hosts?.length ? flags.hosts : strs('hosts').length ? strs('hosts') : [DEFAULT_SOCKET],
    dataRoot: flags.dataRoot ?? str('data-root') ?? '/var/lib/berth',
    execRoot: flags.execRoot ?? str('exec-root') ?? '/run/berth',
    pidfile: flags.pidfile ?? str('pidfile'),
    configFile,
    logLevel: flags.debug || file['debug'] === true ? 'debug' : flags.logLevel ?? str('log-level') ?? 'info',
    defaultRuntime,
    runtimes,
    logDriver: str('log-driver') ?? 'json-file',
    logOpts,
    detachKeys: str('detach-keys') ?? str('detachKeys'), // Docker's CLI config spelling accepted too
    insecureRegistries: strs('insecure-registries'),
    registryMirrors: strs('registry-mirrors'),
    maxConcurrentDownloads: int('max-concurrent-downloads', 1) ?? DEFAULT_CONCURRENT_DOWNLOADS,
    maxConcurrentUploads: int('max-concurrent-uploads', 1) ?? DEFAULT_CONCURRENT_UPLOADS,
    uploadChunkSize: int('upload-chunk-size', 0),
    maxDownloadAttempts: int('max-download-attempts', 0) ?? DEFAULT_RETRY.retries,
    maxUploadAttempts: int('max-upload-attempts', 0) ?? DEFAULT_RETRY.retries,
    transferRetryDelay: int('transfer-retry-delay', 0) ?? DEFAULT_RETRY.delayMs,
    liveRestore: true,
  };
}
