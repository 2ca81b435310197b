import { demuxStream, copyStream } from '../../client/index.js';
import type { CommandImpl } from '../command.js';
import { parseGoDuration } from '../units.js';

const enc = encodeURIComponent;

/**
 * docker's timestamp.GetTimestamp: RFC3339 (with or without zone/fraction), unix `sec[.nanos]`, or a Go
 * duration relative to `now` (`10m` = ten minutes ago). Returns `<sec>.<nanos>` (9 digits) or the unix value.
 */
export function toApiTimestamp(value: string, now: number = Date.now()): string {
  if (/^-?\d+(\.\d+)?$/.test(value)) {
    const [s, f = ''] = value.split('.');
    return f ? `${s}.${f.padEnd(9, '0').slice(0, 9)}` : s!;
  }
  let ms: number | undefined;
  let nanos = 0;
  try {
    const d = parseGoDuration(value);
    ms = now - d;
  } catch {
    const m = /^(\d{4}-\d{2}-\d{2})(?:T(\d{2}(?::\d{2}(?::\d{2})?)?)(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$/.exec(value);
    if (!m) throw new Error(`failed to parse value as time or duration: "${value}"`);
    let time = m[2] ?? '00:00:00';
    if (time.length === 2) time += ':00:00';
    else if (time.length === 5) time += ':00';
    const frac = m[3] ? m[3].slice(1) : '';
    const zone = m[4] ?? '';
    // docker treats a time without zone as local time
    const base = Date.parse(`${m[1]}T${time}${zone}`);
    if (Number.isNaN(base)) throw new Error(`failed to parse value as time or duration: "${value}"`);
    ms = base;
    nanos = Number(frac.padEnd(9, '0').slice(0, 9) || '0');
  }
  const totalNs = BigInt(Math.round(ms * 1e6)) + BigInt(nanos);
  const sec = totalNs / 1000000000n;
  const ns = totalNs % 1000000000n;
  return `${sec}.${String(ns).padStart(9, '0')}`;
}

export const commands: Record<string, CommandImpl> = {
  logs: {
    flags: [
      { name: 'details', kind: 'bool', usage: 'Show extra details provided to logs' },
      { name: 'follow', short: 'f', kind: 'bool', usage: 'Follow log output' },
      { name: 'since', kind: 'string', usage: 'Show logs since timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)' },
      { name: 'tail', short: 'n', kind: 'string', usage: 'Number of lines to show from the end of the logs', defaultText: '"all"', default: 'all' },
      { name: 'timestamps', short: 't', kind: 'bool', usage: 'Show timestamps' },
      { name: 'until', kind: 'string', usage: 'Show logs before a timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)' },
    ],
    args: { min: 1, max: 1 },
    async run(ctx, flags, args) {
      const client = ctx.client();
      const name = args[0]!;
      const info = await client.json<{ Id?: string; Config?: { Tty?: boolean } }>('GET', `/containers/${enc(name)}/json`);
      const since = flags.string('since');
      const until = flags.string('until');
      const stamp = (what: string, v: string): string | undefined => {
        if (!v) return undefined;
        try { return toApiTimestamp(v); } catch (err) { throw new Error(`invalid value for "${what}": ${(err as Error).message}`); }
      };
      const sinceTs = stamp('since', since);
      const untilTs = stamp('until', until);
      const res = await client.request('GET', `/containers/${enc(info?.Id || name)}/logs`, {
        query: {
          stdout: '1', stderr: '1',
          since: sinceTs,
          until: untilTs,
          timestamps: flags.bool('timestamps') ? '1' : undefined,
          follow: flags.bool('follow') ? '1' : undefined,
          tail: flags.string('tail'),
          details: flags.bool('details') ? '1' : undefined,
        },
      });
      if (info?.Config?.Tty) await copyStream(res, ctx.stdout);
      else await demuxStream(res, ctx.stdout, ctx.stderr);
      return 0;
    },
  },
};
