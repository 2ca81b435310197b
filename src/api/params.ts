import type { IncomingMessage } from 'node:http';
import { InvalidArgumentError, errorMessage, normalizePlatform, parsePlatformSpecifier, type PlatformSpec } from '../base/index.js';

/** Docker's boolean query rule: false iff "", 0, no, false, none (trimmed, lower-cased). */
export function boolParam(q: URLSearchParams, name: string, dflt = false): boolean {
  const v = q.get(name);
  if (v === null) return dflt;
  return !['', '0', 'no', 'false', 'none'].includes(v.trim().toLowerCase());
}

export function intParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new InvalidArgumentError(`invalid value for ${name}: ${v}`);
  return Math.trunc(n);
}

/** Filters arrive as {"k":{"v":true}} (Go CLI) or {"k":["v"]} (docker-py, dockerode); normalise to lists. */
export function filtersParam(q: URLSearchParams, allowed: readonly string[]): Record<string, string[]> {
  const raw = q.get('filters');
  if (!raw) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new InvalidArgumentError(`invalid filter: ${raw}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new InvalidArgumentError(`invalid filter: ${raw}`);
  const out: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
    if (!allowed.includes(k)) throw new InvalidArgumentError(`invalid filter '${k}'`);
    if (Array.isArray(v)) out[k] = v.map(String);
    else if (v && typeof v === 'object') out[k] = Object.entries(v as Record<string, unknown>).filter(([, on]) => on !== false).map(([x]) => x);
    else throw new InvalidArgumentError(`invalid filter '${k}'`);
  }
  return out;
}

/**
 * `platform` of save and load: API 1.48's JSON OCI platform (moby's DecodePlatform checks and wording); an
 * `os[/arch[/variant]]` specifier is taken too. Absent or empty: undefined.
 */
export function platformParam(q: URLSearchParams): PlatformSpec | undefined {
  const all = q.getAll('platform').filter((v) => v !== '');
  if (all.length === 0) return undefined;
  if (all.length > 1) throw new InvalidArgumentError('multiple platform parameters are not supported in this API version; use API version 1.52 or later');
  const raw = all[0]!;
  if (!raw.trimStart().startsWith('{') && raw.trim() !== 'null') return parsePlatformSpecifier(raw.trim());
  let p: unknown;
  try {
    p = JSON.parse(raw);
  } catch (err) {
    throw new InvalidArgumentError(`failed to parse platform: ${errorMessage(err)}`);
  }
  const o = (p ?? {}) as Record<string, unknown>;
  const str = (k: string): string => {
    const v = o[k] ?? '';
    if (typeof v !== 'string') throw new InvalidArgumentError(`failed to parse platform: ${k} must be a string`);
    return v;
  };
  const os = str('os');
  const architecture = str('architecture');
  const variant = str('variant');
  const optional = variant !== '' || str('os.version') !== '' || (Array.isArray(o['os.features']) && o['os.features'].length > 0);
  if (os === '' && architecture === '' && optional) throw new InvalidArgumentError('optional platform fields provided, but OS and Architecture are missing');
  if (os === '' || architecture === '') throw new InvalidArgumentError('both OS and Architecture must be provided');
  return normalizePlatform({ os, architecture, ...(variant ? { variant } : {}) });
}

const MAX_BODY = 16 * 1024 * 1024;

/** Reads a JSON body; absent, empty or `null` bodies give undefined. */
export async function readJsonBody<T>(req: IncomingMessage): Promise<T | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new InvalidArgumentError('request body too large');
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (!text) return undefined;
  try {
    const v = JSON.parse(text) as T | null;
    return v === null ? undefined : v;
  } catch (err) {
    throw new InvalidArgumentError(`invalid JSON body: ${(err as Error).message}`);
  }
}
