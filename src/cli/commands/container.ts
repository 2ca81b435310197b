import { ApiError } from '../../client/index.js';
import type { CommandImpl, Ctx } from '../command.js';
import { write } from '../command.js';
import { StatusError, errorText } from '../errors.js';
import type { FlagDef } from '../flags.js';
import { tabwrite } from '../tabwriter.js';
import { startContainer } from './attach.js';

const enc = encodeURIComponent;

/** Runs `fn` per container; prints the name on success; gathers errors like docker (one per line). */
async function each(ctx: Ctx, names: string[], fn: (name: string) => Promise<void>, opts: { failPrefix?: string; ignore?: (e: unknown) => boolean } = {}): Promise<number> {
  // failPrefix (docker start): each error is printed at once, then one summary error.
  const errs: string[] = [];
  const failed: string[] = [];
  for (const n of names) {
    try {
      await fn(n);
      await write(ctx.stdout, `${n}\n`);
    } catch (err) {
      if ((err as Error)?.name === 'ConnectionError') throw err;
      if (opts.ignore?.(err) || opts.failPrefix) {
        await write(ctx.stderr, `${errorText(err)}\n`);
        if (opts.failPrefix) failed.push(n);
        continue;
      }
      errs.push(errorText(err));
    }
  }
  if (failed.length) throw new StatusError(1, `Error: ${opts.failPrefix}: ${failed.join(', ')}`);
  if (!errs.length) return 0;
  throw new StatusError(1, errs.join('\n'));
}

const signalFlag: FlagDef = { name: 'signal', short: 's', kind: 'string', usage: 'Signal to send to the container' };
const timeoutFlags: FlagDef[] = [
  { name: 'timeout', short: 't', kind: 'int', usage: 'Seconds to wait before killing the container' },
  { name: 'time', kind: 'int', usage: 'Seconds to wait before killing the container (deprecated: use --timeout)', hidden: true },
];

function stopQuery(flags: import('../flags.js').ParsedFlags) {
  const t = flags.has('timeout') ? flags.int('timeout') : flags.has('time') ? flags.int('time') : undefined;
  return { t, signal: flags.opt('signal') || undefined };
}

export const commands: Record<string, CommandImpl> = {
  start: {
    flags: [
      { name: 'attach', short: 'a', kind: 'bool', usage: 'Attach STDOUT/STDERR and forward signals' },
      { name: 'checkpoint', kind: 'string', usage: 'Restore from this checkpoint', hidden: true },
      { name: 'checkpoint-dir', kind: 'string', usage: 'Use a custom checkpoint storage directory', hidden: true },
      { name: 'detach-keys', kind: 'string', usage: 'Override the key sequence for detaching a container' },
      { name: 'interactive', short: 'i', kind: 'bool', usage: "Attach container's STDIN" },
    ],
    args: { min: 1 },
    async run(ctx, flags, args) {
      if (flags.bool('attach') || flags.bool('interactive')) {
        if (args.length > 1) throw new StatusError(1, 'you cannot start and attach multiple containers at once');
        return startContainer(ctx, args[0]!, { interactive: flags.bool('interactive'), detachKeys: flags.opt('detach-keys') });
      }
      if (flags.opt('checkpoint')) throw new StatusError(1, 'checkpoints are not supported yet');
      const c = ctx.client();
      return each(ctx, args, async (n) => { await c.call('POST', `/containers/${enc(n)}/start`); }, { failPrefix: 'failed to start containers' });
    },
  },
  stop: {
    flags: [signalFlag, ...timeoutFlags],
    args: { min: 1 },
    async run(ctx, flags, args) {
      const c = ctx.client();
      const query = stopQuery(flags);
      return each(ctx, args, async (n) => { await c.call('POST', `/containers/${enc(n)}/stop`, { query }); });
    },
  },
  restart: {
    flags: [signalFlag, ...timeoutFlags],
    args: { min: 1 },
    async run(ctx, flags, args) {
      const c = ctx.client();
      const query = stopQuery(flags);
      return each(ctx, args, async (n) => { await c.call('POST', `/containers/${enc(n)}/restart`, { query }); });
    },
  },
  kill: {
    flags: [signalFlag],
    args: { min: 1 },
    async run(ctx, flags, args) {
      const c = ctx.client();
      const signal = flags.opt('signal') || undefined;
      return each(ctx, args, async (n) => { await c.call('POST', `/containers/${enc(n)}/kill`, { query: { signal } }); });
    },
  },
  pause: {
    flags: [],
    args: { min: 1 },
    async run(ctx, _flags, args) {
      const c = ctx.client();
      return each(ctx, args, async (n) => { await c.call('POST', `/containers/${enc(n)}/pause`); });
    },
  },
  unpause: {
    flags: [],
    args: { min: 1 },
    async run(ctx, _flags, args) {
      const c = ctx.client();
      return each(ctx, args, async (n) => { await c.call('POST', `/containers/${enc(n)}/unpause`); });
    },
  },
  rm: {
    flags: [
      { name: 'force', short: 'f', kind: 'bool', usage: 'Force the removal of a running container (uses SIGKILL)' },
      { name: 'link', short: 'l', kind: 'bool', usage: 'Remove the specified link' },
      { name: 'volumes', short: 'v', kind: 'bool', usage: 'Remove anonymous volumes associated with the container' },
    ],
    args: { min: 1 },
    async run(ctx, flags, args) {
      const c = ctx.client();
      const force = flags.bool('force');
      const query = { force: force || undefined, v: flags.bool('volumes') || undefined, link: flags.bool('link') || undefined };
      return each(ctx, args, async (n) => {
        const name = n.replace(/^\/+|\/+$/g, '');
        if (!name) throw new Error('container name cannot be empty');
        await c.call('DELETE', `/containers/${enc(name)}`, { query });
      }, { ignore: (e) => force && e instanceof ApiError && e.status === 404 });
    },
  },
  wait: {
    flags: [],
    args: { min: 1 },
    async run(ctx, _flags, args) {
      const c = ctx.client();
      const errs: string[] = [];
      for (const n of args) {
        try {
          const r = await c.json<{ StatusCode: number; Error?: { Message?: string } | null }>('POST', `/containers/${enc(n)}/wait`);
          if (r?.Error?.Message) throw new Error(r.Error.Message);
          await write(ctx.stdout, `${r.StatusCode}\n`);
        } catch (err) {
          if ((err as Error)?.name === 'ConnectionError') throw err;
          errs.push(errorText(err));
        }
      }
      if (errs.length) throw new StatusError(1, errs.join('\n'));
      return 0;
    },
  },
  rename: {
    flags: [],
    args: { min: 2, max: 2 },
    async run(ctx, _flags, args) {
      const oldName = args[0]!.trim();
      const newName = args[1]!.trim();
      if (!oldName || !newName) throw new StatusError(1, 'Error: Neither old nor new names may be empty');
      try {
        await ctx.client().call('POST', `/containers/${enc(oldName)}/rename`, { query: { name: newName } });
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        await write(ctx.stderr, `${errorText(err)}\n`);
        throw new StatusError(1, `Error: failed to rename container named ${oldName}`);
      }
      return 0;
    },
  },
  top: {
    flags: [],
    args: { min: 1 },
    interspersed: false,
    async run(ctx, _flags, args) {
      const [name, ...psArgs] = args;
      const r = await ctx.client().json<{ Titles: string[]; Processes: string[][] }>('GET', `/containers/${enc(name!)}/top`, {
        query: { ps_args: psArgs.length ? psArgs.join(' ') : undefined },
      });
      const lines = [r.Titles.join('\t'), ...(r.Processes ?? []).map((p) => p.join('\t'))];
      await write(ctx.stdout, tabwrite(lines.join('\n') + '\n', { minwidth: 20, tabwidth: 1, padding: 3, padchar: ' ' }));
      return 0;
    },
  },
};
