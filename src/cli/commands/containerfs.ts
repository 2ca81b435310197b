import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { CommandImpl } from '../command.js';
import { write } from '../command.js';
import { StatusError } from '../errors.js';
import { parseReference, familiar } from '../reference.js';

const enc = encodeURIComponent;
const KINDS: Record<number, string> = { 0: 'C', 1: 'A', 2: 'D' };

/** `export`, `diff` and `commit`: the container filesystem commands other than cp. */
export const commands: Record<string, CommandImpl> = {
  export: {
    flags: [{ name: 'output', short: 'o', kind: 'string', usage: 'Write to a file, instead of STDOUT' }],
    args: { min: 1, max: 1 },
    async run(ctx, flags, args) {
      const output = flags.string('output');
      if (!output && ctx.stdout.isTTY) throw new StatusError(1, 'cowardly refusing to save to a terminal. Use the -o flag or redirect');
      const res = await ctx.client().request('GET', `/containers/${enc(args[0]!)}/export`);
      if (output) await pipeline(res, createWriteStream(output));
      else await pipeline(res, ctx.stdout, { end: false });
      return 0;
    },
  },
  diff: {
    flags: [],
    args: { min: 1, max: 1 },
    async run(ctx, _flags, args) {
      const changes = await ctx.client().json<Array<{ Path: string; Kind: number }> | null>('GET', `/containers/${enc(args[0]!)}/changes`);
      await write(ctx.stdout, (changes ?? []).map((c) => `${KINDS[c.Kind] ?? '?'} ${c.Path}\n`).join(''));
      return 0;
    },
  },
  commit: {
    flags: [
      { name: 'author', short: 'a', kind: 'string', usage: 'Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")' },
      { name: 'change', short: 'c', kind: 'list', usage: 'Apply Dockerfile instruction to the created image' },
      { name: 'message', short: 'm', kind: 'string', usage: 'Commit message' },
      { name: 'pause', short: 'p', kind: 'bool', usage: 'Pause container during commit', defaultText: 'true', default: true },
    ],
    args: { min: 1, max: 2 },
    async run(ctx, flags, args) {
      const [container, reference] = args as [string, string | undefined];
      let repo: string | undefined;
      let tag: string | undefined;
      if (reference) {
        let ref;
        try {
          ref = parseReference(reference);
        } catch (err) {
          throw new StatusError(1, (err as Error).message);
        }
        if (ref.digest) throw new StatusError(1, 'refusing to create a tag with a digest reference');
        repo = familiar(ref.repo);
        tag = ref.tag;
      }
      const pause = flags.has('pause') ? flags.bool('pause') : true;
      const out = await ctx.client().json<{ Id: string }>('POST', '/commit', {
        query: {
          container,
          repo,
          tag,
          comment: flags.string('message') || undefined,
          author: flags.string('author') || undefined,
          changes: flags.list('change'),
          pause: pause ? undefined : '0',
        },
      });
      await write(ctx.stdout, `${out.Id}\n`);
      return 0;
    },
  },
};
