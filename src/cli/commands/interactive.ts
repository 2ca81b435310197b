import { readFileSync } from 'node:fs';
import type { CommandImpl, Ctx } from '../command.js';
import { StatusError, errorText } from '../errors.js';
import { expandEnv, parseEnvFile } from '../run-opts.js';
import { DetachedError, attachContainer, consoleSize, proxySignals, pumpStreams, setupTty, waitHeaders } from './attach.js';

const enc = encodeURIComponent;

interface ContainerInfo {
  Id: string;
  Config: { Tty?: boolean; OpenStdin?: boolean };
  State: { Running?: boolean; Paused?: boolean; Restarting?: boolean };
}

/** docker's In().CheckTty: a TTY session needs a terminal on stdin. */
function checkTty(ctx: Ctx, attachStdin: boolean, tty: boolean): void {
  if (attachStdin && tty && !ctx.stdin.isTTY) throw new StatusError(1, 'the input device is not a TTY');
}

/** Output, then the end: DetachedError → `read escape sequence`, exit 1 (docker attach/exec print it). */
async function awaitOutput(output: Promise<void>, onDetach: () => void): Promise<void> {
  try {
    await output;
  } catch (err) {
    if (err instanceof DetachedError) {
      onDetach();
      throw new StatusError(1, err.message);
    }
    throw err;
  }
}

export const commands: Record<string, CommandImpl> = {
  attach: {
    flags: [
      { name: 'detach-keys', kind: 'string', usage: 'Override the key sequence for detaching a container' },
      { name: 'no-stdin', kind: 'bool', usage: 'Do not attach STDIN' },
      { name: 'sig-proxy', kind: 'bool', usage: 'Proxy all received signals to the process', defaultText: 'true', default: true },
    ],
    args: { min: 1, max: 1 },
    async run(ctx, flags, args) {
      const client = ctx.client();
      const info = await client.json<ContainerInfo>('GET', `/containers/${enc(args[0]!)}/json`);
      if (!info.State?.Running) throw new StatusError(1, 'You cannot attach to a stopped container, start it first');
      if (info.State.Paused) throw new StatusError(1, 'You cannot attach to a paused container, unpause it first');
      if (info.State.Restarting) throw new StatusError(1, 'You cannot attach to a restarting container, wait until it is running');
      const tty = !!info.Config?.Tty;
      const noStdin = flags.bool('no-stdin');
      checkTty(ctx, !noStdin, tty);
      const o = { tty, stdin: !noStdin && !!info.Config?.OpenStdin, stdout: true, stderr: true, detachKeys: flags.opt('detach-keys') };
      const conn = await attachContainer(client, info.Id, o);
      let wait;
      try {
        wait = await waitHeaders(client, info.Id, undefined);
      } catch (err) {
        conn.socket.destroy();
        throw err;
      }
      wait.status.catch(() => undefined);
      const restoreTty = tty ? setupTty(ctx, client, info.Id, 'containers') : () => undefined;
      const unproxy = flags.bool('sig-proxy') && !tty ? proxySignals(ctx, client, info.Id) : () => undefined;
      try {
        await awaitOutput(pumpStreams(ctx, conn, o), () => wait.cancel());
        if (o.stdin) ctx.stdin.pause();
      } finally {
        unproxy();
        restoreTty();
      }
      let status: number;
      try {
        status = await wait.status;
      } catch (err) {
        throw new StatusError(1, errorText(err));
      }
      return status;
    },
  },
  exec: {
    flags: [
      { name: 'detach', short: 'd', kind: 'bool', usage: 'Detached mode: run command in the background' },
      { name: 'detach-keys', kind: 'string', usage: 'Override the key sequence for detaching a container' },
      { name: 'env', short: 'e', kind: 'list', usage: 'Set environment variables' },
      { name: 'env-file', kind: 'list', usage: 'Read in a file of environment variables' },
      { name: 'interactive', short: 'i', kind: 'bool', usage: 'Keep STDIN open even if not attached' },
      { name: 'privileged', kind: 'bool', usage: 'Give extended privileges to the command' },
      { name: 'tty', short: 't', kind: 'bool', usage: 'Allocate a pseudo-TTY' },
      { name: 'user', short: 'u', kind: 'string', usage: 'Username or UID (format: "<name|uid>[:<group|gid>]")' },
      { name: 'workdir', short: 'w', kind: 'string', usage: 'Working directory inside the container' },
    ],
    args: { min: 2 },
    interspersed: false,
    async run(ctx, flags, args) {
      const client = ctx.client();
      const [container, ...cmd] = args as [string, ...string[]];
      const detach = flags.bool('detach');
      const tty = flags.bool('tty');
      const interactive = flags.bool('interactive');
      const env: string[] = [];
      for (const f of flags.list('env-file')) env.push(...parseEnvFile(readFileSync(f, 'utf8'), f, ctx.env));
      for (const e of flags.list('env')) {
        const v = expandEnv(e, ctx.env);
        if (v.includes('=')) env.push(v);
      }
      if (!detach) checkTty(ctx, interactive, tty);
      const size = tty ? consoleSize(ctx) : undefined;
      const body = {
        User: flags.string('user'),
        Privileged: flags.bool('privileged'),
        Tty: tty,
        ...(size ? { ConsoleSize: size } : {}),
        AttachStdin: interactive && !detach,
        AttachStdout: !detach,
        AttachStderr: !detach,
        Detach: detach,
        DetachKeys: flags.string('detach-keys'),
        Env: env,
        WorkingDir: flags.string('workdir'),
        Cmd: cmd,
      };
      const { Id: execId } = await client.json<{ Id: string }>('POST', `/containers/${enc(container)}/exec`, { body });
      if (detach) {
        await client.call('POST', `/exec/${enc(execId)}/start`, { body: { Detach: true, Tty: tty, ...(size ? { ConsoleSize: size } : {}) } });
        return 0;
      }
      const o = { tty, stdin: interactive, stdout: true, stderr: true, detachKeys: flags.opt('detach-keys') };
      const conn = await client.hijack('POST', `/exec/${enc(execId)}/start`, { body: { Detach: false, Tty: tty, ...(size ? { ConsoleSize: size } : {}) } });
      const restoreTty = tty ? setupTty(ctx, client, execId, 'exec') : () => undefined;
      try {
        await awaitOutput(pumpStreams(ctx, conn, o), () => undefined);
        if (interactive) ctx.stdin.pause();
      } finally {
        restoreTty();
      }
      const ins = await client.json<{ ExitCode: number | null; Running: boolean }>('GET', `/exec/${enc(execId)}/json`);
      return ins.ExitCode ?? 0;
    },
  },
};
