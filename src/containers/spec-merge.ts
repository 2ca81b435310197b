import { InvalidArgumentError } from '../base/index.js';
import type { ContainerConfig, HealthConfig, ImageRuntimeConfig } from './docker-types.js';

/**
 * Docker's strslice: the API accepts a JSON string where a list is expected (`"Cmd": "ls"`).
 * null/undefined stay as they are (the difference matters for Entrypoint).
 */
export function toStrSlice(v: unknown): string[] | null | undefined {
  if (v === undefined || v === null) return v as null | undefined;
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) && v.every((s) => typeof s === 'string')) return [...v];
  throw new InvalidArgumentError(`invalid string list: ${JSON.stringify(v)}`);
}

function envKey(e: string): string {
  const i = e.indexOf('=');
  return i < 0 ? e : e.slice(0, i);
}

/**
 * Merges env lists by key: the image's variables keep their order with the user's value replacing the
 * image's in place, then the user's new variables follow. (Docker's own order is user first, then the
 * image's remaining ones; the set of values is the same.)
 */
export function mergeEnv(imageEnv: readonly string[], userEnv: readonly string[]): string[] {
  const userByKey = new Map<string, string>();
  for (const e of userEnv) userByKey.set(envKey(e), e);
  const out: string[] = [];
  const seen = new Set<string>();
  for (const e of imageEnv) {
    const k = envKey(e);
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(userByKey.get(k) ?? e);
  }
  for (const e of userEnv) {
    const k = envKey(e);
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(userByKey.get(k)!);
  }
  return out;
}

function mergeHealthcheck(user: HealthConfig | null | undefined, image: HealthConfig | null | undefined): HealthConfig | null | undefined {
  if (!image) return user;
  if (!user) return { ...image, ...(image.Test ? { Test: [...image.Test] } : {}) };
  const out: HealthConfig = { ...user };
  if (!out.Test || out.Test.length === 0) out.Test = image.Test ? [...image.Test] : out.Test;
  if (!out.Interval) out.Interval = image.Interval ?? out.Interval;
  if (!out.Timeout) out.Timeout = image.Timeout ?? out.Timeout;
  if (!out.StartPeriod) out.StartPeriod = image.StartPeriod ?? out.StartPeriod;
  if (!out.StartInterval) out.StartInterval = image.StartInterval ?? out.StartInterval;
  if (!out.Retries) out.Retries = image.Retries ?? out.Retries;
  return out;
}

function unionSet<T>(image: Record<string, T> | null | undefined, user: Record<string, T> | null | undefined): Record<string, T> | undefined {
  if (!image && !user) return undefined;
  return { ...(image ?? {}), ...(user ?? {}) };
}

/**
 * Applies the image's config to a create request, following Docker's `merge` (daemon/commit.go):
 * - no user Entrypoint and no user Cmd: the image's Cmd;
 * - Entrypoint null/absent: the image's Entrypoint (an explicit `[]` keeps it empty);
 * - a user Entrypoint drops the image's Cmd unless the user also gave one; `[""]` means "no entrypoint";
 * - Env merged by key (user wins), Labels/ExposedPorts/Volumes unioned (user wins);
 * - User, WorkingDir, StopSignal, Shell fall back to the image; Healthcheck fields too.
 * Neither argument is mutated; the result shares no arrays or objects with them.
 * Throws InvalidArgumentError('no command specified') when nothing would run.
 */
export function mergeImageConfig(user: ContainerConfig, image: ImageRuntimeConfig): ContainerConfig {
  const out: ContainerConfig = { ...user };
  const userEntrypoint = toStrSlice(user.Entrypoint);
  const userCmd = toStrSlice(user.Cmd);
  const imageEntrypoint = toStrSlice(image.Entrypoint);
  const imageCmd = toStrSlice(image.Cmd);

  if (user.WorkingDir && !user.WorkingDir.startsWith('/')) {
    throw new InvalidArgumentError(`the working directory '${user.WorkingDir}' is invalid, it needs to be an absolute path`);
  }
  for (const e of user.Env ?? []) {
    if (typeof e !== 'string' || envKey(e) === '') throw new InvalidArgumentError(`invalid environment variable: ${String(e)}`);
  }

  let entrypoint = userEntrypoint;
  let cmd = userCmd;
  if (!entrypoint || entrypoint.length === 0) {
    if (!cmd || cmd.length === 0) {
      cmd = imageCmd ? [...imageCmd] : cmd;
      if (image.ArgsEscaped != null) out.ArgsEscaped = image.ArgsEscaped;
    }
    if (entrypoint == null) entrypoint = imageEntrypoint ? [...imageEntrypoint] : imageEntrypoint;
  }
  // `--entrypoint ""` arrives as [""]: it clears the entrypoint (and, being a user entrypoint, the image's Cmd).
  if (entrypoint && entrypoint.length === 1 && entrypoint[0] === '') entrypoint = null;
  out.Entrypoint = entrypoint && entrypoint.length > 0 ? entrypoint : null;
  out.Cmd = cmd && cmd.length > 0 ? cmd : null;
  if (!out.Entrypoint && !out.Cmd) throw new InvalidArgumentError('no command specified');

  out.Env = mergeEnv(image.Env ?? [], user.Env ?? []);
  out.Labels = { ...(image.Labels ?? {}), ...(user.Labels ?? {}) };
  const ports = unionSet(image.ExposedPorts, user.ExposedPorts);
  if (ports) out.ExposedPorts = ports;
  const vols = unionSet(image.Volumes, user.Volumes);
  if (vols) out.Volumes = vols;
  if (!out.User) out.User = image.User ?? '';
  if (!out.WorkingDir) out.WorkingDir = image.WorkingDir ?? '';
  if (!out.StopSignal && image.StopSignal) out.StopSignal = image.StopSignal;
  if ((!out.Shell || out.Shell.length === 0) && image.Shell && image.Shell.length > 0) out.Shell = [...image.Shell];
  else if (out.Shell) out.Shell = [...out.Shell];
  const hc = mergeHealthcheck(user.Healthcheck, image.Healthcheck);
  if (hc) out.Healthcheck = hc;
  if (out.OnBuild) out.OnBuild = [...out.OnBuild];
  return out;
}
