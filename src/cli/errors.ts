import { ApiError, ConnectionError } from '../client/index.js';
import { FlagError } from './flags.js';

/** An error carrying the CLI's exit status (docker's cli.StatusError). The message is printed as is. */
export class StatusError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
    this.name = 'StatusError';
  }
}

/** A usage error (wrong argument count...), printed with the command's usage line. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The text the docker CLI shows for an error: daemon errors get "Error response from daemon: ". */
export function errorText(err: unknown): string {
  if (err instanceof ApiError) return `Error response from daemon: ${err.message}`;
  if (err instanceof Error) return err.message;
  return String(err);
}

/**
 * The exit status for an error from `run`/`start` (docker's toStatusError): 127 when the command was not found,
 * 126 when it could not be executed, 125 otherwise.
 */
export function runExitCode(err: unknown): number {
  if (err instanceof ConnectionError) return 125;
  const msg = errorText(err);
  if (msg.includes('executable file not found') || msg.includes('no such file or directory') || msg.includes('system cannot find the file specified')) return 127;
  if (msg.includes('permission denied') || msg.includes('is a directory')) return 126;
  return 125;
}

/** Wraps an error of `berth run`/`create` the way docker 28 does: prefix, help hint, 125/126/127. */
export function runStatusError(err: unknown, command: string): StatusError {
  if (err instanceof StatusError) return err;
  // A flag value pflag would have refused while parsing (`--memory x`): docker's flag error shape.
  if (err instanceof FlagError) {
    return new StatusError(125, `${err.message}\n\nUsage:  berth ${command} [OPTIONS] IMAGE [COMMAND] [ARG...]\n\nRun 'berth ${command} --help' for more information`);
  }
  return new StatusError(runExitCode(err), `berth: ${errorText(err)}\n\nRun 'berth ${command} --help' for more information`);
}

/** Exit status for an error reaching the top level. */
export function exitCodeOf(err: unknown): number {
  if (err instanceof StatusError) return err.status;
  return 1;
}
