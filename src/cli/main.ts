import { EngineClient, resolveHost } from '../client/index.js';
import { parseFlags, FlagError, type FlagDef } from './flags.js';
import { flagUsages } from './flags.js';
import { checkArgs, groupHelp, leafHelp, useLine, write, type CommandImpl, type CommandSpec, type Ctx } from './command.js';
import { StatusError, errorText, exitCodeOf } from './errors.js';
import { BERTH_CLI_VERSION } from './version.js';

const containerMod = () => import('./commands/container.js').then((m) => m.commands);
const runMod = () => import('./commands/run.js').then((m) => m.commands);
const psMod = () => import('./commands/ps.js').then((m) => m.commands);
const imageMod = () => import('./commands/image.js').then((m) => m.commands);
const inspectMod = () => import('./commands/inspect.js').then((m) => m.commands);
const logsMod = () => import('./commands/logs.js').then((m) => m.commands);
const systemMod = () => import('./commands/system.js').then((m) => m.commands);
const observeMod = () => import('./commands/observe.js').then((m) => m.commands);
const interactiveMod = () => import('./commands/interactive.js').then((m) => m.commands);
const cpMod = () => import('./commands/cp.js').then((m) => m.commands);
const containerFsMod = () => import('./commands/containerfs.js').then((m) => m.commands);
const imageStoreMod = () => import('./commands/image-store.js').then((m) => m.commands);
const pushMod = () => import('./commands/push.js').then((m) => m.commands);
const loginMod = () => import('./commands/login.js').then((m) => m.commands);

type Leaf = Omit<CommandSpec, 'name' | 'group'>;
const L = {
  push: { use: '[OPTIONS] NAME[:TAG]', short: 'Upload an image to a registry', aliasLine: ['image push', 'push'], load: pushMod, impl: 'push' },
  login: { use: '[OPTIONS] [SERVER]', short: 'Authenticate to a registry', long: 'Authenticate to a registry.\nDefaults to Docker Hub if no server is specified.', load: loginMod, impl: 'login' },
  logout: { use: '[SERVER]', short: 'Log out from a registry', long: 'Log out from a registry.\nIf no server is specified, the default is defined by the daemon.', load: loginMod, impl: 'logout' },
  run: { use: '[OPTIONS] IMAGE [COMMAND] [ARG...]', short: 'Create and run a new container from an image', aliasLine: ['container run', 'run'], load: runMod, impl: 'run' },
  create: { use: '[OPTIONS] IMAGE [COMMAND] [ARG...]', short: 'Create a new container', aliasLine: ['container create', 'create'], load: runMod, impl: 'create' },
  start: { use: '[OPTIONS] CONTAINER [CONTAINER...]', short: 'Start one or more stopped containers', aliasLine: ['container start', 'start'], load: containerMod, impl: 'start' },
  stop: { use: '[OPTIONS] CONTAINER [CONTAINER...]', short: 'Stop one or more running containers', aliasLine: ['container stop', 'stop'], load: containerMod, impl: 'stop' },
  kill: { use: '[OPTIONS] CONTAINER [CONTAINER...]', short: 'Kill one or more running containers', aliasLine: ['container kill', 'kill'], load: containerMod, impl: 'kill' },
  restart: { use: '[OPTIONS] CONTAINER [CONTAINER...]', short: 'Restart one or more containers', aliasLine: ['container restart', 'restart'], load: containerMod, impl: 'restart' },
  pause: { use: 'CONTAINER [CONTAINER...]', short: 'Pause all processes within one or more containers', aliasLine: ['container pause', 'pause'], load: containerMod, impl: 'pause' },
  unpause: { use: 'CONTAINER [CONTAINER...]', short: 'Unpause all processes within one or more containers', aliasLine: ['container unpause', 'unpause'], load: containerMod, impl: 'unpause' },
  rm: { use: '[OPTIONS] CONTAINER [CONTAINER...]', short: 'Remove one or more containers', aliasLine: ['container rm', 'container remove', 'rm'], load: containerMod, impl: 'rm' },
  wait: { use: 'CONTAINER [CONTAINER...]', short: 'Block until one or more containers stop, then print their exit codes', aliasLine: ['container wait', 'wait'], load: containerMod, impl: 'wait' },
  rename: { use: 'CONTAINER NEW_NAME', short: 'Rename a container', aliasLine: ['container rename', 'rename'], load: containerMod, impl: 'rename' },
  top: { use: 'CONTAINER [ps OPTIONS]', short: 'Display the running processes of a container', aliasLine: ['container top', 'top'], load: containerMod, impl: 'top' },
  logs: { use: '[OPTIONS] CONTAINER', short: 'Fetch the logs of a container', aliasLine: ['container logs', 'logs'], load: logsMod, impl: 'logs' },
  ps: { use: '[OPTIONS]', short: 'List containers', aliasLine: ['container ls', 'container list', 'container ps', 'ps'], load: psMod, impl: 'ps' },
  containerInspect: { use: '[OPTIONS] CONTAINER [CONTAINER...]', short: 'Display detailed information on one or more containers', load: inspectMod, impl: 'container inspect' },
  images: { use: '[OPTIONS] [REPOSITORY[:TAG]]', short: 'List images', aliasLine: ['image ls', 'image list', 'images'], load: imageMod, impl: 'images' },
  imageInspect: { use: '[OPTIONS] IMAGE [IMAGE...]', short: 'Display detailed information on one or more images', load: imageMod, impl: 'image inspect' },
  tag: { use: 'SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]', short: 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE', aliasLine: ['image tag', 'tag'], load: imageMod, impl: 'tag' },
  rmi: { use: '[OPTIONS] IMAGE [IMAGE...]', short: 'Remove one or more images', aliasLine: ['image rm', 'image remove', 'rmi'], load: imageMod, impl: 'rmi' },
  import: { use: '[OPTIONS] file|URL|- [REPOSITORY[:TAG]]', short: 'Import the contents from a tarball to create a filesystem image', aliasLine: ['image import', 'import'], load: imageMod, impl: 'import' },
  pull: { use: '[OPTIONS] NAME[:TAG|@DIGEST]', short: 'Download an image from a registry', aliasLine: ['image pull', 'pull'], load: imageMod, impl: 'pull' },
  inspect: { use: '[OPTIONS] NAME|ID [NAME|ID...]', short: 'Return low-level information on Docker objects', load: inspectMod, impl: 'inspect' },
  version: { use: '[OPTIONS]', short: 'Show the Docker version information', load: systemMod, impl: 'version' },
  info: { use: '[OPTIONS]', short: 'Display system-wide information', aliasLine: ['system info', 'info'], load: systemMod, impl: 'info' },
  stats: { use: '[OPTIONS] [CONTAINER...]', short: 'Display a live stream of container(s) resource usage statistics', aliasLine: ['container stats', 'stats'], load: observeMod, impl: 'stats' },
  events: { use: '[OPTIONS]', short: 'Get real time events from the server', aliasLine: ['system events', 'events'], load: observeMod, impl: 'events' },
  port: { use: 'CONTAINER [PRIVATE_PORT[/PROTO]]', short: 'List port mappings or a specific mapping for the container', aliasLine: ['container port', 'port'], load: observeMod, impl: 'port' },
  attach: { use: '[OPTIONS] CONTAINER', short: 'Attach local standard input, output, and error streams to a running container', aliasLine: ['container attach', 'attach'], load: interactiveMod, impl: 'attach' },
  exec: { use: '[OPTIONS] CONTAINER COMMAND [ARG...]', short: 'Execute a command in a running container', aliasLine: ['container exec', 'exec'], load: interactiveMod, impl: 'exec' },
  cp: { use: '[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n\tberth cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH', short: 'Copy files/folders between a container and the local filesystem', aliasLine: ['container cp', 'cp'], load: cpMod, impl: 'cp' },
  export: { use: '[OPTIONS] CONTAINER', short: "Export a container's filesystem as a tar archive", aliasLine: ['container export', 'export'], load: containerFsMod, impl: 'export' },
  diff: { use: 'CONTAINER', short: "Inspect changes to files or directories on a container's filesystem", aliasLine: ['container diff', 'diff'], load: containerFsMod, impl: 'diff' },
  commit: { use: '[OPTIONS] CONTAINER [REPOSITORY[:TAG]]', short: "Create a new image from a container's changes", aliasLine: ['container commit', 'commit'], load: containerFsMod, impl: 'commit' },
  save: { use: '[OPTIONS] IMAGE [IMAGE...]', short: 'Save one or more images to a tar archive (streamed to STDOUT by default)', aliasLine: ['image save', 'save'], load: imageStoreMod, impl: 'save' },
  load: { use: '[OPTIONS]', short: 'Load an image from a tar archive or STDIN', aliasLine: ['image load', 'load'], load: imageStoreMod, impl: 'load' },
  history: { use: '[OPTIONS] IMAGE', short: 'Show the history of an image', aliasLine: ['image history', 'history'], load: imageStoreMod, impl: 'history' },
  imagePrune: { use: '[OPTIONS]', short: 'Remove unused images', load: imageStoreMod, impl: 'image prune' },
  df: { use: '[OPTIONS]', short: 'Show berth disk usage', load: imageStoreMod, impl: 'system df' },
} satisfies Record<string, Leaf>;

const c = (name: string, leaf: Leaf, extra: Partial<CommandSpec> = {}): CommandSpec => ({ name, ...leaf, ...extra });

/** The command tree, as docker's. */
export const ROOT: CommandSpec = {
  name: 'berth',
  use: '[OPTIONS] COMMAND',
  short: 'A self-sufficient runtime for containers',
  subcommands: [
    c('run', L.run, { group: 'common' }),
    c('exec', L.exec, { group: 'common' }),
    c('ps', L.ps, { group: 'common' }),
    c('pull', L.pull, { group: 'common' }),
    c('push', L.push, { group: 'common' }),
    c('images', L.images, { group: 'common' }),
    c('login', L.login, { group: 'common' }),
    c('logout', L.logout, { group: 'common' }),
    c('version', L.version, { group: 'common' }),
    c('info', L.info, { group: 'common' }),
    {
      name: 'container', use: 'COMMAND', short: 'Manage containers', group: 'management',
      subcommands: [
        c('attach', L.attach), c('create', L.create), c('exec', L.exec), c('inspect', L.containerInspect), c('kill', L.kill), c('logs', L.logs),
        c('ls', L.ps, { aliases: ['list', 'ps'] }), c('pause', L.pause), c('rename', L.rename), c('restart', L.restart),
        c('rm', L.rm, { aliases: ['remove'] }), c('run', L.run), c('start', L.start), c('stop', L.stop), c('top', L.top),
        c('unpause', L.unpause), c('wait', L.wait),
        c('stats', L.stats), c('port', L.port),
        c('commit', L.commit), c('cp', L.cp), c('diff', L.diff), c('export', L.export),
      ],
    },
    {
      name: 'image', use: 'COMMAND', short: 'Manage images', group: 'management',
      subcommands: [
        c('import', L.import), c('inspect', L.imageInspect), c('ls', L.images, { aliases: ['list'] }), c('pull', L.pull), c('push', L.push),
        c('rm', L.rmi, { aliases: ['remove'] }), c('tag', L.tag),
        c('save', L.save), c('load', L.load), c('history', L.history), c('prune', L.imagePrune),
      ],
    },
    {
      name: 'system', use: 'COMMAND', short: 'Manage Docker', group: 'management',
      subcommands: [c('info', L.info), c('events', L.events), c('df', L.df)],
    },
    c('attach', L.attach), c('create', L.create), c('import', L.import), c('inspect', L.inspect), c('kill', L.kill), c('logs', L.logs),
    c('pause', L.pause), c('rename', L.rename), c('restart', L.restart), c('rm', L.rm), c('rmi', L.rmi),
    c('start', L.start), c('stop', L.stop), c('tag', L.tag), c('top', L.top), c('unpause', L.unpause), c('wait', L.wait),
    c('stats', L.stats), c('events', L.events), c('port', L.port),
    c('commit', L.commit), c('cp', L.cp), c('diff', L.diff), c('export', L.export),
    c('save', L.save), c('load', L.load), c('history', L.history),
  ],
};

/** Global options (before the command). */
export const GLOBAL_FLAGS: FlagDef[] = [
  { name: 'config', kind: 'string', usage: 'Location of client config files', defaultText: '"/root/.docker"' },
  { name: 'context', short: 'c', kind: 'string', usage: 'Name of the context to use to connect to the daemon (overrides DOCKER_HOST env var and default context set with "docker context use")' },
  { name: 'debug', short: 'D', kind: 'bool', usage: 'Enable debug mode' },
  { name: 'host', short: 'H', kind: 'list', usage: 'Daemon socket to connect to' },
  { name: 'log-level', short: 'l', kind: 'string', usage: 'Set the logging level ("debug", "info", "warn", "error", "fatal")', defaultText: '"info"', default: 'info' },
  { name: 'tls', kind: 'bool', usage: 'Use TLS; implied by --tlsverify' },
  { name: 'tlscacert', kind: 'string', usage: 'Trust certs signed only by this CA' },
  { name: 'tlscert', kind: 'string', usage: 'Path to TLS certificate file' },
  { name: 'tlskey', kind: 'string', usage: 'Path to TLS key file' },
  { name: 'tlsverify', kind: 'bool', usage: 'Use TLS and verify the remote' },
  { name: 'version', short: 'v', kind: 'bool', usage: 'Print version information and quit' },
];

/**
 * Commands src/cmd/berth.ts runs before this CLI, without a daemon (`berth registry serve|gc`, src/registry):
 * listed in the root help only, their own help is theirs.
 */
export const EXTERNAL_COMMANDS: ReadonlyArray<{ name: string; short: string; group: 'management' }> = [
  { name: 'registry', short: "Run berth's own image registry (serve, gc)", group: 'management' },
];

function rootHelp(): string {
  const subs: Array<Pick<CommandSpec, 'name' | 'short' | 'group'>> = [...ROOT.subcommands!, ...EXTERNAL_COMMANDS];
  const line = (s: Pick<CommandSpec, 'name' | 'short'>) => `  ${s.name.padEnd(11)} ${s.short}\n`;
  const common = subs.filter((s) => s.group === 'common');
  const mgmt = subs.filter((s) => s.group === 'management').sort((a, b) => (a.name < b.name ? -1 : 1));
  const other = subs.filter((s) => !s.group).sort((a, b) => (a.name < b.name ? -1 : 1));
  let out = `Usage:  berth [OPTIONS] COMMAND\n\n${ROOT.short}\n\nCommon Commands:\n${common.map(line).join('')}`;
  out += `\nManagement Commands:\n${mgmt.map(line).join('')}\nCommands:\n${other.map(line).join('')}`;
  out += `\nGlobal Options:\n${flagUsages(GLOBAL_FLAGS).replace(/\s+$/, '')}\n\nRun 'berth COMMAND --help' for more information on a command.\n`;
  return out;
}

export interface MainIo {
  stdout: Ctx['stdout'];
  stderr: Ctx['stderr'];
  stdin: Ctx['stdin'];
  env: NodeJS.ProcessEnv;
}

const LOG_LEVELS = new Set(['debug', 'info', 'warn', 'error', 'fatal', 'trace', 'panic']);

/** Runs the berth CLI; resolves with the exit status. */
export async function main(argv: readonly string[], io: MainIo): Promise<number> {
  let client: EngineClient | undefined;
  try {
    return await dispatch(argv, io);
  } catch (err) {
    const text = err instanceof StatusError ? err.message : errorText(err);
    if (text) await write(io.stderr, text.endsWith('\n') ? text : text + '\n');
    return exitCodeOf(err);
  } finally {
    client?.close();
  }

  async function dispatch(args: readonly string[], io2: MainIo): Promise<number> {
    let g;
    try {
      g = parseFlags(args, GLOBAL_FLAGS, { interspersed: false });
    } catch (err) {
      if (err instanceof FlagError) throw new StatusError(125, `${err.message}\n\nUsage:  berth [OPTIONS] COMMAND [ARG...]\n\nRun 'berth --help' for more information`);
      throw err;
    }
    if (g.flags.bool('version')) { await write(io2.stdout, `berth version ${BERTH_CLI_VERSION}\n`); return 0; }
    const level = g.flags.string('log-level');
    if (!LOG_LEVELS.has(level)) throw new StatusError(1, `Unable to parse logging level: ${level}`);
    // docker prints the help asked for on stdout, the help shown for a missing command on stderr
    if (g.help || !g.args.length) { await write(g.help ? io2.stdout : io2.stderr, rootHelp()); return 0; }
    if (g.flags.bool('tls') || g.flags.bool('tlsverify')) throw new StatusError(1, 'TLS connections are not supported yet');
    const hosts = g.flags.list('host');
    if (hosts.length > 1) throw new StatusError(1, 'Specify only one -H');

    // Walk the tree.
    let spec = ROOT;
    let path = 'berth';
    let rest = g.args;
    while (spec.subcommands && rest.length) {
      const name = rest[0]!;
      const next = spec.subcommands.find((s) => s.name === name || s.aliases?.includes(name));
      if (!next && spec === ROOT && EXTERNAL_COMMANDS.some((e) => e.name === name)) {
        // reached only with global options in front (`berth -H x registry`): they do not apply to it
        throw new StatusError(1, `berth: global options do not apply to 'berth ${name}': run 'berth ${name} ...' alone\n\nRun 'berth ${name} --help' for more information`);
      }
      if (!next) {
        if (name.startsWith('-') && spec !== ROOT) break;
        const usage = spec === ROOT ? '' : `\n\nUsage:  ${path}`;
        throw new StatusError(1, `berth: unknown command: ${path} ${name}${usage}\n\nRun '${path} --help' for more information`);
      }
      spec = next;
      path += ` ${next.name}`;
      rest = rest.slice(1);
    }
    if (spec.subcommands) {
      const onlyHelp = rest.length === 0 || rest.every((a) => a === '--help' || a === '-h');
      if (onlyHelp) { await write(rest.length ? io2.stdout : io2.stderr, groupHelp(path, spec)); return 0; }
      let msg = `unknown flag: ${rest[0]}`;
      try { parseFlags(rest, []); } catch (err) { if (err instanceof FlagError) msg = err.message; }
      throw new StatusError(125, `${msg}\n\nUsage:  ${path}\n\nRun '${path} --help' for more information`);
    }
    const impl: CommandImpl | undefined = (await spec.load!())[spec.impl!];
    if (!impl) throw new Error(`internal error: no implementation for ${path}`);
    let parsed;
    try {
      parsed = parseFlags(rest, impl.flags, { interspersed: impl.interspersed ?? true });
    } catch (err) {
      if (err instanceof FlagError) throw new StatusError(125, `${err.message}\n\nUsage:  ${useLine(path, spec)}\n\nRun '${path} --help' for more information`);
      throw err;
    }
    if (parsed.help) { await write(io2.stdout, leafHelp(path, spec, impl)); return 0; }
    const argErr = checkArgs(path, impl.args, parsed.args.length);
    if (argErr) throw new StatusError(1, `berth: ${argErr.text}\n\nUsage:  ${useLine(path, spec)}\n\n${argErr.see ? 'See' : 'Run'} '${path} --help' for more information`);

    const host = resolveHost(hosts[0], io2.env);
    const ctx: Ctx = {
      stdout: io2.stdout, stderr: io2.stderr, stdin: io2.stdin, env: io2.env, path,
      client: () => (client ??= new EngineClient({ host })),
      onSignal: (sig, handler) => { process.on(sig, handler); return () => process.off(sig, handler); },
    };
    return await impl.run(ctx, parsed.flags, parsed.args);
  }
}

