import { ExecError, InvalidArgumentError, execFile } from '../base/index.js';
import { cgroupPids } from '../sys/index.js';

/** `GET /containers/{id}/top` body. */
export interface TopResult { Titles: string[]; Processes: string[][] }

/** Splits on ASCII whitespace only (as moby: unicode spaces in a command stay inside the field). */
function fieldsAscii(s: string): string[] {
  return s.split(/[ \t\n\v\f\r]+/).filter((f) => f !== '');
}

/** moby refuses `-o x=PID` style renames of the PID column (it needs to find it): only `pid=...` is allowed. */
export function validatePsArgs(psArgs: string): void {
  for (const m of psArgs.matchAll(/\s+(\S*)=\s*(PID\S*)/g)) {
    if (m[1] !== 'pid') throw new InvalidArgumentError(`specifying "${m[1]}=${m[2]}" is not allowed`);
  }
}

/**
 * Keeps the rows of `ps` output whose PID is in `pids`. The last column takes the rest of the line (commands
 * with spaces); thread rows (`-` in the PID column, with `ps -T`/`m`) follow the process they belong to.
 */
export function parsePsOutput(output: string, pids: readonly number[]): TopResult {
  const lines = output.split('\n');
  const titles = fieldsAscii(lines[0] ?? '');
  const pidIndex = titles.indexOf('PID');
  if (pidIndex < 0) throw new Error("Couldn't find PID field in ps output");
  const wanted = new Set(pids);
  const processes: string[][] = [];
  const row = (fields: string[]): string[] => [...fields.slice(0, titles.length - 1), fields.slice(titles.length - 1).join(' ')];
  let inContainer = false;
  for (const line of lines.slice(1)) {
    if (!line) continue;
    const fields = fieldsAscii(line);
    const pidField = fields[pidIndex];
    if (pidField === undefined) continue;
    if (pidField === '-') {
      if (inContainer) processes.push(row(fields));
      continue;
    }
    const pid = Number(pidField);
    if (!/^\d+$/.test(pidField)) throw new Error(`Unexpected pid '${pidField}': not a number`);
    inContainer = wanted.has(pid);
    if (inContainer) processes.push(row(fields));
  }
  return { Titles: titles, Processes: processes };
}

/**
 * Runs the host's `ps` with `psArgs` (default `-ef`) restricted to the processes of the cgroup of `initPid`.
 * Like moby it first asks ps for those PIDs only (`-q`), and retries without when ps refuses the combination.
 */
export async function containerTop(initPid: number, psArgs = ''): Promise<TopResult> {
  const argsText = psArgs || '-ef';
  validatePsArgs(argsText);
  const pids = await cgroupPids(initPid);
  const args = argsText.split(' ');
  let out: string;
  try {
    out = (await execFile('ps', [...args, '-q', pids.join(',')])).stdout;
  } catch {
    try {
      out = (await execFile('ps', args)).stdout;
    } catch (err) {
      const first = err instanceof ExecError ? err.result.stderr.split('\n')[0] : undefined;
      throw new Error(`ps: ${first || (err instanceof Error ? err.message : String(err))}`);
    }
  }
  return parsePsOutput(out, pids);
}
