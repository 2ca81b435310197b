import type { IncomingMessage } from 'node:http';
import { InvalidArgumentError } from '../base/index.js';

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
