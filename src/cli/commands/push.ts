import type { CommandImpl, Ctx } from '../command.js';
import { write } from '../command.js';
import { StatusError } from '../errors.js';
import { displayJsonMessages } from '../progress.js';
import { parseReference } from '../reference.js';
import { registryAuthHeader } from '../auth-config.js';

const enc = encodeURIComponent;

export const commands: Record<string, CommandImpl> = {
  push: {
    flags: [
      { name: 'all-tags', short: 'a', kind: 'bool', usage: 'Push all tags of an image to the repository' },
      { name: 'disable-content-trust', kind: 'bool', usage: 'Skip image signing', defaultText: 'true', default: true },
      { name: 'quiet', short: 'q', kind: 'bool', usage: 'Suppress verbose output' },
    ],
    args: { min: 1, max: 1 },
    async run(ctx: Ctx, flags, args) {
      const ref = parseReference(args[0]!);
      const allTags = flags.bool('all-tags');
      if (ref.digest) throw new StatusError(1, 'cannot push a digest reference');
      if (allTags && ref.tag) throw new StatusError(1, 'tag can\'t be used with --all-tags/-a');
      const tag = allTags ? undefined : ref.tag ?? 'latest';
      if (!allTags && !ref.tag && !flags.bool('quiet')) await write(ctx.stdout, 'Using default tag: latest\n');
      const res = await ctx.client().request('POST', `/images/${enc(ref.repo)}/push`, {
        query: { tag },
        headers: { 'X-Registry-Auth': await registryAuthHeader(ctx.env, ref.repo.split('/')[0]!) },
      });
      if (flags.bool('quiet')) {
        await displayJsonMessages(res, { write: () => true } as unknown as Ctx['stdout'], { tty: false });
        await write(ctx.stdout, `${ref.repo}${tag ? `:${tag}` : ''}\n`);
        return 0;
      }
      await displayJsonMessages(res, ctx.stdout);
      return 0;
    },
  },
};
