import { constants } from 'node:os';
import { InvalidArgumentError } from '../base/index.js';

/** Parses 'TERM', 'SIGTERM', 'sigterm', '15' or 15 into a signal number. */
export function parseSignal(signal: string | number): number {
  if (typeof signal === 'number' || /^\d+$/.test(signal)) {
    const n = Number(signal);
    if (!Number.isInteger(n) || n < 1 || n > 64) throw new InvalidArgumentError(`invalid signal: ${signal}`);
    return n;
  }
  let name = signal.trim().toUpperCase();
  if (!name.startsWith('SIG')) name = `SIG${name}`;
  const rt = /^SIGRTMIN(?:\+(\d+))?$/.exec(name) ?? /^SIGRTMAX(?:-(\d+))?$/.exec(name);
  if (rt) {
    const off = Number(rt[1] ?? 0);
    const n = name.startsWith('SIGRTMIN') ? 34 + off : 64 - off;
    if (n < 34 || n > 64) throw new InvalidArgumentError(`invalid signal: ${signal}`);
    return n;
  }
  const n = (constants.signals as Record<string, number>)[name];
  if (n === undefined) throw new InvalidArgumentError(`invalid signal: ${signal}`);
  return n;
}
