/** Where the daemon listens, as given by -H, BERTH_HOST, DOCKER_HOST or the default. */
export const DEFAULT_HOST = 'unix:///run/berth/berth.sock';

export interface DaemonAddress {
  /** The host string as the user wrote it (used in "Cannot connect" messages). */
  host: string;
  socketPath?: string;
  hostname?: string;
  port?: number;
}

/** Picks the daemon host: flag first, then BERTH_HOST, then DOCKER_HOST, then the default. */
export function resolveHost(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return flag || env.BERTH_HOST || env.DOCKER_HOST || DEFAULT_HOST;
}

/** Parses `unix:///path`, `/path`, `tcp://host:port` (plain HTTP only). */
export function parseHost(host: string): DaemonAddress {
  if (host.startsWith('unix://')) {
    const socketPath = host.slice('unix://'.length);
    if (!socketPath) throw new Error(`invalid unix socket address: ${host}`);
    return { host, socketPath };
  }
  if (host.startsWith('/')) return { host: `unix://${host}`, socketPath: host };
  if (host.startsWith('tcp://') || host.startsWith('http://')) {
    const u = new URL(host.replace(/^tcp:/, 'http:'));
    return { host, hostname: u.hostname.replace(/^\[|\]$/g, ''), port: u.port ? Number(u.port) : 2375 };
  }
  if (host.startsWith('https://')) throw new Error(`TLS connections are not supported yet: ${host}`);
  if (host.startsWith('ssh://')) throw new Error(`ssh connections are not supported yet: ${host}`);
  if (host.startsWith('npipe://')) throw new Error(`named pipes are not supported: ${host}`);
  throw new Error(`unable to parse docker host \`${host}\``);
}
