import { spawn } from 'node:child_process';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/** Docker Hub's key in config.json `auths`. */
export const INDEX_SERVER = 'https://index.docker.io/v1/';

export interface Credentials { username: string; password: string; serveraddress: string }

interface ConfigFile {
  auths?: Record<string, { auth?: string; identitytoken?: string }>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
  [k: string]: unknown;
}

export function configPath(env: NodeJS.ProcessEnv): string {
  return join(env['DOCKER_CONFIG'] || join(homedir(), '.docker'), 'config.json');
}

async function load(env: NodeJS.ProcessEnv): Promise<ConfigFile> {
  try {
    const v = JSON.parse(await readFile(configPath(env), 'utf8')) as unknown;
    return v && typeof v === 'object' ? (v as ConfigFile) : {};
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new Error(`loading config file ${configPath(env)}: ${(err as Error).message}`);
  }
}

async function save(env: NodeJS.ProcessEnv, cfg: ConfigFile): Promise<void> {
  const p = configPath(env);
  await mkdir(dirname(p), { recursive: true, mode: 0o700 });
  const tmp = `${p}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(cfg, null, '\t') + '\n', { mode: 0o600 });
  await rename(tmp, p);
}

/** Registry hostname of a config key or server argument (`https://index.docker.io/v1/` → `index.docker.io`). */
export function hostnameOf(server: string): string {
  return server.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
}

/** The config.json key for a registry domain as references name it (`docker.io` → Docker Hub's URL). */
export function serverKey(domain: string): string {
  const h = hostnameOf(domain);
  return h === 'docker.io' || h === 'index.docker.io' || h === 'registry-1.docker.io' ? INDEX_SERVER : h;
}

function helper(name: string, action: 'get' | 'store' | 'erase', input: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(`docker-credential-${name}`, [action], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (b: Buffer) => (out += b.toString()));
    p.stderr.on('data', (b: Buffer) => (out += b.toString()));
    p.on('error', (err) => reject(new Error(`error getting credentials - err: ${err.message}`)));
    p.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(out.trim() || `docker-credential-${name} ${action} failed`))));
    p.stdin.end(input);
  });
}

function helperFor(cfg: ConfigFile, key: string): string | undefined {
  return cfg.credHelpers?.[hostnameOf(key)] ?? cfg.credHelpers?.[key] ?? cfg.credsStore;
}

/** Credentials stored for `domain`, or undefined. */
export async function getCredentials(env: NodeJS.ProcessEnv, domain: string): Promise<Credentials | undefined> {
  const cfg = await load(env);
  const key = serverKey(domain);
  const h = helperFor(cfg, key);
  if (h) {
    try {
      const j = JSON.parse(await helper(h, 'get', key)) as { Username?: string; Secret?: string };
      if (j.Username && j.Secret) return { username: j.Username, password: j.Secret, serveraddress: key };
    } catch { /* not stored there */ }
    return undefined;
  }
  const auths = cfg.auths ?? {};
  const entry = auths[key] ?? Object.entries(auths).find(([k]) => hostnameOf(k) === hostnameOf(key))?.[1];
  if (!entry?.auth) return undefined;
  const plain = Buffer.from(entry.auth, 'base64').toString('utf8');
  const i = plain.indexOf(':');
  if (i <= 0) return undefined;
  return { username: plain.slice(0, i), password: plain.slice(i + 1), serveraddress: key };
}

/** Stores credentials (helper when configured, else base64 in `auths`); returns the file when stored in it. */
export async function storeCredentials(env: NodeJS.ProcessEnv, c: Credentials): Promise<string | undefined> {
  const cfg = await load(env);
  const key = serverKey(c.serveraddress);
  const h = helperFor(cfg, key);
  if (h) {
    await helper(h, 'store', JSON.stringify({ ServerURL: key, Username: c.username, Secret: c.password }));
    cfg.auths = { ...(cfg.auths ?? {}), [key]: {} };
    await save(env, cfg);
    return undefined;
  }
  cfg.auths = { ...(cfg.auths ?? {}), [key]: { auth: Buffer.from(`${c.username}:${c.password}`).toString('base64') } };
  await save(env, cfg);
  return configPath(env);
}

/** Removes stored credentials; false when there were none. */
export async function eraseCredentials(env: NodeJS.ProcessEnv, server: string): Promise<boolean> {
  const cfg = await load(env);
  const key = serverKey(server);
  const names = Object.keys(cfg.auths ?? {}).filter((k) => k === key || hostnameOf(k) === hostnameOf(key));
  const h = helperFor(cfg, key);
  if (h) { try { await helper(h, 'erase', key); } catch { /* already gone */ } }
  if (!names.length) return !!h;
  for (const n of names) delete cfg.auths![n];
  await save(env, cfg);
  return true;
}

/** The X-Registry-Auth header value for `domain` (`e30=`, i.e. `{}`, when nothing is stored). */
export async function registryAuthHeader(env: NodeJS.ProcessEnv, domain: string): Promise<string> {
  let c: Credentials | undefined;
  try { c = await getCredentials(env, domain); } catch { c = undefined; }
  if (!c) return 'e30=';
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}
