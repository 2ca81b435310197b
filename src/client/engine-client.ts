import { Agent, request as httpRequest, type IncomingMessage, type ClientRequest, type OutgoingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { parseHost, type DaemonAddress } from './host.js';

/** Highest API version this client speaks. */
export const MAX_API_VERSION = '1.45';
/** What the Go client assumes when a server does not say. */
export const FALLBACK_API_VERSION = '1.24';

/** An HTTP error answered by the daemon: status plus the `message` of its JSON body. */
export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The daemon could not be reached at all (refused, no socket...). */
export class ConnectionError extends Error {
  constructor(readonly host: string, options?: { cause?: unknown }) {
    super(`Cannot connect to the berth daemon at ${host}. Is berthd running?`, options);
    this.name = 'ConnectionError';
  }
}

export type QueryValue = string | number | boolean | undefined | null | readonly string[];
export type Query = Record<string, QueryValue>;

export interface RequestOptions {
  query?: Query;
  /** JSON-encoded unless a Buffer/string/Readable. `undefined` = no body. */
  body?: unknown;
  headers?: OutgoingHttpHeaders;
  /** Send the request unversioned (`/_ping`). */
  unversioned?: boolean;
  signal?: AbortSignal;
}

export interface PingInfo {
  status: number;
  apiVersion?: string;
  osType?: string;
  experimental: boolean;
  builderVersion?: string;
}

export interface HijackedConnection {
  socket: Socket;
  /** Bytes that arrived with the 101 (already part of the stream). */
  head: Buffer;
  contentType: string;
}

/** Compares dotted API versions numerically. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d) return d < 0 ? -1 : 1;
  }
  return 0;
}

/** Builds a query string; booleans become `1`/`0`, arrays repeat the key, undefined/null are dropped. */
export function encodeQuery(q: Query | undefined): string {
  if (!q) return '';
  const parts: string[] = [];
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined || v === null) continue;
    const vals = Array.isArray(v) ? v : [typeof v === 'boolean' ? (v ? '1' : '0') : String(v)];
    for (const s of vals) parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(s)}`);
  }
  return parts.length ? `?${parts.join('&')}` : '';
}

function isConnectError(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' && ['ECONNREFUSED', 'ENOENT', 'EACCES', 'ECONNRESET', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE', 'ENOTSOCK'].includes(code);
}

async function readAll(res: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Turns a non-success response into an ApiError, with moby's client wording for odd bodies. */
async function toApiError(res: IncomingMessage, path: string): Promise<ApiError> {
  const status = res.statusCode ?? 0;
  const body = (await readAll(res)).toString('utf8');
  const ct = String(res.headers['content-type'] ?? '');
  if (ct === 'application/json' || ct.startsWith('application/json')) {
    try {
      const parsed = JSON.parse(body) as { message?: unknown };
      if (parsed && typeof parsed.message === 'string') return new ApiError(status, parsed.message);
    } catch { /* fall through to raw text */ }
  }
  if (!body.trim()) {
    return new ApiError(status, `request returned ${status} ${res.statusMessage ?? ''} for API route and version ${path}, check if the server supports the requested API version`.replace('  ', ' '));
  }
  return new ApiError(status, body.trim());
}

/**
 * Engine API client over node:http. Negotiates the API version once (HEAD /_ping, falling back to GET) and
 * prefixes every call with `/v<version>`, like the Go client.
 */
export class EngineClient {
  readonly address: DaemonAddress;
  private readonly agent: Agent;
  private version: string | undefined;
  private negotiating: Promise<string> | undefined;
  lastPing: PingInfo | undefined;

  constructor(opts: { host: string; version?: string }) {
    this.address = parseHost(opts.host);
    this.agent = new Agent({ keepAlive: true, maxSockets: 8 });
    this.version = opts.version;
  }

  get host(): string {
    return this.address.host;
  }

  /** The negotiated API version (negotiating on first use). */
  async apiVersion(): Promise<string> {
    if (this.version) return this.version;
    this.negotiating ??= this.negotiate();
    return this.negotiating;
  }

  private async negotiate(): Promise<string> {
    const p = await this.ping();
    const server = p.apiVersion || FALLBACK_API_VERSION;
    this.version = compareVersions(server, MAX_API_VERSION) < 0 ? server : MAX_API_VERSION;
    return this.version;
  }

  /** HEAD /_ping, retried as GET when HEAD answers neither 200 nor 500 (moby client). */
  async ping(): Promise<PingInfo> {
    let res = await this.send('HEAD', '/_ping', {});
    res.resume();
    if (res.statusCode !== 200 && res.statusCode !== 500) {
      res = await this.send('GET', '/_ping', {});
      res.resume();
    }
    const h = res.headers;
    const info: PingInfo = {
      status: res.statusCode ?? 0,
      experimental: h['docker-experimental'] === 'true',
    };
    if (typeof h['api-version'] === 'string') info.apiVersion = h['api-version'];
    if (typeof h['ostype'] === 'string') info.osType = h['ostype'];
    if (typeof h['builder-version'] === 'string') info.builderVersion = h['builder-version'];
    this.lastPing = info;
    return info;
  }

  private async path(path: string, opts: RequestOptions): Promise<string> {
    const prefix = opts.unversioned ? '' : `/v${await this.apiVersion()}`;
    return prefix + path + encodeQuery(opts.query);
  }

  private bodyOf(opts: RequestOptions): { data?: Buffer | string; stream?: Readable; headers: OutgoingHttpHeaders } {
    const headers: OutgoingHttpHeaders = { ...opts.headers };
    const b = opts.body;
    if (b === undefined) return { headers };
    if (Buffer.isBuffer(b) || typeof b === 'string') {
      headers['content-length'] = Buffer.byteLength(b);
      return { data: b, headers };
    }
    if (b && typeof (b as Readable).pipe === 'function') {
      headers['content-type'] ??= 'application/x-tar';
      return { stream: b as Readable, headers };
    }
    const data = JSON.stringify(b);
    headers['content-type'] = 'application/json';
    headers['content-length'] = Buffer.byteLength(data);
    return { data, headers };
  }

  private baseOptions(method: string, path: string, headers: OutgoingHttpHeaders) {
    const a = this.address;
    return {
      method,
      path,
      headers: { 'user-agent': 'berth-cli', ...headers },
      ...(a.socketPath ? { socketPath: a.socketPath, host: 'api.moby.localhost' } : { host: a.hostname, port: a.port }),
    };
  }

  /** Low-level send: resolves with the response once its headers arrived, whatever the status. */
  private send(method: string, fullPath: string, opts: RequestOptions): Promise<IncomingMessage> {
    const { data, stream, headers } = this.bodyOf(opts);
    return new Promise((resolve, reject) => {
      const req = httpRequest({ ...this.baseOptions(method, fullPath, headers), agent: this.agent, signal: opts.signal });
      req.on('response', resolve);
      req.on('error', (err) => reject(isConnectError(err) && !req.reusedSocket ? new ConnectionError(this.host, { cause: err }) : err));
      this.writeBody(req, data, stream, reject);
    });
  }

  private writeBody(req: ClientRequest, data: Buffer | string | undefined, stream: Readable | undefined, reject: (e: unknown) => void): void {
    if (stream) {
      stream.on('error', (e) => { req.destroy(e); reject(e); });
      stream.pipe(req);
    } else {
      req.end(data);
    }
  }

  /**
   * Sends a request and resolves with the response once headers arrive; 4xx/5xx become ApiError
   * (2xx and 3xx, e.g. 304 "already started", are success). The caller must consume the body.
   */
  async request(method: string, path: string, opts: RequestOptions = {}): Promise<IncomingMessage> {
    const full = await this.path(path, opts);
    const res = await this.send(method, full, opts);
    if ((res.statusCode ?? 0) >= 400) throw await toApiError(res, full);
    return res;
  }

  /** Request and parse a JSON reply (`undefined` for empty bodies such as 204). */
  async json<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const res = await this.request(method, path, opts);
    const body = await readAll(res);
    if (!body.length) return undefined as T;
    return JSON.parse(body.toString('utf8')) as T;
  }

  get<T>(path: string, query?: Query): Promise<T> {
    return this.json<T>('GET', path, { query });
  }

  /** Request whose reply body is ignored (204/304 answers). Resolves with the status. */
  async call(method: string, path: string, opts: RequestOptions = {}): Promise<number> {
    const res = await this.request(method, path, opts);
    await readAll(res);
    return res.statusCode ?? 0;
  }

  /**
   * Hijacked request (attach, exec start): sends `Connection: Upgrade` / `Upgrade: tcp`, expects 101 and gives
   * back the raw socket. Write stdin to it; `socket.end()` half-closes (stdin EOF) while output keeps flowing.
   */
  async hijack(method: string, path: string, opts: RequestOptions = {}): Promise<HijackedConnection> {
    const full = await this.path(path, opts);
    const { data, stream, headers } = this.bodyOf(opts);
    headers['connection'] = 'Upgrade';
    headers['upgrade'] = 'tcp';
    return new Promise<HijackedConnection>((resolve, reject) => {
      const req = httpRequest({ ...this.baseOptions(method, full, headers), agent: false, signal: opts.signal });
      req.on('upgrade', (res: IncomingMessage, socket: Socket, head: Buffer) => {
        if (res.statusCode !== 101) {
          socket.destroy();
          reject(new ApiError(res.statusCode ?? 0, `unexpected status ${res.statusCode} for hijacked request`));
          return;
        }
        socket.setNoDelay(true);
        resolve({ socket, head, contentType: String(res.headers['content-type'] ?? '') });
      });
      req.on('response', (res) => {
        // No upgrade: an error (or an old daemon answering 200 with a raw stream, which we do not accept).
        if ((res.statusCode ?? 0) >= 400) toApiError(res, full).then(reject, reject);
        else { res.resume(); reject(new ApiError(res.statusCode ?? 0, `server did not upgrade the connection (status ${res.statusCode})`)); }
      });
      req.on('error', (err) => reject(isConnectError(err) ? new ConnectionError(this.host, { cause: err }) : err));
      this.writeBody(req, data, stream, reject);
    });
  }

  /** Releases pooled keep-alive sockets. */
  close(): void {
    this.agent.destroy();
  }
}
