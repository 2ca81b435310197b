import { readFileSync } from 'node:fs';
import { FlagError, type FlagDef, type ParsedFlags } from './flags.js';
import { ramInBytes, parseGoDuration } from './units.js';

/**
 * `run`/`create` flags (docker cli/command/container/opts.go) and their mapping to the create body
 * (Config + HostConfig + NetworkingConfig).
 */

const L = (name: string, usage: string, extra: Partial<FlagDef> = {}): FlagDef => ({ name, kind: 'list', usage, ...extra });
const S = (name: string, usage: string, extra: Partial<FlagDef> = {}): FlagDef => ({ name, kind: 'string', usage, ...extra });
const B = (name: string, usage: string, extra: Partial<FlagDef> = {}): FlagDef => ({ name, kind: 'bool', usage, ...extra });
const I = (name: string, usage: string, extra: Partial<FlagDef> = {}): FlagDef => ({ name, kind: 'int', usage, ...extra });

/** Flags shared by run and create (docker's addFlags). */
export const CONTAINER_FLAGS: FlagDef[] = [
  L('add-host', 'Add a custom host-to-IP mapping (host:ip)'),
  L('annotation', 'Add an annotation to the container (passed through to the OCI runtime)', { typeName: 'map', defaultText: 'map[]' }),
  L('attach', 'Attach to STDIN, STDOUT or STDERR', { short: 'a' }),
  S('blkio-weight', 'Block IO (relative weight), between 10 and 1000, or 0 to disable', { typeName: 'uint16', defaultText: '0' }),
  L('blkio-weight-device', 'Block IO weight (relative device weight)', { defaultText: '[]' }),
  L('cap-add', 'Add Linux capabilities'),
  L('cap-drop', 'Drop Linux capabilities'),
  S('cgroup-parent', 'Optional parent cgroup for the container'),
  S('cgroupns', "Cgroup namespace to use (host|private)\n'host':    Run the container in the Docker host's cgroup namespace\n'private': Run the container in its own private cgroup namespace\n'':        Use the cgroup namespace as configured by the\n           default-cgroupns-mode option on the daemon (default)"),
  S('cidfile', 'Write the container ID to the file'),
  I('cpu-count', 'CPU count (Windows only)', { hidden: true }),
  I('cpu-percent', 'CPU percent (Windows only)', { hidden: true }),
  I('cpu-period', 'Limit CPU CFS (Completely Fair Scheduler) period'),
  I('cpu-quota', 'Limit CPU CFS (Completely Fair Scheduler) quota'),
  I('cpu-rt-period', 'Limit CPU real-time period in microseconds'),
  I('cpu-rt-runtime', 'Limit CPU real-time runtime in microseconds'),
  I('cpu-shares', 'CPU shares (relative weight)', { short: 'c' }),
  S('cpus', 'Number of CPUs', { typeName: 'decimal' }),
  S('cpuset-cpus', 'CPUs in which to allow execution (0-3, 0,1)'),
  S('cpuset-mems', 'MEMs in which to allow execution (0-3, 0,1)'),
  L('device', 'Add a host device to the container'),
  L('device-cgroup-rule', 'Add a rule to the cgroup allowed devices list'),
  L('device-read-bps', 'Limit read rate (bytes per second) from a device', { defaultText: '[]' }),
  L('device-read-iops', 'Limit read rate (IO per second) from a device', { defaultText: '[]' }),
  L('device-write-bps', 'Limit write rate (bytes per second) to a device', { defaultText: '[]' }),
  L('device-write-iops', 'Limit write rate (IO per second) to a device', { defaultText: '[]' }),
  B('disable-content-trust', 'Skip image verification', { defaultText: 'true', default: true }),
  L('dns', 'Set custom DNS servers'),
  L('dns-option', 'Set DNS options'),
  L('dns-search', 'Set custom DNS search domains'),
  S('domainname', 'Container NIS domain name'),
  S('entrypoint', 'Overwrite the default ENTRYPOINT of the image'),
  L('env', 'Set environment variables', { short: 'e' }),
  L('env-file', 'Read in a file of environment variables'),
  L('expose', 'Expose a port or a range of ports'),
  S('gpus', "GPU devices to add to the container ('all' to pass all GPUs)", { typeName: 'gpu-request' }),
  L('group-add', 'Add additional groups to join'),
  S('health-cmd', 'Command to run to check health'),
  S('health-interval', 'Time between running the check (ms|s|m|h)', { typeName: 'duration', defaultText: '0s' }),
  I('health-retries', 'Consecutive failures needed to report unhealthy'),
  S('health-start-interval', 'Time between running the check during the start period (ms|s|m|h)', { typeName: 'duration', defaultText: '0s' }),
  S('health-start-period', 'Start period for the container to initialize before starting health-retries countdown (ms|s|m|h)', { typeName: 'duration', defaultText: '0s' }),
  S('health-timeout', 'Maximum time to allow one check to run (ms|s|m|h)', { typeName: 'duration', defaultText: '0s' }),
  B('help', 'Print usage'),
  S('hostname', 'Container host name', { short: 'h' }),
  B('init', 'Run an init inside the container that forwards signals and reaps processes'),
  B('interactive', 'Keep STDIN open even if not attached', { short: 'i' }),
  S('io-maxbandwidth', 'Maximum IO bandwidth limit for the system drive (Windows only)', { typeName: 'bytes', hidden: true }),
  S('io-maxiops', 'Maximum IOps limit for the system drive (Windows only)', { typeName: 'uint', hidden: true }),
  S('ip', 'IPv4 address (e.g., 172.30.100.104)'),
  S('ip6', 'IPv6 address (e.g., 2001:db8::33)'),
  S('ipc', 'IPC mode to use'),
  S('isolation', 'Container isolation technology'),
  S('kernel-memory', 'Kernel memory limit', { typeName: 'bytes' }),
  L('label', 'Set meta data on a container', { short: 'l' }),
  L('label-file', 'Read in a line delimited file of labels'),
  L('link', 'Add link to another container'),
  L('link-local-ip', 'Container IPv4/IPv6 link-local addresses'),
  S('log-driver', 'Logging driver for the container'),
  L('log-opt', 'Log driver options'),
  S('mac-address', 'Container MAC address (e.g., 92:d0:c6:0a:29:33)'),
  S('memory', 'Memory limit', { short: 'm', typeName: 'bytes' }),
  S('memory-reservation', 'Memory soft limit', { typeName: 'bytes' }),
  S('memory-swap', "Swap limit equal to memory plus swap: '-1' to enable unlimited swap", { typeName: 'bytes' }),
  I('memory-swappiness', 'Tune container memory swappiness (0 to 100)', { defaultText: '-1', default: -1 }),
  L('mount', 'Attach a filesystem mount to the container', { typeName: 'mount' }),
  S('name', 'Assign a name to the container'),
  L('network', 'Connect a container to a network', { typeName: 'network' }),
  L('network-alias', 'Add network-scoped alias for the container'),
  B('no-healthcheck', 'Disable any container-specified HEALTHCHECK'),
  B('oom-kill-disable', 'Disable OOM Killer'),
  I('oom-score-adj', "Tune host's OOM preferences (-1000 to 1000)"),
  S('pid', 'PID namespace to use'),
  I('pids-limit', 'Tune container pids limit (set -1 for unlimited)'),
  S('platform', 'Set platform if server is multi-platform capable'),
  B('privileged', 'Give extended privileges to this container'),
  L('publish', "Publish a container's port(s) to the host", { short: 'p' }),
  B('publish-all', 'Publish all exposed ports to random ports', { short: 'P' }),
  S('pull', 'Pull image before creating ("always", "|missing", "never")', { defaultText: '"missing"', default: 'missing' }),
  B('quiet', 'Suppress the pull output', { short: 'q' }),
  B('read-only', "Mount the container's root filesystem as read only"),
  S('restart', 'Restart policy to apply when a container exits', { defaultText: '"no"', default: 'no' }),
  B('rm', 'Automatically remove the container and its associated anonymous volumes when it exits'),
  S('runtime', 'Runtime to use for this container'),
  L('security-opt', 'Security Options'),
  S('shm-size', 'Size of /dev/shm', { typeName: 'bytes' }),
  S('stop-signal', 'Signal to stop the container'),
  I('stop-timeout', 'Timeout (in seconds) to stop a container'),
  L('storage-opt', 'Storage driver options for the container'),
  L('sysctl', 'Sysctl options', { typeName: 'map', defaultText: 'map[]' }),
  L('tmpfs', 'Mount a tmpfs directory'),
  B('tty', 'Allocate a pseudo-TTY', { short: 't' }),
  L('ulimit', 'Ulimit options', { typeName: 'ulimit', defaultText: '[]' }),
  B('use-api-socket', 'Bind mount Docker API socket and required auth'),
  S('user', 'Username or UID (format: <name|uid>[:<group|gid>])', { short: 'u' }),
  S('userns', 'User namespace to use'),
  S('uts', 'UTS namespace to use'),
  L('volume', 'Bind mount a volume', { short: 'v' }),
  S('volume-driver', 'Optional volume driver for the container'),
  L('volumes-from', 'Mount volumes from the specified container(s)'),
  S('workdir', 'Working directory inside the container', { short: 'w' }),
];

/** Flags only `run` has. */
export const RUN_ONLY_FLAGS: FlagDef[] = [
  B('detach', 'Run container in background and print container ID', { short: 'd' }),
  S('detach-keys', 'Override the key sequence for detaching a container'),
  B('sig-proxy', 'Proxy received signals to the process', { defaultText: 'true', default: true }),
];

export type Json = Record<string, unknown>;

export interface CreateRequest {
  name?: string;
  platform?: string;
  body: Json & { HostConfig: Json; NetworkingConfig: Json };
  image: string;
}

function bad(flag: FlagDef | string, value: string, msg: string): FlagError {
  const label = typeof flag === 'string' ? flag : flag.short ? `-${flag.short}, --${flag.name}` : `--${flag.name}`;
  return new FlagError(`invalid argument "${value}" for "${label}" flag: ${msg}`);
}

const defs = new Map(CONTAINER_FLAGS.map((d) => [d.name, d]));

function bytesFlag(flags: ParsedFlags, name: string): number | undefined {
  if (!flags.has(name)) return undefined;
  const v = flags.string(name);
  if (v === '') return 0;
  try { return ramInBytes(v); } catch (err) { throw bad(defs.get(name)!, v, (err as Error).message); }
}

/** `--cpus 1.5` → 1500000000 (exact decimal arithmetic, docker's NanoCPUs). */
export function parseNanoCpus(v: string): number {
  const m = /^(\d*)(?:\.(\d*))?$/.exec(v);
  if (!m || (m[1] === '' && !m[2])) throw new Error(`failed to parse ${v} as a rational number`);
  const frac = (m[2] ?? '').replace(/0+$/, '');
  if (frac.length > 9) throw new Error('value is too precise');
  return Number(m[1] || '0') * 1e9 + Number((frac || '0').padEnd(9, '0'));
}

const ULIMITS = new Set(['core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice', 'nofile', 'nproc', 'rss', 'rtprio', 'rttime', 'sigpending', 'stack']);

/** `nofile=1024:2048` → {Name, Soft, Hard} (go-units ParseUlimit). */
export function parseUlimit(v: string): { Name: string; Soft: number; Hard: number } {
  const eq = v.indexOf('=');
  if (eq < 0) throw new Error(`invalid ulimit argument: ${v}`);
  const name = v.slice(0, eq);
  if (!ULIMITS.has(name)) throw new Error(`invalid ulimit type: ${name}`);
  const parts = v.slice(eq + 1).split(':');
  if (parts.length > 2) throw new Error(`too many limit value arguments - ${v.slice(eq + 1)}, can only have up to two, \`soft[:hard]\``);
  const num = (s: string) => { if (!/^-?\d+$/.test(s)) throw new Error(`strconv.ParseInt: parsing "${s}": invalid syntax`); return Number(s); };
  const soft = num(parts[0]!);
  const hard = parts.length === 2 ? num(parts[1]!) : soft;
  if (soft > hard) throw new Error(`ulimit soft limit must be less than or equal to hard limit: ${soft} > ${hard}`);
  return { Name: name, Soft: soft, Hard: hard };
}

/** Parses an env/label file (docker's opts.ParseEnvFile); bare names are looked up in `env` when given. */
export function parseEnvFile(content: string, file: string, env?: NodeJS.ProcessEnv): string[] {
  const out: string[] = [];
  const lines = content.split(/\r?\n/);
  lines.forEach((raw, i) => {
    if (i === 0) raw = raw.replace(/^\uFEFF/, '');
    const line = raw.replace(/^\s+/, '');
    if (!line || line.startsWith('#')) return;
    const eq = line.indexOf('=');
    const name = eq >= 0 ? line.slice(0, eq) : line;
    if (!name) throw new Error(`no variable name on line '${line}'`);
    if (/\s/.test(name)) throw new Error(`variable '${name.trim()}' contains whitespaces`);
    if (eq >= 0) { out.push(line); return; }
    if (env) { if (env[name] !== undefined) out.push(`${name}=${env[name]}`); }
    else out.push(name);
  });
  void file;
  return out;
}

/** `-e NAME` takes the value from the CLI's environment (kept bare when unset, as docker does). */
export function expandEnv(v: string, env: NodeJS.ProcessEnv): string {
  if (v.includes('=')) {
    if (v.startsWith('=')) throw new Error(`invalid environment variable: ${v}`);
    return v;
  }
  return env[v] !== undefined ? `${v}=${env[v]}` : v;
}

function parseRange(s: string, what: string): [number, number] {
  const m = /^(\d+)(?:-(\d+))?$/.exec(s);
  if (!m) throw new Error(`invalid ${what}: ${s}`);
  const a = Number(m[1]);
  const b = m[2] ? Number(m[2]) : a;
  if (b < a || b > 65535) throw new Error(`invalid range specified for ${what}: ${s}`);
  return [a, b];
}

export interface PortMap { exposed: Record<string, object>; bindings: Record<string, { HostIp: string; HostPort: string }[]> }

/** `-p [ip:][hostPort:]containerPort[/proto]` (with ranges) → ExposedPorts and PortBindings (nat.ParsePortSpecs). */
export function parsePortSpecs(specs: readonly string[]): PortMap {
  const exposed: PortMap['exposed'] = {};
  const bindings: PortMap['bindings'] = {};
  for (const spec of specs) {
    let raw = spec;
    let proto = 'tcp';
    const slash = raw.lastIndexOf('/');
    if (slash >= 0) { proto = raw.slice(slash + 1).toLowerCase(); raw = raw.slice(0, slash); }
    if (!['tcp', 'udp', 'sctp'].includes(proto)) throw new Error(`invalid proto: ${proto}`);
    let ip = '';
    let host = '';
    let ctr: string;
    if (raw.startsWith('[')) {
      const close = raw.indexOf(']');
      ip = raw.slice(1, close);
      const rest = raw.slice(close + 2).split(':');
      if (rest.length !== 2) throw new Error(`invalid port format for --publish: ${spec}`);
      [host, ctr] = rest as [string, string];
    } else {
      const parts = raw.split(':');
      if (parts.length === 1) ctr = parts[0]!;
      else if (parts.length === 2) [host, ctr] = parts as [string, string];
      else if (parts.length === 3) [ip, host, ctr] = parts as [string, string, string];
      else {
        // unbracketed IPv6: last two are host and container port
        ctr = parts.pop()!; host = parts.pop()!; ip = parts.join(':');
      }
    }
    if (!ctr) throw new Error(`no port specified: ${spec}<empty>`);
    const [c0, c1] = parseRange(ctr, 'containerPort');
    let h: [number, number] | undefined;
    if (host) h = parseRange(host, 'hostPort');
    if (h && h[1] - h[0] !== c1 - c0 && c0 !== c1) throw new Error(`invalid ranges specified for container and host Ports: ${ctr} and ${host}`);
    for (let p = c0; p <= c1; p++) {
      const key = `${p}/${proto}`;
      exposed[key] = {};
      let hostPort = '';
      if (h) hostPort = c0 === c1 && h[0] !== h[1] ? `${h[0]}-${h[1]}` : String(h[0] + (p - c0));
      (bindings[key] ??= []).push({ HostIp: ip, HostPort: hostPort });
    }
  }
  return { exposed, bindings };
}

/** `--mount type=bind,source=/a,target=/b,readonly` → a Mount object. */
export function parseMount(v: string): Json {
  const m: Json = { Type: 'volume' };
  const vol: Json = {};
  const bind: Json = {};
  const tmpfs: Json = {};
  for (const field of v.split(',')) {
    const eq = field.indexOf('=');
    const key = (eq >= 0 ? field.slice(0, eq) : field).toLowerCase().trim();
    const val = eq >= 0 ? field.slice(eq + 1) : undefined;
    const boolVal = () => { if (val === undefined) return true; const b = ['1', 'true', 't', 'yes'].includes(val.toLowerCase()) ? true : ['0', 'false', 'f', 'no'].includes(val.toLowerCase()) ? false : undefined; if (b === undefined) throw new Error(`invalid value for ${key}: ${val}`); return b; };
    switch (key) {
      case 'type': m.Type = val; break;
      case 'source': case 'src': m.Source = val; break;
      case 'target': case 'dst': case 'destination': m.Target = val; break;
      case 'readonly': case 'ro': m.ReadOnly = boolVal(); break;
      case 'consistency': m.Consistency = val; break;
      case 'bind-propagation': bind.Propagation = val; break;
      case 'bind-recursive': break;
      case 'volume-nocopy': vol.NoCopy = boolVal(); break;
      case 'volume-subpath': vol.Subpath = val; break;
      case 'volume-label': { const [k, ...r] = (val ?? '').split('='); ((vol.Labels ??= {}) as Json)[k!] = r.join('='); break; }
      case 'volume-driver': vol.DriverConfig = { ...(vol.DriverConfig as Json | undefined), Name: val }; break;
      case 'volume-opt': { const [k, ...r] = (val ?? '').split('='); const dc = (vol.DriverConfig ??= {}) as Json; ((dc.Options ??= {}) as Json)[k!] = r.join('='); break; }
      case 'tmpfs-size': tmpfs.SizeBytes = ramInBytes(val ?? ''); break;
      case 'tmpfs-mode': tmpfs.Mode = parseInt(val ?? '', 8); break;
      default: throw new Error(`unexpected key '${key}' in '${field}'`);
    }
  }
  if (!m.Target) throw new Error('target is required');
  if (Object.keys(vol).length) m.VolumeOptions = vol;
  if (Object.keys(bind).length) m.BindOptions = bind;
  if (Object.keys(tmpfs).length) m.TmpfsOptions = tmpfs;
  return m;
}

function mapOf(list: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of list) {
    const eq = kv.indexOf('=');
    if (eq < 0) out[kv] = '';
    else out[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return out;
}

/** `/dev/sda[:/dev/xvda[:rwm]]` → DeviceMapping. */
export function parseDevice(v: string): Json {
  const parts = v.split(':');
  let perms = 'rwm';
  let dst = '';
  const src = parts[0]!;
  if (parts.length === 3) { dst = parts[1]!; perms = parts[2]!; }
  else if (parts.length === 2) { if (/^[rwm]+$/.test(parts[1]!)) perms = parts[1]!; else dst = parts[1]!; }
  else if (parts.length > 3) throw new Error(`invalid device specification: ${v}`);
  if (!/^[rwm]+$/.test(perms)) throw new Error(`invalid device mode: ${perms}`);
  return { PathOnHost: src, PathInContainer: dst || src, CgroupPermissions: perms };
}

/** `on-failure:3` → {Name, MaximumRetryCount}. */
export function parseRestart(v: string): { Name: string; MaximumRetryCount: number } {
  if (v === '') return { Name: 'no', MaximumRetryCount: 0 };
  const [name, count, ...extra] = v.split(':');
  if (extra.length) throw new Error(`invalid restart policy format: ${v}`);
  if (!['no', 'always', 'unless-stopped', 'on-failure'].includes(name!)) throw new Error(`invalid restart policy format: ${v}`);
  if (count !== undefined) {
    if (name !== 'on-failure') throw new Error(`invalid restart policy format: maximum retry count can only be used with 'on-failure'`);
    if (!/^\d+$/.test(count)) throw new Error(`invalid restart policy format: maximum retry count must be an integer`);
  }
  return { Name: name!, MaximumRetryCount: count ? Number(count) : 0 };
}

function durationNs(flags: ParsedFlags, name: string): number | undefined {
  if (!flags.has(name)) return undefined;
  const v = flags.string(name);
  try { return Math.round(parseGoDuration(v) * 1e6); } catch (err) { throw bad(defs.get(name)!, v, (err as Error).message); }
}

/** Builds the create request from parsed flags and `IMAGE [COMMAND] [ARG...]` (docker's parse()). */
export function buildCreateRequest(flags: ParsedFlags, args: readonly string[], opts: { env: NodeJS.ProcessEnv; detach?: boolean; consoleSize?: [number, number] | undefined; readFile?: (p: string) => string }): CreateRequest {
  const readFile = opts.readFile ?? ((p: string) => readFileSync(p, 'utf8'));
  const [image, ...cmd] = args;
  const attach = flags.list('attach').map((s) => s.toLowerCase());
  for (const a of attach) if (!['stdin', 'stdout', 'stderr'].includes(a)) throw bad(defs.get('attach')!, a, `valid streams are STDIN, STDOUT and STDERR`);
  const interactive = flags.bool('interactive');
  let attachStdin = attach.includes('stdin');
  let attachStdout = attach.includes('stdout');
  let attachStderr = attach.includes('stderr');
  if (!attach.length) { attachStdout = true; attachStderr = true; attachStdin = interactive; }
  if (opts.detach) {
    if (attach.length) throw new Error('Conflicting options: -a and -d');
    attachStdin = attachStdout = attachStderr = false;
  }
  const tty = flags.bool('tty');

  // Env: env files first, then -e.
  const env: string[] = [];
  for (const f of flags.list('env-file')) env.push(...parseEnvFile(readFile(f), f, opts.env));
  for (const e of flags.list('env')) env.push(expandEnv(e, opts.env));

  const labels: Record<string, string> = {};
  for (const f of flags.list('label-file')) Object.assign(labels, mapOf(parseEnvFile(readFile(f), f)));
  Object.assign(labels, mapOf(flags.list('label')));

  // Ports
  let ports: PortMap;
  try { ports = parsePortSpecs(flags.list('publish')); } catch (err) { throw new Error(`${(err as Error).message}`); }
  for (const e of flags.list('expose')) {
    let raw = e; let proto = 'tcp';
    const slash = raw.lastIndexOf('/');
    if (slash >= 0) { proto = raw.slice(slash + 1); raw = raw.slice(0, slash); }
    const [a, b] = parseRange(raw, 'range format for --expose');
    for (let p = a; p <= b; p++) ports.exposed[`${p}/${proto}`] = {};
  }

  // Volumes
  const binds: string[] = [];
  const volumes: Record<string, object> = {};
  for (const v of flags.list('volume')) {
    const parts = v.split(':');
    if (parts.length === 1) {
      if (!v.startsWith('/')) throw new Error(`invalid volume specification: '${v}': invalid mount config for type "volume": invalid mount path: '${v}' mount path must be absolute`);
      volumes[v] = {};
    } else {
      if (!parts[1]!.startsWith('/')) throw new Error(`invalid volume specification: '${v}'`);
      binds.push(v);
    }
  }
  let mounts: Json[] = [];
  try { mounts = flags.list('mount').map(parseMount); } catch (err) { throw bad(defs.get('mount')!, flags.list('mount').join(','), (err as Error).message); }

  const tmpfs: Record<string, string> = {};
  for (const t of flags.list('tmpfs')) {
    const i = t.indexOf(':');
    tmpfs[i >= 0 ? t.slice(0, i) : t] = i >= 0 ? t.slice(i + 1) : '';
  }

  let ulimits: Json[] | undefined;
  if (flags.has('ulimit')) {
    ulimits = flags.list('ulimit').map((u) => { try { return parseUlimit(u); } catch (err) { throw bad(defs.get('ulimit')!, u, (err as Error).message); } });
  }

  let nanoCpus: number | undefined;
  if (flags.has('cpus')) {
    const v = flags.string('cpus');
    try { nanoCpus = parseNanoCpus(v); } catch (err) { throw bad(defs.get('cpus')!, v, (err as Error).message); }
  }
  let memorySwap: number | undefined;
  if (flags.has('memory-swap')) {
    const v = flags.string('memory-swap');
    memorySwap = v === '-1' ? -1 : bytesFlag(flags, 'memory-swap');
  }

  let restart = { Name: 'no', MaximumRetryCount: 0 };
  try { restart = parseRestart(flags.string('restart')); } catch (err) { throw new Error((err as Error).message); }
  if (flags.bool('rm') && restart.Name !== 'no' && restart.Name !== '') throw new Error('Conflicting options: cannot specify both --restart and --rm');

  const securityOpt = flags.list('security-opt').map((o) => {
    const m = /^seccomp[=:](.*)$/.exec(o);
    if (m && m[1] !== 'unconfined' && m[1] !== 'builtin') {
      const content = readFile(m[1]!);
      try { return `seccomp=${JSON.stringify(JSON.parse(content))}`; } catch (err) { throw new Error(`parsing seccomp profile failed: ${(err as Error).message}`); }
    }
    if (o === 'no-new-privileges') return 'no-new-privileges=true';
    return o;
  });

  for (const h of flags.list('add-host')) {
    const sep = h.includes('=') ? '=' : ':';
    const i = h.indexOf(sep);
    if (i <= 0 || i === h.length - 1) throw bad(defs.get('add-host')!, h, `bad format for add-host: "${h}"`);
  }
  for (const d of flags.list('dns')) {
    if (!/^[0-9.]+$/.test(d) && !d.includes(':')) throw bad(defs.get('dns')!, d, `${d} is not an ip address`);
  }
  const devices = flags.list('device').map((d) => { try { return parseDevice(d); } catch (err) { throw bad(defs.get('device')!, d, (err as Error).message); } });

  // Healthcheck
  let healthcheck: Json | undefined;
  const hcFlags = ['health-cmd', 'health-interval', 'health-timeout', 'health-start-period', 'health-start-interval', 'health-retries'];
  if (flags.bool('no-healthcheck')) {
    if (hcFlags.some((f) => flags.has(f))) throw new Error('--no-healthcheck conflicts with --health-* options');
    healthcheck = { Test: ['NONE'] };
  } else if (hcFlags.some((f) => flags.has(f))) {
    healthcheck = {
      Test: flags.has('health-cmd') ? ['CMD-SHELL', flags.string('health-cmd')] : undefined,
      Interval: durationNs(flags, 'health-interval') ?? 0,
      Timeout: durationNs(flags, 'health-timeout') ?? 0,
      StartPeriod: durationNs(flags, 'health-start-period') ?? 0,
      StartInterval: durationNs(flags, 'health-start-interval') ?? 0,
      Retries: flags.int('health-retries'),
    };
  }

  let entrypoint: string[] | undefined;
  if (flags.has('entrypoint')) entrypoint = [flags.string('entrypoint')];

  const networks = flags.list('network');
  const netMode = networks[0] ?? 'default';
  const endpoint: Json = {};
  if (flags.has('network-alias')) endpoint.Aliases = flags.list('network-alias');
  if (flags.has('ip') || flags.has('ip6') || flags.has('link-local-ip')) {
    endpoint.IPAMConfig = { IPv4Address: flags.string('ip') || undefined, IPv6Address: flags.string('ip6') || undefined, LinkLocalIPs: flags.has('link-local-ip') ? flags.list('link-local-ip') : undefined };
  }
  if (flags.has('mac-address')) endpoint.MacAddress = flags.string('mac-address');
  const endpoints: Record<string, Json> = { [netMode]: endpoint };
  for (const n of networks.slice(1)) endpoints[n] = {};

  const stopTimeout = flags.has('stop-timeout') ? flags.int('stop-timeout') : undefined;
  const swappiness = flags.int('memory-swappiness');
  const blkio = flags.has('blkio-weight') ? Number(flags.string('blkio-weight')) : 0;
  if (!Number.isInteger(blkio) || blkio < 0 || blkio > 65535) throw bad(defs.get('blkio-weight')!, flags.string('blkio-weight'), 'invalid syntax');

  const config: Json = {
    Hostname: flags.string('hostname'),
    Domainname: flags.string('domainname'),
    User: flags.string('user'),
    AttachStdin: attachStdin,
    AttachStdout: attachStdout,
    AttachStderr: attachStderr,
    ExposedPorts: Object.keys(ports.exposed).length ? ports.exposed : undefined,
    Tty: tty,
    OpenStdin: interactive,
    StdinOnce: interactive && attachStdin && !opts.detach,
    Env: env,
    Cmd: cmd.length ? cmd : null,
    Healthcheck: healthcheck,
    Image: image,
    Volumes: Object.keys(volumes).length ? volumes : undefined,
    WorkingDir: flags.string('workdir'),
    Entrypoint: entrypoint ?? null,
    MacAddress: flags.has('mac-address') ? flags.string('mac-address') : undefined,
    OnBuild: null,
    Labels: labels,
    StopSignal: flags.string('stop-signal') || undefined,
    StopTimeout: stopTimeout,
  };

  const hostConfig: Json = {
    Binds: binds.length ? binds : null,
    ContainerIDFile: flags.string('cidfile'),
    LogConfig: { Type: flags.string('log-driver'), Config: mapOf(flags.list('log-opt')) },
    NetworkMode: netMode,
    PortBindings: ports.bindings,
    RestartPolicy: restart,
    AutoRemove: flags.bool('rm'),
    VolumeDriver: flags.string('volume-driver'),
    VolumesFrom: flags.has('volumes-from') ? flags.list('volumes-from') : null,
    ConsoleSize: opts.consoleSize ?? [0, 0],
    Annotations: flags.has('annotation') ? mapOf(flags.list('annotation')) : undefined,
    CapAdd: flags.has('cap-add') ? flags.list('cap-add') : null,
    CapDrop: flags.has('cap-drop') ? flags.list('cap-drop') : null,
    CgroupnsMode: flags.string('cgroupns'),
    Dns: flags.list('dns'),
    DnsOptions: flags.list('dns-option'),
    DnsSearch: flags.list('dns-search'),
    ExtraHosts: flags.has('add-host') ? flags.list('add-host') : null,
    GroupAdd: flags.has('group-add') ? flags.list('group-add') : null,
    IpcMode: flags.string('ipc'),
    Cgroup: '',
    Links: flags.has('link') ? flags.list('link') : null,
    OomScoreAdj: flags.int('oom-score-adj'),
    PidMode: flags.string('pid'),
    Privileged: flags.bool('privileged'),
    PublishAllPorts: flags.bool('publish-all'),
    ReadonlyRootfs: flags.bool('read-only'),
    SecurityOpt: securityOpt.length ? securityOpt : null,
    StorageOpt: flags.has('storage-opt') ? mapOf(flags.list('storage-opt')) : undefined,
    Tmpfs: Object.keys(tmpfs).length ? tmpfs : undefined,
    UTSMode: flags.string('uts'),
    UsernsMode: flags.string('userns'),
    ShmSize: bytesFlag(flags, 'shm-size') ?? 0,
    Sysctls: flags.has('sysctl') ? mapOf(flags.list('sysctl')) : undefined,
    Runtime: flags.string('runtime') || undefined,
    Isolation: flags.string('isolation'),
    Init: flags.has('init') ? flags.bool('init') : undefined,
    // Resources
    CpuShares: flags.int('cpu-shares'),
    Memory: bytesFlag(flags, 'memory') ?? 0,
    NanoCpus: nanoCpus ?? 0,
    CgroupParent: flags.string('cgroup-parent'),
    BlkioWeight: blkio,
    CpuPeriod: flags.int('cpu-period'),
    CpuQuota: flags.int('cpu-quota'),
    CpuRealtimePeriod: flags.int('cpu-rt-period'),
    CpuRealtimeRuntime: flags.int('cpu-rt-runtime'),
    CpusetCpus: flags.string('cpuset-cpus'),
    CpusetMems: flags.string('cpuset-mems'),
    Devices: devices,
    DeviceCgroupRules: flags.list('device-cgroup-rule'),
    KernelMemory: bytesFlag(flags, 'kernel-memory') ?? 0,
    MemoryReservation: bytesFlag(flags, 'memory-reservation') ?? 0,
    MemorySwap: memorySwap ?? 0,
    MemorySwappiness: swappiness === -1 ? null : swappiness,
    OomKillDisable: flags.has('oom-kill-disable') ? flags.bool('oom-kill-disable') : undefined,
    PidsLimit: flags.has('pids-limit') ? flags.int('pids-limit') : undefined,
    Ulimits: ulimits ?? null,
    Mounts: mounts.length ? mounts : undefined,
  };
  if (swappiness !== -1 && (swappiness < 0 || swappiness > 100)) throw new Error(`invalid value: ${swappiness}. Valid memory swappiness range is 0-100`);

  const req: CreateRequest = {
    image: image!,
    body: { ...config, HostConfig: hostConfig, NetworkingConfig: { EndpointsConfig: endpoints } },
  };
  const name = flags.string('name');
  if (name) req.name = name;
  const platform = flags.string('platform');
  if (platform) req.platform = platform;
  return req;
}
