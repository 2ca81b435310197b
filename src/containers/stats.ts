import { readFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { processCgroups, readCgroupFile } from '../sys/index.js';

/**
 * `GET /containers/{id}/stats` in Docker's JSON shape (types.StatsJSON), from cgroup v1 files (cpuacct, cpu,
 * memory, pids, blkio), /proc/stat and the container's /proc/PID/net/dev.
 */

const GO_ZERO_TIME = '0001-01-01T00:00:00Z';
/** USER_HZ: cpuacct.stat and /proc/stat count in clock ticks of 1/100 s. */
const NS_PER_TICK = 10_000_000;

export interface CpuStats {
  cpu_usage: { total_usage: number; percpu_usage?: number[]; usage_in_kernelmode: number; usage_in_usermode: number };
  system_cpu_usage?: number;
  online_cpus?: number;
  throttling_data: { periods: number; throttled_periods: number; throttled_time: number };
}

export interface BlkioEntry { major: number; minor: number; op: string; value: number }

export interface NetworkStats {
  rx_bytes: number; rx_packets: number; rx_errors: number; rx_dropped: number;
  tx_bytes: number; tx_packets: number; tx_errors: number; tx_dropped: number;
}

export interface StatsJson {
  read: string;
  preread: string;
  pids_stats: { current?: number; limit?: number };
  blkio_stats: Record<string, BlkioEntry[] | null>;
  num_procs: number;
  storage_stats: Record<string, never>;
  cpu_stats: CpuStats;
  precpu_stats: CpuStats;
  memory_stats: { usage?: number; max_usage?: number; stats?: Record<string, number>; failcnt?: number; limit?: number };
  networks?: Record<string, NetworkStats>;
  name: string;
  id: string;
}

const BLKIO_KEYS = [
  'io_service_bytes_recursive', 'io_serviced_recursive', 'io_queue_recursive', 'io_service_time_recursive',
  'io_wait_time_recursive', 'io_merged_recursive', 'io_time_recursive', 'sectors_recursive',
] as const;

function zeroCpu(): CpuStats {
  return {
    cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 },
    throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 },
  };
}

/** What Docker sends for a container that is not running: only name and id, every number zero. */
export function emptyStats(name: string, id: string): StatsJson {
  return {
    read: GO_ZERO_TIME, preread: GO_ZERO_TIME, pids_stats: {},
    blkio_stats: Object.fromEntries(BLKIO_KEYS.map((k) => [k, null])),
    num_procs: 0, storage_stats: {}, cpu_stats: zeroCpu(), precpu_stats: zeroCpu(), memory_stats: {}, name, id,
  };
}

// ---------------------------------------------------------------- parsers (pure)

function num(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const t = s.trim();
  return /^\d+$/.test(t) ? Number(t) : undefined;
}

/** `key value` lines (memory.stat, cpuacct.stat, cpu.stat) into a map. */
export function parseFlatKeyed(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    const n = num(v);
    if (k && n !== undefined) out[k] = n;
  }
  return out;
}

/** The `cpu` line of /proc/stat: user+nice+system+idle+iowait+irq+softirq ticks, in ns (as moby). */
export function parseSystemCpuUsage(procStat: string): number | undefined {
  const line = procStat.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) return undefined;
  const f = line.trim().split(/\s+/).slice(1, 8).map(Number);
  if (f.length < 7 || f.some((x) => !Number.isFinite(x))) return undefined;
  return f.reduce((a, b) => a + b, 0) * NS_PER_TICK;
}

/** blkio `MAJ:MIN Op value` lines; the `Total` summary line is skipped. */
export function parseBlkio(text: string): BlkioEntry[] {
  const out: BlkioEntry[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\d+):(\d+)\s+(\S+)\s+(\d+)$/.exec(line.trim());
    if (m) out.push({ major: Number(m[1]), minor: Number(m[2]), op: m[3]!, value: Number(m[4]) });
  }
  return out;
}

/** /proc/PID/net/dev into Docker's per-interface stats; the loopback interface is left out (as Docker). */
export function parseNetDev(text: string): Record<string, NetworkStats> {
  const out: Record<string, NetworkStats> = {};
  for (const line of text.split('\n').slice(2)) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim();
    const f = line.slice(colon + 1).trim().split(/\s+/).map(Number);
    if (!name || name === 'lo' || f.length < 16) continue;
    out[name] = {
      rx_bytes: f[0]!, rx_packets: f[1]!, rx_errors: f[2]!, rx_dropped: f[3]!,
      tx_bytes: f[8]!, tx_packets: f[9]!, tx_errors: f[10]!, tx_dropped: f[11]!,
    };
  }
  return out;
}

/** The memory limit Docker shows: the cgroup's, but never above the machine's memory (unlimited = huge). */
export function effectiveMemoryLimit(cgroupLimit: number | undefined, machineMemory: number): number | undefined {
  if (cgroupLimit === undefined) return undefined;
  return machineMemory > 0 && cgroupLimit > machineMemory ? machineMemory : cgroupLimit;
}

// ---------------------------------------------------------------- sampling

/** Reads one sample for the container whose init process is `pid`; undefined when it is gone. */
export async function readStats(pid: number, name: string, id: string): Promise<StatsJson | undefined> {
  const cg = await processCgroups(pid);
  if (!cg) return undefined;
  const f = (ctrl: string, file: string): Promise<string | undefined> => readCgroupFile(cg, ctrl, file);
  const [usage, percpu, cpuacctStat, cpuStat, memUsage, memMax, memFail, memLimit, memStat, pidsCur, pidsMax, blkBytes, blkOps, procStat, netDev] =
    await Promise.all([
      f('cpuacct', 'cpuacct.usage'), f('cpuacct', 'cpuacct.usage_percpu'), f('cpuacct', 'cpuacct.stat'), f('cpu', 'cpu.stat'),
      f('memory', 'memory.usage_in_bytes'), f('memory', 'memory.max_usage_in_bytes'), f('memory', 'memory.failcnt'),
      f('memory', 'memory.limit_in_bytes'), f('memory', 'memory.stat'), f('pids', 'pids.current'), f('pids', 'pids.max'),
      f('blkio', 'blkio.throttle.io_service_bytes_recursive'), f('blkio', 'blkio.throttle.io_serviced_recursive'),
      readFile('/proc/stat', 'utf8').catch(() => undefined), readFile(`/proc/${pid}/net/dev`, 'utf8').catch(() => undefined),
    ]);
  const ticks = parseFlatKeyed(cpuacctStat ?? '');
  const throttle = parseFlatKeyed(cpuStat ?? '');
  const percpuList = (percpu ?? '').trim().split(/\s+/).filter((x) => x !== '').map(Number);
  const cpu: CpuStats = {
    cpu_usage: {
      total_usage: num(usage) ?? 0,
      ...(percpuList.length ? { percpu_usage: percpuList } : {}),
      usage_in_kernelmode: (ticks['system'] ?? 0) * NS_PER_TICK,
      usage_in_usermode: (ticks['user'] ?? 0) * NS_PER_TICK,
    },
    throttling_data: { periods: throttle['nr_periods'] ?? 0, throttled_periods: throttle['nr_throttled'] ?? 0, throttled_time: throttle['throttled_time'] ?? 0 },
  };
  const system = procStat ? parseSystemCpuUsage(procStat) : undefined;
  if (system !== undefined) cpu.system_cpu_usage = system;
  cpu.online_cpus = cpus().length || percpuList.length;
  const limit = effectiveMemoryLimit(num(memLimit), totalmem());
  const bytes = parseBlkio(blkBytes ?? '');
  const ops = parseBlkio(blkOps ?? '');
  const networks = netDev ? parseNetDev(netDev) : {};
  const json: StatsJson = {
    read: new Date().toISOString(),
    preread: GO_ZERO_TIME,
    pids_stats: {
      ...(num(pidsCur) !== undefined ? { current: num(pidsCur)! } : {}),
      ...(num(pidsMax) !== undefined ? { limit: num(pidsMax)! } : {}),
    },
    blkio_stats: {
      ...Object.fromEntries(BLKIO_KEYS.map((k) => [k, null])),
      io_service_bytes_recursive: bytes.length ? bytes : null,
      io_serviced_recursive: ops.length ? ops : null,
    },
    num_procs: 0,
    storage_stats: {},
    cpu_stats: cpu,
    precpu_stats: zeroCpu(),
    memory_stats: {
      ...(num(memUsage) !== undefined ? { usage: num(memUsage)! } : {}),
      ...(num(memMax) !== undefined ? { max_usage: num(memMax)! } : {}),
      stats: parseFlatKeyed(memStat ?? ''),
      ...(num(memFail) !== undefined ? { failcnt: num(memFail)! } : {}),
      ...(limit !== undefined ? { limit } : {}),
    },
    ...(Object.keys(networks).length ? { networks } : {}),
    name,
    id,
  };
  return json;
}

/** What the stats stream needs to know about the container at each tick; undefined once it is removed. */
export interface StatsTarget { id: string; name: string; pid: number; running: boolean }

export interface StatsStreamOptions {
  /** Keep sending one object per interval (default true). */
  stream: boolean;
  /** With stream=false: send the first sample at once instead of waiting for a second one (precpu stays empty). */
  oneShot: boolean;
  signal: AbortSignal;
  /** Sampling interval (ms), 1000 as Docker. */
  intervalMs?: number;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * Docker's stats semantics: a streaming reply sends a sample at once (with empty precpu_stats) and then one per
 * interval, each carrying the previous sample's CPU figures as precpu_stats; stream=false waits for a second
 * sample so CPU percentages can be computed (unless one-shot); a container that is not running yields zeros.
 */
export async function* statsStream(target: () => StatsTarget | undefined, opts: StatsStreamOptions): AsyncGenerator<StatsJson> {
  const interval = opts.intervalMs ?? 1000;
  const first = target();
  if (!first) return;
  if (!first.running && !opts.stream) {
    yield emptyStats(first.name, first.id);
    return;
  }
  let prev: StatsJson | undefined;
  let primed = opts.stream || opts.oneShot;
  for (;;) {
    if (opts.signal.aborted) return;
    const t = target();
    if (!t) return;
    const cur = t.running && t.pid > 0 ? await readStats(t.pid, t.name, t.id) : undefined;
    let out: StatsJson;
    if (!cur) {
      out = emptyStats(t.name, t.id);
      prev = undefined;
    } else {
      out = cur;
      if (prev) {
        out.precpu_stats = prev.cpu_stats;
        out.preread = prev.read;
      }
      prev = cur;
    }
    if (primed) {
      yield out;
      if (!opts.stream) return;
    } else if (cur) {
      primed = true;
    } else {
      yield out;
      return;
    }
    await sleep(interval, opts.signal);
  }
}
