import { spawn, type SpawnOptions } from 'node:child_process';

export interface ExecResult { code: number; signal: NodeJS.Signals | null; stdout: string; stderr: string }

export class ExecError extends Error {
  constructor(readonly cmd: string, readonly args: readonly string[], readonly result: ExecResult) {
    super(`${cmd} ${args.join(' ')}: exit ${result.code}${result.stderr ? `: ${result.stderr.trim()}` : ''}`);
    this.name = 'ExecError';
  }
}

/** Runs a program to completion and collects its output. Rejects with ExecError on a non-zero exit unless `allowFail`. */
export function execFile(
  cmd: string,
  args: readonly string[],
  opts: SpawnOptions & { input?: string | Buffer; allowFail?: boolean } = {},
): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...opts, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (b: Buffer) => out.push(b));
    child.stderr!.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const result = { code: code ?? 128, signal, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
      if (result.code !== 0 && !opts.allowFail) reject(new ExecError(cmd, args, result));
      else resolve(result);
    });
    child.stdin!.on('error', () => undefined);
    child.stdin!.end(opts.input ?? '');
  });
}
