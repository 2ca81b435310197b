import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { InvalidArgumentError } from '../base/index.js';

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  params: Record<string, string>;
  query: URLSearchParams;
  /** The API version the client asked for (e.g. 1.45). */
  version: number;
  signal: AbortSignal;
}

export interface UpgradeContext extends Omit<RequestContext, 'res'> {
  socket: Duplex;
  head: Buffer;
  /** true when the client asked for an upgrade (Connection: Upgrade); false for the plain hijack form. */
  upgrade: boolean;
}

export type Handler = (ctx: RequestContext) => Promise<void>;
export type UpgradeHandler = (ctx: UpgradeContext) => Promise<void>;

interface Route { method: string; re: RegExp; keys: string[]; handler: Handler; hijack?: UpgradeHandler }

/**
 * A small route table. Patterns use `{name}` for one segment and `{name*}` for a greedy match
 * (image names contain `/`, e.g. `/images/{name*}/json`).
 */
export class Router {
  private readonly routes: Route[] = [];

  add(method: string, pattern: string, handler: Handler, hijack?: UpgradeHandler): this {
    const keys: string[] = [];
    const src = pattern.replace(/[.]/g, '\\.').replace(/\{(\w+)(\*?)\}/g, (_m, k: string, star: string) => {
      keys.push(k);
      return star ? '(.+)' : '([^/]+)';
    });
    this.routes.push({ method, re: new RegExp(`^${src}$`), keys, handler, ...(hijack ? { hijack } : {}) });
    return this;
  }

  get(p: string, h: Handler): this { return this.add('GET', p, h); }
  post(p: string, h: Handler, hijack?: UpgradeHandler): this { return this.add('POST', p, h, hijack); }
  put(p: string, h: Handler): this { return this.add('PUT', p, h); }
  delete(p: string, h: Handler): this { return this.add('DELETE', p, h); }
  head(p: string, h: Handler): this { return this.add('HEAD', p, h); }

  match(method: string, path: string): { route: Route; params: Record<string, string> } | 'method-not-allowed' | undefined {
    let pathMatched = false;
    for (const route of this.routes) {
      const m = route.re.exec(path);
      if (!m) continue;
      pathMatched = true;
      if (route.method !== method && !(method === 'HEAD' && route.method === 'GET')) continue;
      const params: Record<string, string> = {};
      route.keys.forEach((k, i) => { params[k] = decodeParam(m[i + 1] ?? ''); });
      return { route, params };
    }
    return pathMatched ? 'method-not-allowed' : undefined;
  }
}

/** A malformed %-escape in a path parameter is the client's error (400), not ours. */
function decodeParam(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new InvalidArgumentError(`invalid URL escape in path: ${raw}`);
  }
}
