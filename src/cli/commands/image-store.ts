import { createReadStream, createWriteStream } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import type { CommandImpl, Ctx } from '../command.js';
import { formatUsage, write } from '../command.js';
import { StatusError } from '../errors.js';
import { errorMessage, parsePlatformSpecifier } from '../../base/index.js';
import { parseFilters, filtersQuery, validateFilter } from '../filters.js';
import {
  IMAGE_HEADERS, PS_HEADERS, containerRow, ellipsis, familiarName, renderRows, splitRepoTag, truncateId,
  type ApiContainer, type ApiImage,
} from '../format.js';
import { displayJsonMessages } from '../progress.js';
import { humanDuration, humanSize, humanSizeWithPrecision } from '../units.js';
import { TYPE_NAME } from '../template.js';

/** Marks a row as a Go formatter context (`{{json .}}` escapes HTML like json.Marshal); keys must be sorted. */
function typed<T extends object>(obj: T, name: string): T {
  Object.defineProperty(obj, TYPE_NAME, { value: name, enumerable: false });
  return obj;
}

const enc = encodeURIComponent;

// ---------------- history ----------------

interface ApiHistory { Id: string; Created: number; CreatedBy: string; Tags: string[] | null; Size: number; Comment: string }

const HISTORY_TABLE = 'table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}';
const HISTORY_TABLE_NON_HUMAN = 'table {{.ID}}\t{{.CreatedAt}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}';
const HISTORY_HEADERS = { ID: 'IMAGE', CreatedSince: 'CREATED', CreatedAt: 'CREATED AT', CreatedBy: 'CREATED BY', Size: 'SIZE', Comment: 'COMMENT' };

/** Go's time.Format(time.RFC3339) in local time. */
export function rfc3339Local(unixSeconds: number): string {
  const d = new Date(unixSeconds * 1000);
  const p = (n: number) => String(n).padStart(2, '0');
  const off = -d.getTimezoneOffset();
  const zone = off === 0 ? 'Z' : `${off > 0 ? '+' : '-'}${p(Math.floor(Math.abs(off) / 60))}:${p(Math.abs(off) % 60)}`;
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}${zone}`;
}

/** docker's historyContext fields, as strings. */
export function historyRow(h: ApiHistory, o: { trunc: boolean; human: boolean; now?: number }): Record<string, string> {
  const now = o.now ?? Date.now();
  const createdAt = rfc3339Local(h.Created);
  const createdBy = h.CreatedBy.replaceAll('\t', ' ');
  return typed({
    Comment: h.Comment,
    CreatedAt: createdAt,
    CreatedBy: o.trunc ? ellipsis(createdBy, 45) : createdBy,
    CreatedSince: !o.human ? createdAt : h.Created <= 0 ? 'N/A' : `${humanDuration(now - h.Created * 1000)} ago`,
    ID: o.trunc ? truncateId(h.Id) : h.Id,
    Size: o.human ? humanSizeWithPrecision(h.Size, 3) : String(h.Size),
  }, '*image.historyContext');
}

// ---------------- system df ----------------

interface ApiDiskUsage {
  LayersSize?: number;
  Images?: ApiImage[] | null;
  Containers?: ApiContainer[] | null;
  Volumes?: Array<{ Name: string; UsageData?: { Size: number; RefCount: number } | null }> | null;
  BuildCache?: Array<{ Size: number; Shared?: boolean; InUse?: boolean }> | null;
}

const DF_TABLE = 'table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}';
const DF_HEADERS = { Type: 'TYPE', TotalCount: 'TOTAL', Active: 'ACTIVE', Size: 'SIZE', Reclaimable: 'RECLAIMABLE' };
const DF_IMAGE_TABLE = 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}\t{{.SharedSize}}\t{{.UniqueSize}}\t{{.Containers}}';
const DF_CONTAINER_TABLE = 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.LocalVolumes}}\t{{.Size}}\t{{.RunningFor}}\t{{.Status}}\t{{.Names}}';
const DF_VOLUME_TABLE = 'table {{.Name}}\t{{.Links}}\t{{.Size}}';
const DF_CACHE_TABLE = 'table {{.ID}}\t{{.CacheType}}\t{{.Size}}\t{{.CreatedSince}}\t{{.LastUsedSince}}\t{{.UsageCount}}\t{{.Shared}}';

function withPercent(reclaimable: number, total: number): string {
  return total > 0 ? `${humanSize(reclaimable)} (${Math.trunc((reclaimable * 100) / total)}%)` : humanSize(reclaimable);
}

/** The four summary rows of `docker system df` (docker's diskUsage*Context). */
export function diskUsageRows(du: ApiDiskUsage): Array<Record<string, string>> {
  const images = du.Images ?? [];
  const total = du.LayersSize ?? 0;
  let used = 0;
  for (const i of images) {
    if ((i.Containers ?? 0) !== 0 && (i.Size ?? -1) !== -1 && (i.SharedSize ?? -1) !== -1) used += (i.Size ?? 0) - (i.SharedSize ?? 0);
  }
  const containers = du.Containers ?? [];
  const active = (c: ApiContainer): boolean => c.State === 'running' || c.State === 'paused' || c.State === 'restarting';
  let cSize = 0, cReclaim = 0;
  for (const c of containers) {
    cSize += c.SizeRw ?? 0;
    if (!active(c)) cReclaim += c.SizeRw ?? 0;
  }
  const volumes = du.Volumes ?? [];
  let vSize = 0, vReclaim = 0;
  for (const v of volumes) {
    const s = v.UsageData?.Size ?? -1;
    if (s !== -1) vSize += s;
    if ((v.UsageData?.RefCount ?? 0) === 0 && s !== -1) vReclaim += s;
  }
  const cache = du.BuildCache ?? [];
  let bSize = 0, bReclaim = 0;
  for (const b of cache) {
    if (!b.Shared) bSize += b.Size;
    if (!b.Shared && !b.InUse) bReclaim += b.Size;
  }
  const row = (Type: string, TotalCount: string, Active: string, Size: string, Reclaimable: string) => typed({ Active, Reclaimable, Size, TotalCount, Type }, '*formatter.diskUsageContext');
  return [
    row('Images', String(images.length), String(images.filter((i) => (i.Containers ?? 0) > 0).length), humanSize(total), withPercent(total - used, total)),
    row('Containers', String(containers.length), String(containers.filter(active).length), humanSize(cSize), withPercent(cReclaim, cSize)),
    row('Local Volumes', String(volumes.length), String(volumes.filter((v) => (v.UsageData?.RefCount ?? 0) > 0).length), humanSize(vSize), withPercent(vReclaim, vSize)),
    row('Build Cache', String(cache.length), String(cache.filter((b) => b.InUse).length), humanSize(bSize), humanSize(bReclaim)),
  ];
}

/** The per-image rows of `docker system df -v`: one per image, its first tag. */
export function diskUsageImageRows(images: readonly ApiImage[], trunc: boolean, now = Date.now()): Array<Record<string, string>> {
  return images.map((img) => {
    let repo = '<none>';
    let tag = '<none>';
    const first = (img.RepoTags ?? []).find((t) => t !== '<none>:<none>');
    if (first) {
      const [r, t] = splitRepoTag(first);
      if (t) { repo = familiarName(r); tag = t; }
    }
    const size = img.Size ?? 0;
    const shared = img.SharedSize ?? -1;
    const created = img.Created ?? 0;
    return typed({
      Containers: (img.Containers ?? -1) === -1 ? 'N/A' : String(img.Containers),
      CreatedSince: `${humanDuration(now - created * 1000)} ago`,
      ID: trunc ? truncateId(img.Id) : img.Id,
      Repository: repo,
      SharedSize: shared === -1 ? 'N/A' : humanSize(shared),
      Size: humanSizeWithPrecision(size, 3),
      Tag: tag,
      UniqueSize: shared === -1 ? 'N/A' : humanSize(size - shared),
    }, '*formatter.imageContext');
  });
}

// ---------------- helpers ----------------

/** docker's CopyToFile: a temp file beside the target, renamed into place when complete. */
async function copyToFile(path: string, src: NodeJS.ReadableStream): Promise<void> {
  const tmp = join(dirname(path), `.docker_temp_${basename(path)}.${randomBytes(4).toString('hex')}`);
  try {
    await pipeline(src, createWriteStream(tmp, { flags: 'wx' }));
    const fh = await open(tmp, 'r+');
    try { await fh.sync(); } finally { await fh.close(); }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** `--platform os[/arch[/variant]]` as API 1.48's `platform` parameter (a JSON OCI platform), docker's checks. */
function platformQuery(flag: string): { platform?: string } {
  if (!flag) return {};
  let p;
  try {
    p = parsePlatformSpecifier(flag);
  } catch (err) {
    throw new StatusError(1, `invalid platform: ${errorMessage(err)}`);
  }
  return { platform: JSON.stringify({ architecture: p.architecture, os: p.os, ...(p.variant ? { variant: p.variant } : {}) }) };
}

async function confirm(ctx: Ctx, warning: string): Promise<boolean> {
  await write(ctx.stdout, `${warning} [y/N] `);
  const line = await new Promise<string>((resolve) => {
    let buf = '';
    const onData = (b: Buffer | string): void => {
      buf += b.toString();
      const nl = buf.indexOf('\n');
      if (nl >= 0) { cleanup(); resolve(buf.slice(0, nl)); }
    };
    const onEnd = (): void => { cleanup(); resolve(buf); };
    const cleanup = (): void => { ctx.stdin.off('data', onData); ctx.stdin.off('end', onEnd); ctx.stdin.pause(); };
    ctx.stdin.on('data', onData);
    ctx.stdin.on('end', onEnd);
    ctx.stdin.resume();
  });
  const a = line.trim();
  return a === 'y' || a === 'Y';
}

export const commands: Record<string, CommandImpl> = {
  save: {
    flags: [
      { name: 'output', short: 'o', kind: 'string', usage: 'Write to a file, instead of STDOUT' },
      { name: 'platform', kind: 'string', usage: 'Save only the given platform variant. Formatted as "os[/arch[/variant]]" (e.g., "linux/amd64")', hidden: true },
    ],
    args: { min: 1 },
    async run(ctx, flags, args) {
      const output = flags.string('output');
      if (!output && ctx.stdout.isTTY) throw new StatusError(1, 'cowardly refusing to save to a terminal. Use the -o flag or redirect');
      const platform = platformQuery(flags.string('platform'));
      const res = await ctx.client().request('GET', '/images/get', { query: { names: args, ...platform } });
      if (output) await copyToFile(output, res);
      else await pipeline(res, ctx.stdout, { end: false });
      return 0;
    },
  },
  load: {
    flags: [
      { name: 'input', short: 'i', kind: 'string', usage: 'Read from tar archive file, instead of STDIN' },
      { name: 'platform', kind: 'string', usage: 'Load only the given platform variant. Formatted as "os[/arch[/variant]]" (e.g., "linux/amd64")', hidden: true },
      { name: 'quiet', short: 'q', kind: 'bool', usage: 'Suppress the load output' },
    ],
    args: { max: 0 },
    async run(ctx, flags) {
      const input = flags.string('input');
      if (!input && ctx.stdin.isTTY) throw new StatusError(1, 'requested load from stdin, but stdin is empty');
      let body: NodeJS.ReadableStream = ctx.stdin;
      if (input) {
        const f = createReadStream(input);
        await new Promise<void>((resolve, reject) => {
          f.once('open', () => resolve());
          f.once('error', (err: NodeJS.ErrnoException) => reject(new StatusError(1, err.code === 'ENOENT' ? `open ${input}: no such file or directory` : err.message)));
        });
        body = f;
      }
      const platform = platformQuery(flags.string('platform'));
      const quiet = flags.bool('quiet') || !ctx.stdout.isTTY;
      const res = await ctx.client().request('POST', '/images/load', {
        query: { quiet: quiet ? '1' : '0', ...platform }, body: body as never, headers: { 'content-type': 'application/x-tar' },
      });
      if (/application\/json/.test(String(res.headers['content-type'] ?? ''))) await displayJsonMessages(res, ctx.stdout, { tty: !!ctx.stdout.isTTY });
      else await pipeline(res, ctx.stdout, { end: false });
      return 0;
    },
  },
  history: {
    flags: [
      { name: 'format', kind: 'string', usage: formatUsage(true) },
      { name: 'human', short: 'H', kind: 'bool', usage: 'Print sizes and dates in human readable format', defaultText: 'true', default: true },
      { name: 'no-trunc', kind: 'bool', usage: "Don't truncate output" },
      { name: 'platform', kind: 'string', usage: 'Show history for the given platform. Formatted as "os[/arch[/variant]]" (e.g., "linux/amd64")', hidden: true },
      { name: 'quiet', short: 'q', kind: 'bool', usage: 'Only show image IDs' },
    ],
    args: { min: 1, max: 1 },
    async run(ctx, flags, args) {
      const list = await ctx.client().json<ApiHistory[]>('GET', `/images/${enc(args[0]!)}/history`);
      const human = flags.bool('human');
      const source = flags.string('format') || 'table';
      const format = source === 'table' ? (flags.bool('quiet') ? '{{.ID}}' : human ? HISTORY_TABLE : HISTORY_TABLE_NON_HUMAN) : source;
      const rows = (list ?? []).map((h) => historyRow(h, { trunc: !flags.bool('no-trunc'), human }));
      await write(ctx.stdout, renderRows({ format, defaultTable: HISTORY_TABLE, headers: HISTORY_HEADERS }, rows));
      return 0;
    },
  },
  'image prune': {
    flags: [
      { name: 'all', short: 'a', kind: 'bool', usage: 'Remove all unused images, not just dangling ones' },
      { name: 'filter', kind: 'list', typeName: 'filter', usage: 'Provide filter values (e.g. "until=<timestamp>")', validate: validateFilter },
      { name: 'force', short: 'f', kind: 'bool', usage: 'Do not prompt for confirmation' },
    ],
    args: { max: 0 },
    async run(ctx, flags) {
      const all = flags.bool('all');
      const filters = parseFilters(flags.list('filter'));
      filters['dangling'] = { [String(!all)]: true };
      if (!flags.bool('force')) {
        const warning = all
          ? 'WARNING! This will remove all images without at least one container associated to them.\nAre you sure you want to continue?'
          : 'WARNING! This will remove all dangling images.\nAre you sure you want to continue?';
        if (!(await confirm(ctx, warning))) return 0;
      }
      const report = await ctx.client().json<{ ImagesDeleted: Array<{ Untagged?: string; Deleted?: string }> | null; SpaceReclaimed: number }>(
        'POST', '/images/prune', { query: { filters: filtersQuery(filters) } });
      let out = '';
      let reclaimed = 0;
      if (report.ImagesDeleted?.length) {
        out = 'Deleted Images:\n';
        for (const st of report.ImagesDeleted) out += st.Untagged ? `untagged: ${st.Untagged}\n` : `deleted: ${st.Deleted ?? ''}\n`;
        out += '\n';
        reclaimed = report.SpaceReclaimed;
      }
      await write(ctx.stdout, `${out}Total reclaimed space: ${humanSize(reclaimed)}\n`);
      return 0;
    },
  },
  'system df': {
    flags: [
      { name: 'format', kind: 'string', usage: formatUsage(true) },
      { name: 'verbose', short: 'v', kind: 'bool', usage: 'Show detailed information on space usage' },
    ],
    args: { max: 0 },
    async run(ctx, flags) {
      const du = await ctx.client().json<ApiDiskUsage>('GET', '/system/df');
      const format = flags.string('format') || 'table';
      if (!flags.bool('verbose')) {
        await write(ctx.stdout, renderRows({ format, defaultTable: DF_TABLE, headers: DF_HEADERS }, diskUsageRows(du)));
        return 0;
      }
      if (format !== 'table') throw new StatusError(1, 'berth system df -v supports only the table format');
      const now = Date.now();
      let out = 'Images space usage:\n\n';
      out += renderRows({ format: DF_IMAGE_TABLE, defaultTable: DF_IMAGE_TABLE, headers: IMAGE_HEADERS }, diskUsageImageRows(du.Images ?? [], true, now));
      out += '\nContainers space usage:\n\n';
      const crows = (du.Containers ?? []).map((c) => containerRow({ ...c, SizeRootFs: 0 }, { trunc: true, now }));
      out += renderRows({ format: DF_CONTAINER_TABLE, defaultTable: DF_CONTAINER_TABLE, headers: { ...PS_HEADERS, LocalVolumes: 'LOCAL VOLUMES', Size: 'SIZE', RunningFor: 'CREATED' } }, crows);
      out += '\nLocal Volumes space usage:\n\n';
      out += renderRows({ format: DF_VOLUME_TABLE, defaultTable: DF_VOLUME_TABLE, headers: { Name: 'VOLUME NAME', Links: 'LINKS', Size: 'SIZE' } }, []);
      let bsz = 0;
      for (const b of du.BuildCache ?? []) if (!b.Shared) bsz += b.Size;
      out += `\nBuild cache usage: ${humanSize(bsz)}\n\n`;
      out += renderRows({
        format: DF_CACHE_TABLE, defaultTable: DF_CACHE_TABLE,
        headers: { ID: 'CACHE ID', CacheType: 'CACHE TYPE', Size: 'SIZE', CreatedSince: 'CREATED', LastUsedSince: 'LAST USED', UsageCount: 'USAGE', Shared: 'SHARED' },
      }, []);
      await write(ctx.stdout, out);
      return 0;
    },
  },
};
