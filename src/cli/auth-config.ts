import { spawn } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../base/index.js';

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
  await mkdir(dirname(p), { recursive: true, mode: 0o700 }); // docker's ~/.docker is private
  await writeFileAtomic(p, JSON.stringify(cfg, null, '\t') + '\n', { mode: 0o600 });
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

/**
 * Runs `docker-credential-<name> <action>` (docker-credential-helpers' protocol: the input on stdin, the answer
 * on stdout) and fails with that package's wording: `error <doing> credentials - err: <why>, out: `<stdout>``.
 */
function helper(name: string, action: 'get' | 'store' | 'erase' | 'list', input: string): Promise<string> {
  const program = `docker-credential-${name}`;
  const doing = { get: 'getting', store: 'storing', erase: 'erasing', list: 'listing' }[action];
  return new Promise((resolve, reject) => {
    const p = spawn(program, [action], { stdio: ['pipe', 'pipe', 'ignore'] });
    let out = '';
    p.stdout.on('data', (b: Buffer) => (out += b.toString()));
    p.stdin.on('error', () => undefined); // a helper that exits without reading its input
    p.on('error', (err: NodeJS.ErrnoException) => {
      const why = err.code === 'ENOENT' ? `exec: "${program}": executable file not found in $PATH` : `exec: "${program}": ${err.message}`;
      reject(new HelperError(`error ${doing} credentials - err: ${why}, out: \`\``, false));
    });
    p.on('close', (code, signal) => {
      if (code === 0) { resolve(out); return; }
      const t = out.trim();
      if (t === NOT_FOUND) { reject(new HelperError(NOT_FOUND, true)); return; }
      const why = code !== null ? `exit status ${code}` : `signal: ${signal}`;
      reject(new HelperError(`error ${doing} credentials - err: ${why}, out: \`${t}\``, false));
    });
    p.stdin.end(input);
  });
}

const NOT_FOUND = 'credentials not found in native keychain';

class HelperError extends Error {
  constructor(message: string, readonly notFound: boolean) { super(message); }
}

/** The helper for a config.json key (docker's GetCredentialsStore: `credHelpers[key]`, else `credsStore`). */
function helperFor(cfg: ConfigFile, key: string): string | undefined {
  return cfg.credHelpers?.[key] || cfg.credsStore || undefined;
}

/**
 * Credentials stored for `domain`, or undefined. Through the configured helper when there is one (a helper
 * that has none answers "credentials not found"; a helper that fails or is missing is an error, as with docker).
 */
export async function getCredentials(env: NodeJS.ProcessEnv, domain: string): Promise<Credentials | undefined> {
  const cfg = await load(env);
  const key = serverKey(domain);
  const h = helperFor(cfg, key);
  if (h) {
    let out: string;
    try {
      out = await helper(h, 'get', key);
    } catch (err) {
      if (err instanceof HelperError && err.notFound) return undefined;
      throw err;
    }
    let j: { Username?: string; Secret?: string };
    try { j = JSON.parse(out) as typeof j; } catch { throw new HelperError(`error getting credentials - err: invalid answer from docker-credential-${h}, out: \`${out.trim()}\``, false); }
    if (!j.Secret) return undefined;
    return { username: j.Username ?? '', password: j.Secret, serveraddress: key };
  }
  const auths = cfg.auths ?? {};
  const entry = auths[key] ?? Object.entries(auths).find(([k]) => hostnameOf(k) === hostnameOf(key))?.[1];
  if (!entry?.auth) return undefined;
  const plain = Buffer.from(entry.auth, 'base64').toString('utf8');
  const i = plain.indexOf(':');
  if (i <= 0) return undefined;
  return { username: plain.slice(0, i), password: plain.slice(i + 1), serveraddress: key };
}

/**
 * Stores credentials: through the helper when one is configured (config.json then gets only an empty `auths`
 * entry, as docker writes it), else base64 in `auths`. Returns the file when the secret went into it.
 */
export async function storeCredentials(env: NodeJS.ProcessEnv, c: Credentials): Promise<string | undefined> {
  const cfg = await load(env);
  const key = serverKey(c.serveraddress);
  const h = helperFor(cfg, key);
  if (h) {
    try {
      await helper(h, 'store', JSON.stringify({ ServerURL: key, Username: c.username, Secret: c.password }));
    } catch (err) {
      throw new Error(`Error saving credentials: ${(err as Error).message}`);
    }
    cfg.auths = { ...(cfg.auths ?? {}), [key]: {} };
    await save(env, cfg);
    return undefined;
  }
  cfg.auths = { ...(cfg.auths ?? {}), [key]: { auth: Buffer.from(`${c.username}:${c.password}`).toString('base64') } };
  await save(env, cfg);
  return configPath(env);
}

/**
 * `docker logout`: erases the credentials under every key docker may have saved them as (the address, its
 * hostname, with http:// and https://), each through its own store. Returns the errors by key when every
 * erase failed (docker then warns), else an empty list.
 */
export async function eraseCredentials(env: NodeJS.ProcessEnv, server: string): Promise<Array<[string, string]>> {
  const cfg = await load(env);
  const key = serverKey(server);
  const keys = key === INDEX_SERVER ? [key] : [...new Set([server, key, `http://${key}`, `https://${key}`])];
  const errors: Array<[string, string]> = [];
  let changed = false;
  for (const k of keys) {
    const h = helperFor(cfg, k);
    if (h) {
      try {
        await helper(h, 'erase', k);
      } catch (err) {
        errors.push([k, (err as Error).message]);
        continue;
      }
    }
    if (cfg.auths && k in cfg.auths) { delete cfg.auths[k]; changed = true; }
  }
  if (changed) await save(env, cfg);
  return errors.length === keys.length ? errors : [];
}

/** The X-Registry-Auth header value for `domain` (`e30=`, i.e. `{}`, when nothing is stored). */
export async function registryAuthHeader(env: NodeJS.ProcessEnv, domain: string): Promise<string> {
  let c: Credentials | undefined;
  try {
    c = await getCredentials(env, domain);
  } catch (err) {
    if (err instanceof HelperError) throw err; // docker fails too when the helper does
    c = undefined; // an unreadable config.json: anonymous
  }
  if (!c) return 'e30=';
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}
