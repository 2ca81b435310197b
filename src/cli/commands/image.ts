import { createReadStream } from 'node:fs';
import { ApiError } from '../../client/index.js';
import type { CommandImpl } from '../command.js';
import { formatUsage, write } from '../command.js';
import { StatusError, errorText } from '../errors.js';
import { parseFilters, filtersQuery, validateFilter } from '../filters.js';
import { IMAGE_HEADERS, imageDefaultTable, imageRows, renderRows, type ApiImage } from '../format.js';
import { displayJsonMessages } from '../progress.js';
import { parseReference, familiar } from '../reference.js';
import { inspectAll } from './inspect.js';
import { pullImage } from './run.js';

const enc = encodeURIComponent;

/** `berth image` subcommands and aliases: `berth images ls` hints at `berth image ls` (docker's printAmbiguousHint). */
const IMAGE_SUBCOMMANDS = new Set(['build', 'history', 'import', 'inspect', 'list', 'load', 'ls', 'prune', 'pull', 'push', 'rm', 'save', 'tag']);

/** docker's NewImageFormat. */
export function imageFormat(source: string, quiet: boolean, digests: boolean): string {
  if (source === 'table') return quiet ? '{{.ID}}' : imageDefaultTable(digests);
  if (source === 'raw') {
    if (quiet) return 'image_id: {{.ID}}';
    return `repository: {{ .Repository }}\ntag: {{.Tag}}\n${digests ? 'digest: {{.Digest}}\n' : ''}image_id: {{.ID}}\ncreated_at: {{.CreatedAt}}\nvirtual_size: {{.Size}}\n`;
  }
  if (source.startsWith('table') && digests && !source.includes('{{.Digest}}')) return source + '\t{{.Digest}}';
  return source;
}

export const commands: Record<string, CommandImpl> = {
  images: {
    flags: [
      { name: 'all', short: 'a', kind: 'bool', usage: 'Show all images (default hides intermediate images)' },
      { name: 'digests', kind: 'bool', usage: 'Show digests' },
      { name: 'filter', short: 'f', kind: 'list', typeName: 'filter', usage: 'Filter output based on conditions provided', validate: validateFilter },
      { name: 'format', kind: 'string', usage: formatUsage(true) },
      { name: 'no-trunc', kind: 'bool', usage: "Don't truncate output" },
      { name: 'quiet', short: 'q', kind: 'bool', usage: 'Only show image IDs' },
      { name: 'tree', kind: 'bool', usage: 'List multi-platform images as a tree (EXPERIMENTAL)', hidden: true },
    ],
    args: { max: 1 },
    async run(ctx, flags, args) {
      if (flags.bool('tree')) throw new StatusError(1, '--tree is not supported yet');
      const filters = parseFilters(flags.list('filter'));
      if (args[0]) (filters.reference ??= {})[args[0]] = true;
      const list = await ctx.client().get<ApiImage[]>('/images/json', { all: flags.bool('all') ? '1' : undefined, filters: filtersQuery(filters) });
      const digests = flags.bool('digests');
      const format = imageFormat(flags.string('format') || 'table', flags.bool('quiet'), digests);
      const rows = imageRows(list ?? [], { trunc: !flags.bool('no-trunc'), digests });
      await write(ctx.stdout, renderRows({ format, defaultTable: imageDefaultTable(digests), headers: IMAGE_HEADERS }, rows));
      if (args[0] && !list?.length && ctx.path === 'berth images' && IMAGE_SUBCOMMANDS.has(args[0])) {
        await write(ctx.stderr, `\nNo images found matching "${args[0]}": did you mean "berth image ${args[0]}"?\n`);
      }
      return 0;
    },
  },
  'image inspect': {
    flags: [
      { name: 'format', short: 'f', kind: 'string', usage: formatUsage(false) },
      { name: 'platform', kind: 'string', usage: "Inspect a specific platform of the multi-platform image.\nIf the image or the server is not multi-platform capable, the command will error out if the platform does not match.\n'os[/arch[/variant]]': Explicit platform (eg. linux/amd64)", hidden: true },
    ],
    args: { min: 1 },
    async run(ctx, flags, args) {
      const client = ctx.client();
      return inspectAll(ctx, args, flags.string('format'), (ref) => client.get(`/images/${enc(ref)}/json`));
    },
  },
  tag: {
    flags: [],
    args: { min: 2, max: 2 },
    async run(ctx, _flags, args) {
      const [src, target] = args as [string, string];
      const t = parseReference(target);
      if (t.digest) throw new StatusError(1, 'refusing to create a tag with a digest reference');
      await ctx.client().call('POST', `/images/${src}/tag`, { query: { repo: t.repo, tag: t.tag ?? 'latest' } });
      return 0;
    },
  },
  rmi: {
    flags: [
      { name: 'force', short: 'f', kind: 'bool', usage: 'Force removal of the image' },
      { name: 'no-prune', kind: 'bool', usage: 'Do not delete untagged parents' },
      { name: 'platform', kind: 'list', typeName: 'strings', usage: 'Remove only the given platform variant. Formatted as "os[/arch[/variant]]" (e.g., "linux/amd64")', hidden: true },
    ],
    args: { min: 1 },
    async run(ctx, flags, args) {
      const client = ctx.client();
      const errs: string[] = [];
      for (const name of args) {
        try {
          const res = await client.json<{ Untagged?: string; Deleted?: string }[]>('DELETE', `/images/${name}`, {
            query: { force: flags.bool('force') ? '1' : undefined, noprune: flags.bool('no-prune') ? '1' : undefined },
          });
          for (const r of res ?? []) {
            if (r.Untagged) await write(ctx.stdout, `Untagged: ${r.Untagged}\n`);
            if (r.Deleted) await write(ctx.stdout, `Deleted: ${r.Deleted}\n`);
          }
        } catch (err) {
          if (!(err instanceof ApiError)) throw err;
          errs.push(errorText(err));
        }
      }
      if (errs.length) throw new StatusError(1, errs.join('\n'));
      return 0;
    },
  },
  import: {
    flags: [
      { name: 'change', short: 'c', kind: 'list', usage: 'Apply Dockerfile instruction to the created image' },
      { name: 'message', short: 'm', kind: 'string', usage: 'Set commit message for imported image' },
      { name: 'platform', kind: 'string', usage: 'Set platform if server is multi-platform capable' },
    ],
    args: { min: 1, max: 2 },
    async run(ctx, flags, args) {
      const [source, ref] = args as [string, string | undefined];
      if (ref) parseReference(ref);
      const isUrl = /^https?:\/\//.test(source);
      const body = isUrl ? undefined : source === '-' ? ctx.stdin : createReadStream(source);
      if (body && source !== '-') {
        await new Promise<void>((resolve, reject) => { (body as ReturnType<typeof createReadStream>).once('open', () => resolve()); body.once('error', reject); });
      }
      const res = await ctx.client().request('POST', '/images/create', {
        query: {
          fromSrc: isUrl ? source : '-',
          repo: ref,
          message: flags.string('message') || undefined,
          changes: flags.list('change'),
          platform: flags.string('platform') || undefined,
        },
        body,
        headers: body ? { 'content-type': 'application/x-tar' } : {},
      });
      await displayJsonMessages(res, ctx.stdout, { tty: false });
      return 0;
    },
  },
  pull: {
    flags: [
      { name: 'all-tags', short: 'a', kind: 'bool', usage: 'Download all tagged images in the repository' },
      { name: 'disable-content-trust', kind: 'bool', usage: 'Skip image verification', defaultText: 'true', default: true },
      { name: 'platform', kind: 'string', usage: 'Set platform if server is multi-platform capable' },
      { name: 'quiet', short: 'q', kind: 'bool', usage: 'Suppress verbose output' },
    ],
    args: { min: 1, max: 1 },
    async run(ctx, flags, args) {
      const ref = parseReference(args[0]!);
      const quiet = flags.bool('quiet');
      const allTags = flags.bool('all-tags');
      if (allTags && (ref.tag || ref.digest)) throw new StatusError(1, 'tag can\'t be used with --all-tags/-a');
      if (!allTags && !ref.tag && !ref.digest && !quiet) await write(ctx.stdout, 'Using default tag: latest\n');
      await pullImage(ctx, args[0]!, { platform: flags.string('platform') || undefined, quiet, out: ctx.stdout, allTags });
      if (allTags) {
        if (quiet) await write(ctx.stdout, `${ref.repo}\n`);
        return 0;
      }
      const shown = ref.digest ? `${ref.repo}@${ref.digest}` : `${ref.repo}:${ref.tag ?? 'latest'}`;
      void familiar;
      await write(ctx.stdout, `${shown}\n`);
      return 0;
    },
  },
};
