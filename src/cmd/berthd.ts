#!/usr/bin/env node
import { chmod, mkdir, readFile, rm } from 'node:fs/promises';
import { connect, createServer as createNetServer } from 'node:net';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { createServer as createTlsServer } from 'node:tls';
import type { Server } from 'node:http';
import { errorMessage, log, setLogLevel } from '../base/index.js';
import { Engine, BERTH_VERSION, loadConfig, type DaemonFlags } from '../engine/index.js';
import { createEngineApi } from '../api/index.js';

const USAGE = `Usage:	berthd [OPTIONS]

A self-sufficient runtime for containers, speaking the Docker Engine API.

Options:
      --config-file string   Daemon configuration file (default "/etc/berth/daemon.json")
      --data-root string     Root directory of persistent berth state (default "/var/lib/berth")
  -D, --debug                Enable debug mode
      --exec-root string     Root directory for execution state files (default "/run/berth")
  -H, --host list            Daemon socket(s) to connect to (default unix:///run/berth/berth.sock)
  -l, --log-level string     Set the logging level ("debug"|"info"|"warn"|"error"|"fatal") (default "info")
  -p, --pidfile string       Path to use for daemon PID file
      --tls                  Use TLS; implied by --tlsverify
      --tlscacert string     Trust certs signed only by this CA
      --tlscert string       Path to TLS certificate file
      --tlskey string        Path to TLS key file
      --tlsverify            Use TLS and verify the remote
  -v, --version              Print version information and quit
`;

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: process.argv.slice(2),
      options: {
        host: { type: 'string', short: 'H', multiple: true },
        'data-root': { type: 'string' },
        'exec-root': { type: 'string' },
        pidfile: { type: 'string', short: 'p' },
        'config-file': { type: 'string' },
        'log-level': { type: 'string', short: 'l' },
        debug: { type: 'boolean', short: 'D' },
        tls: { type: 'boolean' },
        tlsverify: { type: 'boolean' },
        tlscacert: { type: 'string' },
        tlscert: { type: 'string' },
        tlskey: { type: 'string' },
        version: { type: 'boolean', short: 'v' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (err) {
    process.stderr.write(`berthd: ${errorMessage(err)}\nSee 'berthd --help'.\n`);
    return 125;
  }
  const v = parsed.values;
  if (v.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (v.version) {
    process.stdout.write(`berthd version ${BERTH_VERSION}\n`);
    return 0;
  }
  const flags: DaemonFlags = {
    ...(v.host ? { hosts: v.host } : {}),
    ...(v['data-root'] ? { dataRoot: v['data-root'] } : {}),
    ...(v['exec-root'] ? { execRoot: v['exec-root'] } : {}),
    ...(v.pidfile ? { pidfile: v.pidfile } : {}),
    ...(v['config-file'] ? { configFile: v['config-file'] } : {}),
    ...(v['log-level'] ? { logLevel: v['log-level'] } : {}),
    ...(v.debug ? { debug: true } : {}),
  };
  const config = await loadConfig(flags);
  setLogLevel(config.logLevel === 'fatal' ? 'error' : config.logLevel);
  const tlsOpts = v.tlscert && v.tlskey ? { cert: await readFile(v.tlscert), key: await readFile(v.tlskey), ...(v.tlscacert ? { ca: await readFile(v.tlscacert) } : {}), requestCert: !!v.tlsverify, rejectUnauthorized: !!v.tlsverify } : undefined;
  for (const h of config.hosts) {
    if (h.startsWith('tcp://') && !tlsOpts) {
      throw new Error(`refusing to listen on ${h} without TLS: pass --tlscert and --tlskey (and --tlsverify --tlscacert to verify clients)`);
    }
    if (!h.startsWith('tcp://') && !h.startsWith('unix://') && !h.startsWith('/')) throw new Error(`invalid host: ${h}`);
  }

  const engine = await Engine.open(config);
  const api = createEngineApi(engine, BERTH_VERSION);
  const listeners: Array<{ close: () => Promise<void> }> = [];
  try {
    for (const h of config.hosts) listeners.push(await listen(api, h, tlsOpts));
  } catch (err) {
    for (const l of listeners) await l.close();
    await engine.close();
    throw err;
  }
  log.info('berthd started', { version: BERTH_VERSION, dataRoot: config.dataRoot, hosts: config.hosts.join(',') });

  await new Promise<void>((resolve) => {
    const stop = (sig: string): void => {
      log.info('shutting down; containers keep running', { signal: sig });
      resolve();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  for (const l of listeners) await l.close();
  await engine.close();
  api.closeAllConnections();
  return 0;
}

async function listen(api: Server, host: string, tlsOpts: object | undefined): Promise<{ close: () => Promise<void> }> {
  if (host.startsWith('tcp://')) {
    const u = new URL(host);
    const tlsServer = createTlsServer({ ...(tlsOpts ?? {}), allowHalfOpen: true }, (sock) => api.emit('connection', sock));
    await new Promise<void>((resolve, reject) => {
      tlsServer.once('error', reject);
      tlsServer.listen(Number(u.port || 2376), u.hostname || '127.0.0.1', () => resolve());
    });
    return { close: () => new Promise((r) => tlsServer.close(() => r())) };
  }
  const path = host.replace(/^unix:\/\//, '');
  await mkdir(dirname(path), { recursive: true });
  if (await socketInUse(path)) throw new Error(`${path} is in use by another daemon`);
  await rm(path, { force: true });
  const server = createNetServer({ allowHalfOpen: true }, (sock) => api.emit('connection', sock));
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
    server.listen(path);
  });
  await chmod(path, 0o660);
  return {
    close: async () => {
      await new Promise<void>((r) => server.close(() => r()));
      await rm(path, { force: true });
    },
  };
}

function socketInUse(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`berthd: ${errorMessage(err)}\n`);
    process.exit(1);
  },
);
