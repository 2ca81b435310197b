import type { Readable, Writable } from 'node:stream';
import type { EngineClient } from '../client/index.js';
import { flagUsages, type FlagDef, type ParsedFlags } from './flags.js';

/** Everything a command needs: streams, environment and a lazily created client. */
export interface Ctx {
  stdout: Writable & { isTTY?: boolean; columns?: number; rows?: number };
  stderr: Writable & { isTTY?: boolean };
  stdin: Readable & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  env: NodeJS.ProcessEnv;
  /** The full command path, e.g. `berth container ls`. */
  path: string;
  client(): EngineClient;
  /** Installs a process signal handler; returns the remover. Tests replace it. */
  onSignal?(signal: NodeJS.Signals, handler: () => void): () => void;
}

export interface ArgSpec { min?: number; max?: number }

/** The implementation of one leaf command (lives in a lazily imported module). */
export interface CommandImpl {
  flags: FlagDef[];
  args?: ArgSpec;
  /** false: flags stop at the first positional (run, create, exec). */
  interspersed?: boolean;
  run(ctx: Ctx, flags: ParsedFlags, args: string[]): Promise<number>;
}

/** A node of the command tree. Leaves name the module and key of their implementation. */
export interface CommandSpec {
  name: string;
  aliases?: string[];
  /** Usage after the command path, e.g. `[OPTIONS] IMAGE [COMMAND] [ARG...]`. */
  use: string;
  short: string;
  /** The description `--help` shows when it differs from `short` (docker's Long). */
  long?: string;
  /** `docker container ls, docker ps`-style alias line (full paths without the `berth ` prefix). */
  aliasLine?: string[];
  load?: () => Promise<Record<string, CommandImpl>>;
  impl?: string;
  subcommands?: CommandSpec[];
  group?: 'common' | 'management' | 'other';
  hidden?: boolean;
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

/** `Usage:  berth run [OPTIONS] IMAGE...` line text (without the `Usage:  ` prefix). */
export function useLine(path: string, spec: CommandSpec): string {
  return spec.subcommands ? `${path} COMMAND` : `${path}${spec.use ? ' ' + spec.use : ''}`;
}

/** Help text for a leaf command, docker's usage template. */
export function leafHelp(path: string, spec: CommandSpec, impl: CommandImpl): string {
  let out = `Usage:  ${useLine(path, spec)}\n\n${spec.long ?? spec.short}\n`;
  if (spec.aliasLine?.length) out += `\nAliases:\n  ${spec.aliasLine.map((a) => `berth ${a}`).join(', ')}\n`;
  const visible = impl.flags.filter((f) => !f.hidden);
  if (visible.length) out += `\nOptions:\n${flagUsages(visible).replace(/\s+$/, '')}\n`;
  return out;
}

/** Help text for a command group (`berth container`). */
export function groupHelp(path: string, spec: CommandSpec): string {
  let out = `Usage:  ${path} COMMAND\n\n${spec.short}\n\nCommands:\n`;
  const subs = [...(spec.subcommands ?? [])].filter((s) => !s.hidden).sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const s of subs) out += `  ${pad(s.name, 11)} ${s.short}\n`;
  out += `\nRun '${path} COMMAND --help' for more information on a command.\n`;
  return out;
}

/**
 * Validates the positional count like docker's cli.RequiresMinArgs & co; returns the error text or undefined.
 * `see`: docker's RequiresMinArgs ends with "See '... --help'", the others with "Run '... --help'".
 */
export function checkArgs(path: string, spec: ArgSpec | undefined, n: number): { text: string; see: boolean } | undefined {
  if (!spec) return undefined;
  const plural = (k: number) => (k === 1 ? 'argument' : 'arguments');
  const { min, max } = spec;
  const run = (text: string) => ({ text, see: false });
  if (min === undefined && max === 0) return n > 0 ? run(`'${path}' accepts no arguments`) : undefined;
  if (min !== undefined && max !== undefined && min === max) return n !== min ? run(`'${path}' requires ${min} ${plural(min)}`) : undefined;
  if (min !== undefined && max !== undefined) return n < min || n > max ? run(`'${path}' requires at least ${min} and at most ${max} ${plural(max)}`) : undefined;
  if (min !== undefined && n < min) return { text: `'${path}' requires at least ${min} ${plural(min)}`, see: true };
  if (max !== undefined && n > max) return run(`'${path}' requires at most ${max} ${plural(max)}`);
  return undefined;
}

/** docker's shared --format usage text (with or without the table lines). */
export function formatUsage(table: boolean): string {
  const lines = [
    ...(table ? [
      "'table':            Print output in table format with column headers (default)",
      "'table TEMPLATE':   Print output in table format using the given Go template",
    ] : []),
    "'json':             Print in JSON format",
    "'TEMPLATE':         Print output using the given Go template.",
    'Refer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates',
  ];
  return 'Format output using a custom template:\n' + lines.join('\n');
}

/** Writes text and waits until it is flushed (so process exit does not cut output). */
export function write(stream: Writable, text: string): Promise<void> {
  return new Promise((resolve) => {
    if (!text) { resolve(); return; }
    if (stream.write(text)) resolve();
    else stream.once('drain', () => resolve());
  });
}
