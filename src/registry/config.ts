// The registry server's configuration: a JSON file with distribution's config.yml key names (http.addr,
// http.tls, storage.filesystem.rootdirectory, storage.maintenance.readonly, auth.htpasswd, auth.token), then the
// command-line flags on top.
import { readFileSync } from 'node:fs';
import { parseHtpasswd } from './auth.js';

export interface TokenConfig {
  /** The token endpoint's URL; default: this server's own /token. */
  realm?: string;
  service: string;
  issuer: string;
  /** HMAC key for the tokens; random per start when omitted. */
  key?: string;
  anonymousPull: boolean;
  ttlSeconds: number;
}

export interface RegistryConfig {
  addr: string;
  root: string;
  tlsCert?: string;
  tlsKey?: string;
  readOnly: boolean;
  /** Uploads (POST/PATCH/PUT of blobs) handled at once; more get 429 TOOMANYREQUESTS. 0 = no limit. */
  maxConcurrentUploads: number;
  auth: 'none' | 'htpasswd' | 'token';
  realm: string;
  htpasswdPath?: string;
  htpasswdUsers?: Map<string, string>;
  token?: TokenConfig;
}

export interface RegistryFlags {
  addr?: string; root?: string; tlsCert?: string; tlsKey?: string; config?: string; htpasswd?: string;
  readOnly?: boolean; tokenAuth?: boolean; tokenService?: string; anonymousPull?: boolean;
  maxConcurrentUploads?: number;
}

interface FileShape {
  http?: { addr?: string; maxconcurrentuploads?: number; tls?: { certificate?: string; key?: string } };
  storage?: { filesystem?: { rootdirectory?: string }; maintenance?: { readonly?: { enabled?: boolean } } };
  auth?: {
    htpasswd?: { realm?: string; path?: string };
    token?: { realm?: string; service?: string; issuer?: string; key?: string; htpasswd?: string; anonymouspull?: boolean; expiration?: number };
  };
}

export function loadConfig(flags: RegistryFlags): RegistryConfig {
  let file: FileShape = {};
  if (flags.config) {
    try {
      file = JSON.parse(readFileSync(flags.config, 'utf8')) as FileShape;
    } catch (err) {
      throw new Error(`cannot read config file ${flags.config}: ${(err as Error).message}`);
    }
  }
  const root = flags.root ?? file.storage?.filesystem?.rootdirectory;
  if (!root) throw new Error('--root (or storage.filesystem.rootdirectory in the config file) is required');
  const cfg: RegistryConfig = {
    addr: flags.addr ?? file.http?.addr ?? '127.0.0.1:5000',
    root,
    tlsCert: flags.tlsCert ?? file.http?.tls?.certificate,
    tlsKey: flags.tlsKey ?? file.http?.tls?.key,
    readOnly: flags.readOnly ?? file.storage?.maintenance?.readonly?.enabled ?? false,
    maxConcurrentUploads: flags.maxConcurrentUploads ?? file.http?.maxconcurrentuploads ?? 0,
    auth: 'none',
    realm: file.auth?.htpasswd?.realm ?? 'berth-registry',
  };
  if (Boolean(cfg.tlsCert) !== Boolean(cfg.tlsKey)) throw new Error('--tls-cert and --tls-key go together');
  const tokenFile = file.auth?.token;
  const useToken = flags.tokenAuth ?? tokenFile !== undefined;
  cfg.htpasswdPath = flags.htpasswd ?? (useToken ? tokenFile?.htpasswd : undefined) ?? file.auth?.htpasswd?.path;
  if (cfg.htpasswdPath) {
    try {
      cfg.htpasswdUsers = parseHtpasswd(readFileSync(cfg.htpasswdPath, 'utf8'));
    } catch (err) {
      throw new Error(`cannot read htpasswd file ${cfg.htpasswdPath}: ${(err as Error).message}`);
    }
  }
  if (useToken) {
    cfg.auth = 'token';
    cfg.token = {
      realm: tokenFile?.realm,
      service: flags.tokenService ?? tokenFile?.service ?? 'berth-registry',
      issuer: tokenFile?.issuer ?? 'berth-registry-token-issuer',
      key: tokenFile?.key,
      anonymousPull: flags.anonymousPull ?? tokenFile?.anonymouspull ?? false,
      ttlSeconds: tokenFile?.expiration ?? 300,
    };
  } else if (cfg.htpasswdPath) {
    cfg.auth = 'htpasswd';
  }
  return cfg;
}
