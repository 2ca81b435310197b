import type { IncomingMessage } from 'node:http';
import { readJsonLines, type EngineClient } from '../../client/index.js';
import type { CommandImpl, Ctx } from '../command.js';
import { formatUsage, write } from '../command.js';
import { StatusError, errorText } from '../errors.js';
import { parseFilters, filtersQuery } from '../filters.js';
import { renderRows } from '../format.js';
import { Template, TemplateError, TYPE_NAME } from '../template.js';
import { STATS_DEFAULT_TABLE, STATS_HEADERS, emptyEntry, entryFrom, statsRow, type ApiStats, type StatsEntry } from '../stats-calc.js';
import { toApiTimestamp } from './logs.js';

const enc = encodeURIComponent;

// ---------------------------------------------------------------- stats

/** One container being watched: its latest figures and the request feeding them. */
class Watched {
  entry: StatsEntry;
  error: unknown;
  private res: IncomingMessage | undefined;
  private closed = false;
  constructor(readonly container: string) {
    this.entry = emptyEntry(container);
  }

  /**
   * Reads the container's stats (as docker's collect): resolves after the first sample, an error, or 2 s without
   * one (then the row shows `--`); when streaming it keeps updating in the background.
   */
  start(client: EngineClient, stream: boolean): Promise<void> {
    return new Promise<void>((resolveFirst) => {
      let timer: NodeJS.Timeout | undefined;
      const arm = (): void => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          this.entry = { ...emptyEntry(this.container), name: this.entry.name, id: this.entry.id, invalid: true };
          this.error = new Error('timeout waiting for stats');
          resolveFirst();
          if (stream && !this.closed) arm();
        }, 2000);
      };
      const run = async (): Promise<void> => {
        try {
          const res = await client.request('GET', `/containers/${enc(this.container)}/stats`, { query: { stream: stream ? '1' : '0' } });
          this.res = res;
          if (this.closed) res.destroy();
          arm();
          for await (const v of readJsonLines<ApiStats>(res)) {
            this.entry = entryFrom(this.container, v);
            this.error = undefined;
            resolveFirst();
            if (!stream) break;
            arm();
          }
        } catch (err) {
          if (!this.closed) {
            this.error = err;
            this.entry = { ...this.entry, invalid: true };
          }
        } finally {
          clearTimeout(timer);
          resolveFirst();
        }
      };
      void run();
    });
  }

  close(): void {
    this.closed = true;
    this.res?.destroy();
  }
}

interface ApiEvent {
  status?: string; id?: string; from?: string; Type: string; Action: string;
  Actor: { ID: string; Attributes?: Record<string, string> | null }; scope?: string; time?: number; timeNano?: number;
}

async function runStats(ctx: Ctx, flags: import('../flags.js').ParsedFlags, names: string[]): Promise<number> {
  const client = ctx.client();
  const all = flags.bool('all');
  const stream = !flags.bool('no-stream');
  const trunc = !flags.bool('no-trunc');
  const format = flags.string('format') || 'table';
  const watched: Watched[] = [];
  const add = (ref: string): Promise<void> | undefined => {
    if (watched.some((w) => w.container === ref || (w.entry.id && w.entry.id === ref))) return undefined;
    const w = new Watched(ref);
    watched.push(w);
    return w.start(client, stream);
  };
  const remove = (id: string): void => {
    const i = watched.findIndex((w) => w.container === id || w.entry.id === id);
    if (i >= 0) watched.splice(i, 1)[0]!.close();
  };
  let events: IncomingMessage | undefined;
  const showAll = names.length === 0;
  try {
    if (showAll) {
      if (stream) {
        // Subscribe before listing so a container started in between is not missed (as docker).
        events = await client.request('GET', '/events', { query: { filters: filtersQuery({ type: { container: true } }) } });
        const ev = events;
        void (async () => {
          try {
            for await (const e of readJsonLines<ApiEvent>(ev)) {
              if (e.Action === 'start' || (all && e.Action === 'create')) void add(e.Actor.ID);
              else if (e.Action === 'destroy' || (!all && e.Action === 'die')) remove(e.Actor.ID);
            }
          } catch { /* stream closed */ }
        })();
      }
      const list = await client.get<{ Id: string }[]>('/containers/json', { all: all ? '1' : undefined });
      await Promise.all((list ?? []).map((c) => add(c.Id)));
    } else {
      await Promise.all(names.map((n) => add(n)));
      const errs = watched.filter((w) => w.error !== undefined).map((w) => errorText(w.error));
      if (errs.length) throw new StatusError(1, errs.join('\n'));
    }
    const render = (): string => renderRows({ format, defaultTable: STATS_DEFAULT_TABLE, headers: STATS_HEADERS }, watched.map((w) => statsRow(w.entry, trunc)));
    if (!stream) {
      if (watched.length) await write(ctx.stdout, render());
      return 0;
    }
    for (;;) {
      await new Promise((r) => setTimeout(r, 500));
      if (watched.length === 0 && !showAll) {
        await write(ctx.stdout, '\x1b[H\x1b[J');
        return 0;
      }
      const lines = render().split('\n');
      await write(ctx.stdout, `\x1b[H${lines.map((l) => `${l}\x1b[K`).join('\n')}\n\x1b[J`);
    }
  } finally {
    events?.destroy();
    for (const w of watched) w.close();
  }
}

// ---------------------------------------------------------------- events

const RFC3339_PAD = (ns: bigint): string => {
  const ms = Number(ns / 1_000_000n);
  const d = new Date(ms);
  const off = -d.getTimezoneOffset();
  const local = new Date(ms + off * 60_000);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  const frac = String(((ns % 1_000_000_000n) + 1_000_000_000n) % 1_000_000_000n).padStart(9, '0');
  const zone = off === 0 ? 'Z' : `${off > 0 ? '+' : '-'}${p(Math.floor(Math.abs(off) / 60))}:${p(Math.abs(off) % 60)}`;
  return `${local.getUTCFullYear()}-${p(local.getUTCMonth() + 1)}-${p(local.getUTCDate())}T${p(local.getUTCHours())}:${p(local.getUTCMinutes())}:${p(local.getUTCSeconds())}.${frac}${zone}`;
};

/** docker's prettyPrintEvent: `TIME TYPE ACTION ID (k=v, ...)`, attributes sorted by key. */
export function prettyEvent(e: ApiEvent, exactTimeNano?: string): string {
  let out = '';
  if (exactTimeNano && exactTimeNano !== '0') out += `${RFC3339_PAD(BigInt(exactTimeNano))} `;
  else if (e.timeNano) out += `${RFC3339_PAD(BigInt(Math.round(e.timeNano)))} `;
  else if (e.time) out += `${RFC3339_PAD(BigInt(e.time) * 1_000_000_000n)} `;
  out += `${e.Type} ${e.Action} ${e.Actor.ID}`;
  const attrs = e.Actor.Attributes ?? {};
  const keys = Object.keys(attrs).sort();
  if (keys.length) out += ` (${keys.map((k) => `${k}=${attrs[k]}`).join(', ')})`;
  return out + '\n';
}

/** The event as a Go events.Message for templates (`.ID`, `.Status`, `.Actor.Attributes`); `json` gives the wire form. */
function messageOf(e: ApiEvent): object {
  const actor = { ID: e.Actor.ID, Attributes: e.Actor.Attributes ?? {} };
  Object.defineProperty(actor, TYPE_NAME, { value: 'events.Actor', enumerable: false });
  const m = {
    Status: e.status ?? '', ID: e.id ?? '', From: e.from ?? '', Type: e.Type, Action: e.Action, Actor: actor,
    Scope: e.scope ?? '', Time: e.time ?? 0, TimeNano: e.timeNano ?? 0,
  };
  Object.defineProperty(m, TYPE_NAME, { value: '*events.Message', enumerable: false });
  Object.defineProperty(m, 'toJSON', { value: () => e, enumerable: false });
  return m;
}

async function runEvents(ctx: Ctx, flags: import('../flags.js').ParsedFlags): Promise<number> {
  let format = flags.string('format');
  let tmpl: Template | undefined;
  if (format) {
    if (format === 'json') format = '{{json .}}';
    try {
      tmpl = new Template(format);
      tmpl.execute(messageOf({ Type: '', Action: '', Actor: { ID: '' } }));
    } catch (err) {
      if (err instanceof TemplateError) throw new StatusError(64, `Error parsing format: ${err.message}`);
      throw err;
    }
  }
  const since = flags.string('since');
  const until = flags.string('until');
  const filters = parseFilters(flags.list('filter'));
  const res = await ctx.client().request('GET', '/events', {
    query: {
      since: since ? toApiTimestamp(since) : undefined,
      until: until ? toApiTimestamp(until) : undefined,
      filters: filtersQuery(filters),
    },
  });
  try {
    let rest = '';
    const dec = new TextDecoder();
    for await (const chunk of res as AsyncIterable<Buffer>) {
      rest += dec.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = rest.indexOf('\n')) >= 0) {
        const line = rest.slice(0, nl).trim();
        rest = rest.slice(nl + 1);
        if (!line) continue;
        const e = JSON.parse(line) as ApiEvent;
        // timeNano exceeds a double's precision: keep the digits as sent (Go decodes them exactly).
        const exact = /"timeNano":\s*(\d+)/.exec(line)?.[1];
        await write(ctx.stdout, tmpl ? tmpl.execute(messageOf(e)) + '\n' : prettyEvent(e, exact));
      }
    }
  } finally {
    res.destroy();
  }
  return 0;
}

// ---------------------------------------------------------------- port

/** Go's net.JoinHostPort. */
function joinHostPort(host: string, port: string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** sortorder.NaturalLess: digit runs compare as numbers. */
export function naturalLess(a: string, b: string): boolean {
  const re = /(\d+|\D+)/g;
  const pa = a.match(re) ?? [];
  const pb = b.match(re) ?? [];
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i]!, y = pb[i]!;
    if (x === y) continue;
    const dx = /^\d/.test(x), dy = /^\d/.test(y);
    if (dx && dy) {
      const nx = BigInt(x), ny = BigInt(y);
      if (nx !== ny) return nx < ny;
      return x.length < y.length;
    }
    return x < y;
  }
  return pa.length < pb.length;
}

type PortMap = Record<string, { HostIp?: string; HostPort?: string }[] | null> | null | undefined;

/** `docker port` lines for an inspect's NetworkSettings.Ports (all, or one private port). */
export function portLines(ports: PortMap, container: string, want?: string): string[] {
  const out: string[] = [];
  if (want !== undefined) {
    const [port = '', proto = 'tcp'] = want.split('/', 2) as [string, string?];
    if (!/^\d+$/.test(port) || Number(port) > 65535) {
      throw new StatusError(1, `Error: invalid port (${port}): strconv.ParseUint: parsing ${JSON.stringify(port)}: ${/^\d+$/.test(port) ? 'value out of range' : 'invalid syntax'}`);
    }
    const fronts = ports?.[`${port}/${proto || 'tcp'}`];
    if (!fronts?.length) throw new StatusError(1, `Error: No public port '${want}' published for ${container}`);
    for (const f of fronts) out.push(joinHostPort(f.HostIp ?? '', f.HostPort ?? ''));
  } else {
    for (const [from, fronts] of Object.entries(ports ?? {})) {
      for (const f of fronts ?? []) out.push(`${from} -> ${joinHostPort(f.HostIp ?? '', f.HostPort ?? '')}`);
    }
  }
  return out.sort((a, b) => (naturalLess(a, b) ? -1 : naturalLess(b, a) ? 1 : 0));
}

export const commands: Record<string, CommandImpl> = {
  stats: {
    flags: [
      { name: 'all', short: 'a', kind: 'bool', usage: 'Show all containers (default shows just running)' },
      { name: 'format', kind: 'string', usage: formatUsage(true) },
      { name: 'no-stream', kind: 'bool', usage: 'Disable streaming stats and only pull the first result' },
      { name: 'no-trunc', kind: 'bool', usage: 'Do not truncate output' },
    ],
    run: (ctx, flags, args) => runStats(ctx, flags, args),
  },
  events: {
    flags: [
      { name: 'filter', short: 'f', kind: 'list', typeName: 'filter', usage: 'Filter output based on conditions provided' },
      { name: 'format', kind: 'string', usage: formatUsage(false) },
      { name: 'since', kind: 'string', usage: 'Show all events created since timestamp' },
      { name: 'until', kind: 'string', usage: 'Stream events until this timestamp' },
    ],
    args: { max: 0 },
    run: (ctx, flags) => runEvents(ctx, flags),
  },
  port: {
    flags: [],
    args: { min: 1, max: 2 },
    async run(ctx, _flags, args) {
      const [name, want] = args as [string, string?];
      const c = await ctx.client().json<{ NetworkSettings?: { Ports?: PortMap } }>('GET', `/containers/${enc(name)}/json`);
      const lines = portLines(c.NetworkSettings?.Ports, name, want);
      if (lines.length) await write(ctx.stdout, lines.join('\n') + '\n');
      return 0;
    },
  },
};
