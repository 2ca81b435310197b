import type { CommandImpl, Ctx } from '../command.js';
import { write } from '../command.js';
import { StatusError } from '../errors.js';
import { INDEX_SERVER, configPath, eraseCredentials, hostnameOf, serverKey, storeCredentials } from '../auth-config.js';

async function readAll(ctx: Ctx): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of ctx.stdin) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

export const commands: Record<string, CommandImpl> = {
  login: {
    flags: [
      { name: 'password', short: 'p', kind: 'string', usage: 'Password or Personal Access Token (PAT)' },
      { name: 'password-stdin', kind: 'bool', usage: 'Take the Password or Personal Access Token (PAT) from stdin' },
      { name: 'username', short: 'u', kind: 'string', usage: 'Username' },
    ],
    args: { max: 1 },
    async run(ctx, flags, args) {
      const server = args[0] ? hostnameOf(args[0]) : INDEX_SERVER;
      const username = flags.string('username');
      let password = flags.string('password');
      if (flags.bool('password-stdin')) {
        if (password) throw new StatusError(1, '--password and --password-stdin are mutually exclusive');
        if (!username) throw new StatusError(1, 'Must provide --username with --password-stdin');
        password = (await readAll(ctx)).replace(/\r?\n$/, '');
      } else if (password) {
        await write(ctx.stderr, 'WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n');
      }
      if (!username || !password) throw new StatusError(1, 'Error: Cannot perform an interactive login from a non TTY device');
      const key = serverKey(server);
      await ctx.client().json('POST', '/auth', { body: { username, password, serveraddress: key } });
      const file = await storeCredentials(ctx.env, { username, password, serveraddress: key });
      if (file) {
        await write(ctx.stderr, `WARNING! Your credentials are stored unencrypted in '${configPath(ctx.env)}'.\nConfigure a credential helper to remove this warning. See\nhttps://docs.docker.com/go/credential-store/\n\n`);
      }
      await write(ctx.stdout, 'Login Succeeded\n');
      return 0;
    },
  },
  logout: {
    flags: [],
    args: { max: 1 },
    async run(ctx, _flags, args) {
      // docker 28: always "Removing ...", then a warning when no store could erase anything.
      const server = args[0] ?? INDEX_SERVER;
      await write(ctx.stdout, `Removing login credentials for ${args[0] ? hostnameOf(server) : server}\n`);
      const errors = await eraseCredentials(ctx.env, server);
      if (errors.length) {
        await write(ctx.stderr, `WARNING: could not erase credentials:\n${errors.map(([k, e]) => `${k}: ${e}\n`).join('')}`);
      }
      return 0;
    },
  },
};
