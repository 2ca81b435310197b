import { writeFileSync, existsSync } from 'node:fs';
import { ApiError } from '../../client/index.js';
import type { CommandImpl, Ctx } from '../command.js';
import { write } from '../command.js';
import { StatusError, runStatusError, errorText } from '../errors.js';
import type { ParsedFlags } from '../flags.js';
import { displayJsonMessages } from '../progress.js';
import { familiarTagged, pullQuery } from '../reference.js';
import { registryAuthHeader } from '../auth-config.js';
import { CONTAINER_FLAGS, RUN_ONLY_FLAGS, buildCreateRequest, type CreateRequest } from '../run-opts.js';
import { attachedRun, consoleSize } from './attach.js';

const enc = encodeURIComponent;

/** POST /images/create?fromImage=... and render its progress on `out`. */
export async function pullImage(ctx: Ctx, ref: string, opts: { platform?: string | undefined; quiet?: boolean; out?: Ctx['stdout']; allTags?: boolean } = {}): Promise<void> {
  const res = await ctx.client().request('POST', '/images/create', {
    query: { ...pullQuery(ref, { allTags: !!opts.allTags }), platform: opts.platform },
    headers: { 'X-Registry-Auth': await registryAuthHeader(ctx.env, pullQuery(ref).fromImage.split('/')[0]!) },
  });
  const out = opts.out ?? ctx.stderr;
  if (opts.quiet) {
    // still surface errors
    await displayJsonMessages(res, { write: () => true } as unknown as Ctx['stdout'], { tty: false });
    return;
  }
  await displayJsonMessages(res, out);
}

function isNoSuchImage(err: unknown): boolean {
  return err instanceof ApiError && err.status === 404 && /No such image/i.test(err.message);
}

function validatePull(flags: ParsedFlags): string {
  const pull = flags.string('pull') || 'missing';
  if (!['always', 'missing', 'never'].includes(pull)) throw new Error(`invalid pull option: '${pull}': must be one of "always", "missing" or "never"`);
  return pull;
}

/** create with docker's pull fallback (`--pull missing|always|never`); prints warnings; returns the id. */
export async function createContainer(ctx: Ctx, req: CreateRequest, flags: ParsedFlags): Promise<string> {
  const client = ctx.client();
  const pull = validatePull(flags);
  const quiet = flags.bool('quiet');
  const cidfile = flags.string('cidfile');
  if (cidfile && existsSync(cidfile)) throw new Error(`container ID file found, make sure the other container isn't running or delete ${cidfile}`);
  const doCreate = () => client.json<{ Id: string; Warnings?: string[] | null }>('POST', '/containers/create', {
    query: { name: req.name, platform: req.platform },
    body: req.body,
  });
  if (pull === 'always') await pullImage(ctx, req.image, { platform: req.platform, quiet });
  let r;
  try {
    r = await doCreate();
  } catch (err) {
    if (!isNoSuchImage(err) || pull !== 'missing') throw err;
    let shown = req.image;
    try { shown = familiarTagged(req.image); } catch { /* keep as typed */ }
    await write(ctx.stderr, `Unable to find image '${shown}' locally\n`);
    await pullImage(ctx, req.image, { platform: req.platform, quiet });
    r = await doCreate();
  }
  for (const w of r.Warnings ?? []) await write(ctx.stderr, `WARNING: ${w}\n`);
  if (cidfile) writeFileSync(cidfile, r.Id);
  return r.Id;
}

function createFlags(): typeof CONTAINER_FLAGS {
  return CONTAINER_FLAGS;
}

export const commands: Record<string, CommandImpl> = {
  create: {
    flags: createFlags(),
    args: { min: 1 },
    interspersed: false,
    async run(ctx, flags, args) {
      let req: CreateRequest;
      try {
        validatePull(flags);
        req = buildCreateRequest(flags, args, { env: ctx.env, consoleSize: flags.bool('tty') ? consoleSize(ctx) : undefined });
      } catch (err) {
        throw runStatusError(err, 'create');
      }
      // docker 28's create returns daemon errors as they are (exit 1), unlike run's 125
      const id = await createContainer(ctx, req, flags);
      await write(ctx.stdout, `${id}\n`);
      return 0;
    },
  },
  run: {
    flags: [
      ...CONTAINER_FLAGS.map((f) => (f.name === 'pull' ? { ...f, usage: 'Pull image before running ("always", "missing", "never")' } : f)),
      ...RUN_ONLY_FLAGS,
    ],
    args: { min: 1 },
    interspersed: false,
    async run(ctx, flags, args) {
      const detach = flags.bool('detach');
      let req: CreateRequest;
      let id: string;
      try {
        req = buildCreateRequest(flags, args, { env: ctx.env, detach, consoleSize: flags.bool('tty') ? consoleSize(ctx) : undefined });
        const cfg = req.body;
        if (!detach && cfg.AttachStdin && cfg.Tty && !ctx.stdin.isTTY) throw new Error('the input device is not a TTY');
        id = await createContainer(ctx, req, flags);
      } catch (err) {
        throw runStatusError(err, 'run');
      }
      const cfg = req.body;
      if (detach) {
        // docker prints the ID while the start is under way, so it shows even when the start fails
        await write(ctx.stdout, `${id}\n`);
        try {
          await ctx.client().call('POST', `/containers/${enc(id)}/start`);
        } catch (err) {
          throw runStatusError(err, 'run');
        }
        return 0;
      }
      const autoRemove = !!(cfg.HostConfig as { AutoRemove?: boolean }).AutoRemove;
      try {
        return await attachedRun(ctx, id, {
          tty: !!cfg.Tty,
          stdin: !!cfg.AttachStdin,
          stdout: !!cfg.AttachStdout,
          stderr: !!cfg.AttachStderr,
          detachKeys: flags.opt('detach-keys'),
          waitCondition: autoRemove ? 'removed' : 'next-exit',
          sigProxy: flags.bool('sig-proxy'),
          onStartError: (err) => { throw runStatusError(err, 'run'); },
        });
      } catch (err) {
        if (err instanceof StatusError) throw err;
        throw new StatusError(125, `berth: ${errorText(err)}\n\nRun 'berth run --help' for more information`);
      }
    },
  },
};
