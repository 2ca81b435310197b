import type { CommandImpl } from '../command.js';
import { formatUsage, write } from '../command.js';
import { parseFilters, filtersQuery, validateFilter } from '../filters.js';
import { PS_DEFAULT_TABLE, PS_HEADERS, PS_HEADER_EXTRAS, containerRow, renderRows, type ApiContainer } from '../format.js';
import { Template, TemplateError } from '../template.js';

const RAW_FORMAT = 'container_id: {{.ID}}\nimage: {{.Image}}\ncommand: {{.Command}}\ncreated_at: {{.CreatedAt}}\n' +
  'state: {{- pad .State 1 0}}\nstatus: {{- pad .Status 1 0}}\nnames: {{.Names}}\nlabels: {{- pad .Labels 1 0}}\n' +
  'ports: {{- pad .Ports 1 0}}\n';

/**
 * docker's buildContainerListOptions: the raw --format is parsed and run once over an empty context, which
 * validates it (with ps's own error prefixes) and tells whether `.Size` is used (also through `{{json .}}`).
 */
export function preProcessPsFormat(format: string): { usesSize: boolean } {
  let tmpl: Template;
  try {
    tmpl = new Template(format);
  } catch (err) {
    if (err instanceof TemplateError) throw new TemplateError(`failed to parse template: ${err.message}`);
    throw err;
  }
  let usesSize = false;
  const row = containerRow({ Id: '' }, { trunc: true });
  Object.defineProperty(row, 'Size', { enumerable: true, get: () => { usesSize = true; return ''; } });
  try {
    tmpl.execute(row);
  } catch (err) {
    if (err instanceof TemplateError) throw new TemplateError(`failed to execute template: ${err.message}`);
    throw err;
  }
  return { usesSize };
}

/** docker's NewContainerFormat. */
export function psFormat(source: string, quiet: boolean, size: boolean): string {
  if (source === '' || source === 'table') return quiet ? '{{.ID}}' : PS_DEFAULT_TABLE + (size ? '\t{{.Size}}' : '');
  if (source === 'raw') return quiet ? 'container_id: {{.ID}}' : RAW_FORMAT + (size ? 'size: {{.Size}}\n' : '');
  return quiet ? '{{.ID}}' : source;
}

export const commands: Record<string, CommandImpl> = {
  ps: {
    flags: [
      { name: 'all', short: 'a', kind: 'bool', usage: 'Show all containers (default shows just running)' },
      { name: 'filter', short: 'f', kind: 'list', typeName: 'filter', usage: 'Filter output based on conditions provided', validate: validateFilter },
      { name: 'format', kind: 'string', usage: formatUsage(true) },
      { name: 'last', short: 'n', kind: 'int', usage: 'Show n last created containers (includes all states)', defaultText: '-1', default: -1 },
      { name: 'latest', short: 'l', kind: 'bool', usage: 'Show the latest created container (includes all states)' },
      { name: 'no-trunc', kind: 'bool', usage: "Don't truncate output" },
      { name: 'quiet', short: 'q', kind: 'bool', usage: 'Only display container IDs' },
      { name: 'size', short: 's', kind: 'bool', usage: 'Display total file sizes' },
    ],
    args: { max: 0 },
    async run(ctx, flags) {
      const format = flags.string('format');
      const quiet = flags.bool('quiet');
      let size = flags.bool('size');
      if (format && quiet) await write(ctx.stderr, 'WARNING: Ignoring custom format, because both --format and --quiet are set.\n');
      if (format) {
        const { usesSize } = preProcessPsFormat(format);
        if (!quiet && !size && !flags.has('size') && usesSize) size = true;
      }
      let last = flags.int('last');
      if (flags.bool('latest') && last === -1) last = 1;
      const filters = parseFilters(flags.list('filter'));
      const list = await ctx.client().get<ApiContainer[]>('/containers/json', {
        all: flags.bool('all') || last > 0 ? '1' : undefined,
        limit: last > 0 ? last : undefined,
        size: size ? '1' : undefined,
        filters: filtersQuery(filters),
      });
      const trunc = !flags.bool('no-trunc');
      const now = Date.now();
      const rows = (list ?? []).map((c) => containerRow(c, { trunc, now }));
      const spec = { format: psFormat(format, quiet, size), defaultTable: PS_DEFAULT_TABLE, headers: PS_HEADERS };
      await write(ctx.stdout, renderRows(spec, rows, PS_HEADER_EXTRAS));
      return 0;
    },
  },
};
