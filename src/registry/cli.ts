// `berth registry serve|gc`: the registry server's command line. It runs in the CLI process itself (no daemon,
// no Engine API), dispatched by src/cmd/berth.ts before the normal CLI.
import { parseArgs } from 'node:util';
import type { Writable } from 'node:stream';
import { loadConfig, type RegistryFlags } from './config.js';
import { RegistryServer } from './server.js';
import { RegistryStorage } from './storage.js';

export interface RegistryIo {
  stdout: Writable;
  stderr: Writable;
  /** Installs a signal handler; returns the remover. */
  onSignal(signal: NodeJS.Signals, handler: () => void): () => void;
}

const GROUP_HELP = `Usage:  berth registry COMMAND

Run berth's own image registry (OCI distribution spec v1.1)

Commands:
  gc          Remove blobs no manifest references
  serve       Serve a registry from a directory

Run 'berth registry COMMAND --help' for more information on a command.
`;

const SERVE_HELP = `Usage:  berth registry serve [OPTIONS]

Serve a registry from a directory

Options:
      --addr string            Address to listen on (default "127.0.0.1:5000")
      --anonymous-pull         With --token-auth: give tokens for pull without credentials
      --config string          Configuration file (JSON with distribution's config.yml keys)
      --htpasswd string        Require basic auth with the users of this htpasswd file (bcrypt)
      --max-concurrent-uploads int
                               Uploads served at once; more get 429
                               TOOMANYREQUESTS (default 0: no limit)
      --read-only              Refuse every write (405 UNSUPPORTED)
      --root string            Storage directory
      --tls-cert string        TLS certificate file (serve https)
      --tls-key string         TLS key file
      --token-auth             Bearer-token auth with the built-in token endpoint /token
                               (users from --htpasswd)
      --token-service string   Service name in tokens (default "berth-registry")
`;

const GC_HELP = `Usage:  berth registry gc [OPTIONS]

Remove blobs no manifest references

Options:
      --config string   Configuration file
  -n, --dry-run         Only list what would be removed
      --root string     Storage directory
`;

function usageError(io: RegistryIo, path: string, msg: string): number {
  io.stderr.write(`${msg}\nSee '${path} --help'.\n`);
  return 125;
}

export async function registryMain(argv: string[], io: RegistryIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    // as docker's command groups: the help asked for on stdout, the one shown for a missing command on stderr
    (sub === undefined ? io.stderr : io.stdout).write(GROUP_HELP);
    return 0;
  }
  if (sub === 'serve') return serve(rest, io);
  if (sub === 'gc') return gc(rest, io);
  io.stderr.write(`berth registry: '${sub}' is not a berth registry command.\nSee 'berth registry --help'\n`);
  return 1;
}

async function serve(argv: string[], io: RegistryIo): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv, allowPositionals: false, strict: true,
      options: {
        addr: { type: 'string' }, root: { type: 'string' }, 'tls-cert': { type: 'string' }, 'tls-key': { type: 'string' },
        config: { type: 'string' }, htpasswd: { type: 'string' }, 'read-only': { type: 'boolean' },
        'token-auth': { type: 'boolean' }, 'token-service': { type: 'string' }, 'anonymous-pull': { type: 'boolean' },
        'max-concurrent-uploads': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    return usageError(io, 'berth registry serve', (err as Error).message);
  }
  if (values.help) { io.stdout.write(SERVE_HELP); return 0; }
  const flags: RegistryFlags = {
    addr: values.addr as string | undefined, root: values.root as string | undefined,
    tlsCert: values['tls-cert'] as string | undefined, tlsKey: values['tls-key'] as string | undefined,
    config: values.config as string | undefined, htpasswd: values.htpasswd as string | undefined,
    readOnly: values['read-only'] as boolean | undefined, tokenAuth: values['token-auth'] as boolean | undefined,
    tokenService: values['token-service'] as string | undefined, anonymousPull: values['anonymous-pull'] as boolean | undefined,
  };
  if (values['max-concurrent-uploads'] !== undefined) {
    const n = Number(values['max-concurrent-uploads']);
    if (!Number.isInteger(n) || n < 0) return usageError(io, 'berth registry serve', `invalid --max-concurrent-uploads: ${String(values['max-concurrent-uploads'])}`);
    flags.maxConcurrentUploads = n;
  }
  let server: RegistryServer;
  let url: string;
  try {
    server = new RegistryServer(loadConfig(flags));
    ({ url } = await server.start());
  } catch (err) {
    io.stderr.write(`berth registry serve: ${(err as Error).message}\n`);
    return 1;
  }
  const c = server.cfg;
  io.stdout.write(`berth registry listening on ${url} (root ${c.root}, auth ${c.auth}${c.readOnly ? ', read-only' : ''})\n`);
  await new Promise<void>((resolve) => {
    const removers: (() => void)[] = [];
    const stop = (): void => { for (const r of removers) r(); resolve(); };
    removers.push(io.onSignal('SIGTERM', stop), io.onSignal('SIGINT', stop));
  });
  await server.close();
  return 0;
}

async function gc(argv: string[], io: RegistryIo): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv, allowPositionals: false, strict: true,
      options: { root: { type: 'string' }, config: { type: 'string' }, 'dry-run': { type: 'boolean', short: 'n' }, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (err) {
    return usageError(io, 'berth registry gc', (err as Error).message);
  }
  if (values.help) { io.stdout.write(GC_HELP); return 0; }
  try {
    const cfg = loadConfig({ root: values.root as string | undefined, config: values.config as string | undefined });
    const storage = new RegistryStorage(cfg.root);
    await storage.init();
    const { removed, kept } = await storage.gc({ dryRun: Boolean(values['dry-run']) });
    for (const d of removed) io.stdout.write(`${values['dry-run'] ? 'would remove' : 'removed'} blob ${d}\n`);
    io.stdout.write(`${removed.length} blobs ${values['dry-run'] ? 'eligible for deletion' : 'removed'}, ${kept} kept\n`);
    return 0;
  } catch (err) {
    io.stderr.write(`berth registry gc: ${(err as Error).message}\n`);
    return 1;
  }
}
