import { ApiError, type EngineClient } from '../../client/index.js';
import type { CommandImpl, Ctx } from '../command.js';
import { formatUsage, write } from '../command.js';
import { StatusError, errorText } from '../errors.js';
import { Template, TemplateError } from '../template.js';

const enc = encodeURIComponent;

type Getter = (c: EngineClient, ref: string, size: boolean) => Promise<unknown>;

const getters: Record<string, Getter> = {
  container: (c, ref, size) => c.get(`/containers/${enc(ref)}/json`, { size: size ? '1' : undefined }),
  image: (c, ref) => c.get(`/images/${enc(ref)}/json`),
  network: (c, ref) => c.get(`/networks/${enc(ref)}`),
  volume: (c, ref) => c.get(`/volumes/${enc(ref)}`),
  plugin: (c, ref) => c.get(`/plugins/${enc(ref)}/json`),
};

const fallbackOrder = ['container', 'image', 'network', 'volume', 'plugin'];

/**
 * docker's inspect.Inspect: an indented JSON array (no format), a compact one (`json`), or one template
 * execution per element (Go's missingkey=error, as docker's raw fallback), gathered and printed at the end
 * (an empty line when nothing came out). Template parse errors exit 64; lookup and execution errors 1.
 */
export async function inspectAll(ctx: Ctx, refs: string[], format: string, get: (ref: string) => Promise<unknown>): Promise<number> {
  const results: unknown[] = [];
  const errs: string[] = [];
  let tmpl: Template | undefined;
  if (format && format !== 'json') {
    try {
      tmpl = new Template(format.replaceAll('\\t', '\t').replaceAll('\\n', '\n'));
    } catch (err) {
      throw new StatusError(64, `template parsing error: ${(err as Error).message}`);
    }
  }
  let out = '';
  for (const ref of refs) {
    let v: unknown;
    try {
      v = await get(ref);
    } catch (err) {
      if ((err as Error)?.name === 'ConnectionError') throw err;
      errs.push(errorText(err));
      continue;
    }
    if (!tmpl) { results.push(v); continue; }
    try {
      out += tmpl.execute(v, undefined, { missingKey: 'error' }) + '\n';
    } catch (err) {
      if (!(err instanceof TemplateError)) throw err;
      errs.push(`template parsing error: ${err.message}`);
    }
  }
  if (!tmpl) out = results.length ? (format === 'json' ? JSON.stringify(results) : JSON.stringify(results, null, 4)) + '\n' : '[]\n';
  else if (!out) out = '\n';
  await write(ctx.stdout, out);
  if (errs.length) throw new StatusError(1, errs.join('\n'));
  return 0;
}

const formatFlag = { name: 'format', short: 'f', kind: 'string' as const, usage: formatUsage(false) };

export const commands: Record<string, CommandImpl> = {
  inspect: {
    flags: [
      formatFlag,
      { name: 'size', short: 's', kind: 'bool', usage: 'Display total file sizes if the type is container' },
      { name: 'type', kind: 'string', usage: 'Only inspect objects of the given type' },
    ],
    args: { min: 1 },
    async run(ctx, flags, args) {
      const client = ctx.client();
      const type = flags.string('type');
      const size = flags.bool('size');
      if (type && !getters[type] && !['config', 'node', 'secret', 'service', 'task'].includes(type)) {
        throw new StatusError(1, `"${type}" is not a valid value for --type`);
      }
      const order = type ? [type] : fallbackOrder;
      return inspectAll(ctx, args, flags.string('format'), async (ref) => {
        for (const kind of order) {
          const g = getters[kind];
          if (!g) throw new Error(`inspecting ${kind} objects is not supported`);
          try {
            return await g(client, ref, size);
          } catch (err) {
            if (!(err instanceof ApiError) || err.status !== 404) throw err;
            if (type) throw err;
          }
        }
        throw new Error(`Error: No such object: ${ref}`);
      });
    },
  },
  'container inspect': {
    flags: [formatFlag, { name: 'size', short: 's', kind: 'bool', usage: 'Display total file sizes' }],
    args: { min: 1 },
    async run(ctx, flags, args) {
      const client = ctx.client();
      return inspectAll(ctx, args, flags.string('format'), (ref) => getters.container!(client, ref, flags.bool('size')));
    },
  },
};
