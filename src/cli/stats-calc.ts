import { TYPE_NAME } from './template.js';
import { truncateId } from './format.js';
import { bytesSize, humanSizeWithPrecision } from './units.js';

/** The parts of the daemon's stats JSON the CLI reads (Docker's container.StatsResponse). */
export interface ApiCpuStats {
  cpu_usage?: { total_usage?: number; percpu_usage?: number[] | null };
  system_cpu_usage?: number;
  online_cpus?: number;
}
export interface ApiStats {
  name?: string;
  id?: string;
  cpu_stats?: ApiCpuStats;
  precpu_stats?: ApiCpuStats;
  memory_stats?: { usage?: number; limit?: number; stats?: Record<string, number> | null };
  pids_stats?: { current?: number };
  blkio_stats?: { io_service_bytes_recursive?: { op?: string; value?: number }[] | null };
  networks?: Record<string, { rx_bytes?: number; tx_bytes?: number }> | null;
}

/** One container's figures, as docker's StatsEntry. */
export interface StatsEntry {
  container: string;
  name: string;
  id: string;
  cpuPercentage: number;
  memory: number;
  memoryLimit: number;
  memoryPercentage: number;
  networkRx: number;
  networkTx: number;
  blockRead: number;
  blockWrite: number;
  pidsCurrent: number;
  invalid: boolean;
}

export function emptyEntry(container: string): StatsEntry {
  return {
    container, name: '', id: '', cpuPercentage: 0, memory: 0, memoryLimit: 0, memoryPercentage: 0,
    networkRx: 0, networkTx: 0, blockRead: 0, blockWrite: 0, pidsCurrent: 0, invalid: false,
  };
}

/** Docker's CPU %: the container's CPU time delta over the host's, times the online CPUs. */
export function cpuPercent(prev: ApiCpuStats | undefined, cur: ApiCpuStats | undefined): number {
  const cpuDelta = (cur?.cpu_usage?.total_usage ?? 0) - (prev?.cpu_usage?.total_usage ?? 0);
  const systemDelta = (cur?.system_cpu_usage ?? 0) - (prev?.system_cpu_usage ?? 0);
  let online = cur?.online_cpus ?? 0;
  if (!online) online = cur?.cpu_usage?.percpu_usage?.length ?? 0;
  return systemDelta > 0 && cpuDelta > 0 ? (cpuDelta / systemDelta) * online * 100 : 0;
}

/** Memory in use without the page cache that could be dropped (usage - total_inactive_file on v1, inactive_file on v2). */
export function memUsageNoCache(mem: ApiStats['memory_stats']): number {
  const usage = mem?.usage ?? 0;
  const st = mem?.stats ?? {};
  const v1 = st['total_inactive_file'];
  if (v1 !== undefined && v1 < usage) return usage - v1;
  const v2 = st['inactive_file'] ?? 0;
  if (v2 < usage) return usage - v2;
  return usage;
}

export function blockIo(s: ApiStats['blkio_stats']): [number, number] {
  let read = 0, write = 0;
  for (const e of s?.io_service_bytes_recursive ?? []) {
    const c = (e.op ?? '')[0];
    if (c === 'r' || c === 'R') read += e.value ?? 0;
    else if (c === 'w' || c === 'W') write += e.value ?? 0;
  }
  return [read, write];
}

export function networkIo(n: ApiStats['networks']): [number, number] {
  let rx = 0, tx = 0;
  for (const v of Object.values(n ?? {})) {
    rx += v.rx_bytes ?? 0;
    tx += v.tx_bytes ?? 0;
  }
  return [rx, tx];
}

/** Turns one stats object from the daemon into the row figures. */
export function entryFrom(container: string, v: ApiStats): StatsEntry {
  const memory = memUsageNoCache(v.memory_stats);
  const limit = v.memory_stats?.limit ?? 0;
  const [networkRx, networkTx] = networkIo(v.networks);
  const [blockRead, blockWrite] = blockIo(v.blkio_stats);
  return {
    container,
    name: v.name ?? '',
    id: v.id ?? '',
    cpuPercentage: cpuPercent(v.precpu_stats, v.cpu_stats),
    memory,
    memoryLimit: limit,
    memoryPercentage: limit !== 0 ? (memory / limit) * 100 : 0,
    networkRx, networkTx, blockRead, blockWrite,
    pidsCurrent: v.pids_stats?.current ?? 0,
    invalid: false,
  };
}

export const STATS_DEFAULT_TABLE = 'table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}';
export const STATS_HEADERS: Record<string, string> = {
  Container: 'CONTAINER', Name: 'NAME', ID: 'CONTAINER ID', CPUPerc: 'CPU %', MemUsage: 'MEM USAGE / LIMIT',
  MemPerc: 'MEM %', NetIO: 'NET I/O', BlockIO: 'BLOCK I/O', PIDs: 'PIDS',
};

/** Go's strconv.FormatFloat(v, 'f', 2, 64): exact ties round half to even (JS's toFixed rounds them up). */
export function goFixed2(v: number): string {
  const exact = v.toFixed(20);
  const m = /^(-?\d+)\.(\d\d)5(0+)$/.exec(exact);
  if (!m) return v.toFixed(2);
  const lastEven = Number(m[2]!.slice(-1)) % 2 === 0;
  return lastEven ? `${m[1]}.${m[2]}` : v.toFixed(2);
}

const pct = (v: number): string => `${goFixed2(v)}%`;

/** A `docker stats` row (docker's statsContext): string fields, keys in the order its JSON form has them. */
export function statsRow(e: StatsEntry, trunc: boolean): Record<string, string> {
  const bad = e.invalid;
  const row = {
    BlockIO: bad ? '--' : `${humanSizeWithPrecision(e.blockRead, 3)} / ${humanSizeWithPrecision(e.blockWrite, 3)}`,
    CPUPerc: bad ? '--' : pct(e.cpuPercentage),
    Container: e.container,
    ID: trunc ? truncateId(e.id) : e.id,
    MemPerc: bad ? '--' : pct(e.memoryPercentage),
    MemUsage: bad ? '-- / --' : `${bytesSize(e.memory)} / ${bytesSize(e.memoryLimit)}`,
    Name: e.name.length > 1 ? e.name.replace(/^\//, '') : '--',
    NetIO: bad ? '--' : `${humanSizeWithPrecision(e.networkRx, 3)} / ${humanSizeWithPrecision(e.networkTx, 3)}`,
    PIDs: bad ? '--' : String(e.pidsCurrent),
  };
  Object.defineProperty(row, TYPE_NAME, { value: '*container.statsContext', enumerable: false });
  return row;
}
