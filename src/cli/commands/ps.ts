import type { CommandImpl } from '../command.js';
import { formatUsage, write } from '../command.js';
import { parseFilters, filtersQuery } from '../filters.js';
import { PS_DEFAULT_TABLE, PS_HEADERS, PS_HEADER_EXTRAS, containerRow, renderRows, type ApiContainer } from '../format.js';

export const commands: Record<string, CommandImpl> = {
  ps: {
    flags: [
      { name: 'all', short: 'a', kind: 'bool', usage: 'Show all containers (default shows just running)' },
      { name: 'filter', short: 'f', kind: 'list', typeName: 'filter', usage: 'Filter output based on conditions provided' },
      { name: 'format', kind: 'string', usage: formatUsage(true) },
      { name: 'last', short: 'n', kind: 'int', usage: 'Show n last created containers (includes all states)', defaultText: '-1', default: -1 },
      { name: 'latest', short: 'l', kind: 'bool', usage: 'Show the latest created container (includes all states)' },
      { name: 'no-trunc', kind: 'bool', usage: "Don't truncate output" },
      { name: 'quiet', short: 'q', kind: 'bool', usage: 'Only display container IDs' },
      { name: 'size', short: 's', kind: 'bool', usage: 'Display total file sizes' },
    ],
    args: { max: 0 },
    async run(ctx, flags) {
      let format = flags.string('format');
      const quiet = flags.bool('quiet');
      let size = flags.bool('size');
      if (format === '' || format === 'table') {
        if (quiet) format = '{{.ID}}';
        else if (size) format = PS_DEFAULT_TABLE + '\t{{.Size}}';
      } else if (/\.Size\b/.test(format) || format === 'json') {
        size = size || /\.Size\b/.test(format);
      }
      const last = flags.bool('latest') ? 1 : flags.int('last');
      const all = flags.bool('all') || last > 0;
      const filters = parseFilters(flags.list('filter'));
      const list = await ctx.client().get<ApiContainer[]>('/containers/json', {
        all: all ? '1' : undefined,
        limit: last > 0 ? last : undefined,
        size: size ? '1' : undefined,
        filters: filtersQuery(filters),
      });
      const trunc = !flags.bool('no-trunc');
      const now = Date.now();
      const rows = (list ?? []).map((c) => containerRow(c, { trunc, now }));
      await write(ctx.stdout, renderRows({ format, defaultTable: PS_DEFAULT_TABLE, headers: PS_HEADERS }, rows, PS_HEADER_EXTRAS));
      return 0;
    },
  },
};
