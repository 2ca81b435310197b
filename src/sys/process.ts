import { readFileSync } from 'node:fs';

/** Fields of /proc/PID/stat after the comm field: index 0 is field 3 (state). Undefined when the process is gone. */
function statFields(pid: number): string[] | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // comm may contain spaces and parentheses: split after the last ')'.
  const end = text.lastIndexOf(')');
  if (end < 0) return undefined;
  return text.slice(end + 2).trim().split(' ');
}

/** The one-letter state of /proc/PID/stat (R, S, D, Z, T, X...), or undefined when there is no such process. */
export function processState(pid: number): string | undefined {
  return statFields(pid)?.[0];
}

/**
 * True when the process exists and is not a zombie (or dead). Unlike `kill -0` this is false for a process that
 * has exited but not yet been reaped (PID 1 here reaps orphans only every ~2 s).
 */
export function isAlive(pid: number): boolean {
  const state = processState(pid);
  return state !== undefined && state !== 'Z' && state !== 'X' && state !== 'x';
}

/** Field 22 of /proc/PID/stat (start time in clock ticks since boot): with the pid it identifies a process across PID reuse. */
export function processStartTime(pid: number): number | undefined {
  const f = statFields(pid);
  if (!f || f.length < 20) return undefined;
  const n = Number(f[19]);
  return Number.isFinite(n) ? n : undefined;
}

/** True when `pid` is alive and, if `startTime` is given, is still the same process (not a reused PID). */
export function isSameProcessAlive(pid: number, startTime?: number): boolean {
  if (!isAlive(pid)) return false;
  return startTime === undefined || processStartTime(pid) === startTime;
}
