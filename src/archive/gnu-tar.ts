import { spawn } from 'node:child_process';
import { PassThrough, type Readable } from 'node:stream';
import { InvalidArgumentError, feedChildStdin } from '../base/index.js';

/**
 * GNU tar as a child process, for the container file tools (cp, export, commit). GNU tar is used rather than a
 * TypeScript tar codec because it already gets the hard parts right: hard links within the archive, long names
 * (pax), devices and fifos, numeric owners, sparse files, and on extraction its own guards (`..` members refused,
 * leading `/` stripped, symlinks with absolute or `..` targets created only after every other member so a
 * member can never be written through one). It only ever works inside directories the caller resolved safely.
 */

export interface TarCreateOptions {
  /** Directory the names are relative to. */
  cwd: string;
  /** Members to archive (relative to cwd), in order; passed NUL-separated on stdin, never parsed as options. */
  names: string[];
  /** Directories are archived with their contents unless false. */
  recursive?: boolean;
  /** Extra GNU tar options (e.g. from rebaseTransforms). */
  extra?: string[];
}

/**
 * Starts `tar -c` and returns its output stream. The stream errors (InvalidArgumentError when tar reported a
 * problem) if tar fails; destroying it kills tar.
 */
export function tarCreate(o: TarCreateOptions): Readable {
  const args = [
    '-c', '-f', '-', '-C', o.cwd,
    '--numeric-owner', '--format=posix', '--pax-option=delete=atime,delete=ctime',
    '--xattrs', '--xattrs-include=security.capability', '--xattrs-include=user.*',
    ...(o.recursive === false ? ['--no-recursion'] : []),
    ...(o.extra ?? []),
    '--null', '--verbatim-files-from', '-T', '-',
  ];
  const child = spawn('tar', args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const out = new PassThrough();
  const stderr: Buffer[] = [];
  child.stderr!.on('data', (b: Buffer) => stderr.push(b));
  child.stdin!.on('error', () => undefined);
  child.stdin!.end(o.names.map((n) => `${n}\0`).join(''));
  let failed: Error | undefined;
  child.on('error', (err) => { failed = err; });
  child.stdout!.pipe(out, { end: false });
  let stdoutEnded = false;
  let exit: { code: number | null } | undefined;
  const finish = (): void => {
    if (!stdoutEnded || !exit) return;
    // Exit status 1 is GNU tar's "some files changed while being read" (a live container): the archive is whole.
    if (failed || (exit.code !== 0 && exit.code !== 1)) {
      const msg = Buffer.concat(stderr).toString().trim().split('\n').slice(-3).join('; ');
      out.destroy(new InvalidArgumentError(`archiving failed: ${failed?.message ?? `tar exited ${exit.code}`}${msg ? `: ${msg}` : ''}`));
    } else {
      out.end();
    }
  };
  child.stdout!.on('end', () => { stdoutEnded = true; finish(); });
  child.on('close', (code) => { exit = { code }; stdoutEnded = true; finish(); });
  out.on('close', () => { if (exit === undefined) child.kill('SIGKILL'); });
  return out;
}

export interface TarExtractOptions {
  /** Keep the archive's numeric owners (root only). Default true when running as root. */
  sameOwner?: boolean;
  extra?: string[];
}

/** Extracts an uncompressed tar stream into `dir` (which must exist) with GNU tar. */
export async function tarExtract(src: Readable, dir: string, o: TarExtractOptions = {}): Promise<void> {
  const sameOwner = o.sameOwner ?? process.getuid?.() === 0;
  const args = [
    // 128 KiB records, filled from the pipe (any archive length is fine): a tenth of the read and write calls.
    '-x', '-f', '-', '--blocking-factor=256', '--read-full-records', '-C', dir,
    '--numeric-owner', '-p', sameOwner ? '--same-owner' : '--no-same-owner',
    '--xattrs', '--xattrs-include=*', '--warning=no-unknown-keyword', '--warning=no-timestamp',
    ...(o.extra ?? []),
  ];
  const child = spawn('tar', args, { stdio: ['pipe', 'ignore', 'pipe'] });
  const stderr: Buffer[] = [];
  child.stderr!.on('data', (b: Buffer) => stderr.push(b));
  const exited = new Promise<{ code: number | null; err?: Error }>((resolve) => {
    child.on('error', (err) => resolve({ code: null, err }));
    child.on('close', (code) => resolve({ code }));
  });
  // tar may stop reading after the end-of-archive blocks (exiting before the record padding is read): its exit
  // status decides; only a failing source is an error here.
  let fed: { drain: () => void };
  try {
    fed = await feedChildStdin(src, child.stdin!);
  } catch (err) {
    child.kill('SIGKILL');
    await exited;
    throw err;
  }
  const r = await exited;
  fed.drain();
  if (r.err || r.code !== 0) {
    const msg = Buffer.concat(stderr).toString().trim().split('\n').slice(-5).join('; ');
    throw new InvalidArgumentError(`extracting the archive failed: ${r.err?.message ?? `tar exited ${r.code}`}${msg ? `: ${msg}` : ''}`);
  }
}
