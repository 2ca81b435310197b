import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { log, InvalidArgumentError, NotFoundError, drained } from '../base/index.js';
import { toHttpError } from './http-errors.js';
import type { Router } from './router.js';

export const API_VERSION = '1.45';
export const MIN_API_VERSION = '1.24';

export interface ServerInfo { version: string }

export function commonHeaders(info: ServerInfo): Record<string, string> {
  return {
    'Api-Version': API_VERSION,
    Ostype: 'linux',
    'Docker-Experimental': 'false',
    Server: `Docker/${info.version} (linux)`,
  };
}

/** Splits `/v1.45/containers/json` into version and path; unversioned paths get our maximum. */
export function parseVersionedPath(pathname: string): { version: number; path: string } {
  const m = /^\/v(\d+\.\d+)(\/.*)$/.exec(pathname);
  if (!m) return { version: Number(API_VERSION), path: pathname };
  const version = Number(m[1]);
  if (versionLess(m[1]!, MIN_API_VERSION)) {
    throw new InvalidArgumentError(`client version ${m[1]} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`);
  }
  if (versionLess(API_VERSION, m[1]!)) {
    throw new InvalidArgumentError(`client version ${m[1]} is too new. Maximum supported API version is ${API_VERSION}`);
  }
  return { version, path: m[2]! };
}

function versionLess(a: string, b: string): boolean {
  const [a1, a2] = a.split('.').map(Number) as [number, number];
  const [b1, b2] = b.split('.').map(Number) as [number, number];
  return a1 < b1 || (a1 === b1 && a2 < b2);
}

export function sendError(res: ServerResponse, err: unknown): void {
  const e = toHttpError(err);
  if (!e.classified) log.error('request failed', { error: err instanceof Error ? err.stack ?? err.message : String(err) });
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (e.status === 304) {
    res.writeHead(304).end();
    return;
  }
  const body = JSON.stringify({ message: e.message });
  res.writeHead(e.status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

/** Writes a plain HTTP error response on a raw (hijacked) socket and closes it. */
export function sendSocketError(socket: Duplex, err: unknown, info: ServerInfo): void {
  const e = toHttpError(err);
  const body = JSON.stringify({ message: e.message });
  const headers = { ...commonHeaders(info), 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)), Connection: 'close' };
  const head = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  socket.end(`HTTP/1.1 ${e.status} ${e.status === 404 ? 'Not Found' : e.status === 409 ? 'Conflict' : 'Error'}\r\n${head}\r\n${body}`);
}

export function createApiServer(router: Router, info: ServerInfo): Server {
  const headers = commonHeaders(info);
  const server = createServer({ requestTimeout: 0, headersTimeout: 0, keepAliveTimeout: 5 * 60_000 }, (req, res) => {
    for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
    handle(router, req, res).catch((err: unknown) => sendError(res, err));
  });
  server.timeout = 0;
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    handleUpgrade(router, req, socket, head, info).catch((err: unknown) => {
      if (!socket.destroyed) sendSocketError(socket, err, info);
    });
  });
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n\r\n{"message":"bad request"}');
  });
  return server;
}

function abortOnClose(req: IncomingMessage, res?: ServerResponse): AbortSignal {
  const ac = new AbortController();
  const onClose = (): void => ac.abort();
  (res ?? req).once('close', onClose);
  req.socket.once('close', onClose);
  return ac.signal;
}

async function handle(router: Router, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://berth');
  const { version, path } = parseVersionedPath(url.pathname);
  const match = router.match(req.method ?? 'GET', path);
  if (match === undefined) throw new NotFoundError('page not found');
  if (match === 'method-not-allowed') throw new NotFoundError('page not found');
  const signal = abortOnClose(req, res);
  const ctx = { req, res, params: match.params, query: url.searchParams, version, signal };
  if (match.route.hijack && req.method === 'POST') {
    // The plain (non-upgrade) form of attach/exec start: stream on the response itself.
    await match.route.handler(ctx);
    return;
  }
  await match.route.handler(ctx);
}

async function handleUpgrade(router: Router, req: IncomingMessage, socket: Duplex, head: Buffer, info: ServerInfo): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://berth');
  const { version, path } = parseVersionedPath(url.pathname);
  const match = router.match(req.method ?? 'GET', path);
  if (match === undefined || match === 'method-not-allowed' || !match.route.hijack) {
    sendSocketError(socket, new NotFoundError('page not found'), info);
    return;
  }
  const ac = new AbortController();
  socket.once('close', () => ac.abort());
  await match.route.hijack({ req, socket, head, params: match.params, query: url.searchParams, version, signal: ac.signal, upgrade: true });
}

/** Sends a JSON reply. */
export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

/** Starts a streamed (chunked) JSON reply: headers flushed at once. */
export function startStream(res: ServerResponse, contentType = 'application/json'): void {
  res.writeHead(200, { 'Content-Type': contentType });
  res.flushHeaders();
}

/** Writes one value of a JSON stream, honouring backpressure; nothing once the response is destroyed. */
export async function writeJsonLine(res: ServerResponse, value: unknown): Promise<void> {
  if (res.destroyed) return; // a write would fail without 'close' coming again: waiting for it would hang
  if (!res.write(JSON.stringify(value) + '\n') && !res.destroyed) await drained(res);
}
