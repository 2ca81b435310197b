/**
 * Interactive streams: attach (hijacked, plain and websocket), resize, and exec (create, start, inspect, resize).
 * engine-api.md §4: the request body is consumed first, errors go out as plain HTTP before the hijack, the 101 is
 * written alone, then raw bytes (TTY) or stdcopy frames; a client half-close is only the end of stdin.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex, Writable } from 'node:stream';
import { DEFAULT_DETACH_KEYS, DetachKeyMatcher, InvalidArgumentError, drained, parseDetachKeys } from '../../base/index.js';
import { parseAttachPacket, type ExecCreateBody, type OutputKind } from '../../containers/index.js';
import type { Engine } from '../../engine/index.js';
import { frame, readLogs } from '../../logs/index.js';
import { boolParam, intParam, readJsonBody } from '../params.js';
import type { RequestContext, Router, UpgradeContext } from '../router.js';
import { commonHeaders, sendJson } from '../server.js';
import { acceptWebsocket, WebsocketConnection } from './websocket.js';

/** Content types of attach, exec and logs streams. */
export const MULTIPLEXED = 'application/vnd.docker.multiplexed-stream';
export const RAW = 'application/vnd.docker.raw-stream';

/** Detach keys of a request: its own, else daemon.json's `detach-keys`, else ctrl-p,ctrl-q. */
export function detachKeysFor(engine: Engine, requested: string | null | undefined): Buffer {
  const keys = requested || engine.config.detachKeys || DEFAULT_DETACH_KEYS;
  return parseDetachKeys(keys);
}

/** Resolves with the next chunk of a paused socket (null at its end); leaves it paused. */
function nextChunk(socket: Duplex): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const done = (b: Buffer | null): void => {
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      socket.pause();
      resolve(b);
    };
    const onData = (b: Buffer): void => done(b);
    const onEnd = (): void => done(null);
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('close', onEnd);
    socket.resume();
  });
}

/** Reads an upgraded request's body from `head` and the socket; what follows it is stdin (`rest`). */
export async function readUpgradeBody(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<{ body: Buffer; rest: Buffer }> {
  let buf = head;
  const more = async (): Promise<boolean> => {
    const b = await nextChunk(socket);
    if (!b) return false;
    buf = Buffer.concat([buf, b]);
    return true;
  };
  if (/chunked/i.test(String(req.headers['transfer-encoding'] ?? ''))) {
    const parts: Buffer[] = [];
    let off = 0;
    for (;;) {
      let nl = buf.indexOf('\r\n', off);
      while (nl < 0) {
        if (!(await more())) return { body: Buffer.concat(parts), rest: Buffer.alloc(0) };
        nl = buf.indexOf('\r\n', off);
      }
      const size = Number.parseInt(buf.subarray(off, nl).toString().split(';')[0]!.trim(), 16);
      if (!Number.isFinite(size)) throw new InvalidArgumentError('invalid chunked request body');
      off = nl + 2;
      if (size === 0) {
        // Trailers (none expected) end with an empty line.
        for (;;) {
          let end = buf.indexOf('\r\n', off);
          while (end < 0) {
            if (!(await more())) return { body: Buffer.concat(parts), rest: Buffer.alloc(0) };
            end = buf.indexOf('\r\n', off);
          }
          const empty = end === off;
          off = end + 2;
          if (empty) return { body: Buffer.concat(parts), rest: buf.subarray(off) };
        }
      }
      while (buf.length < off + size + 2) if (!(await more())) throw new InvalidArgumentError('truncated request body');
      parts.push(buf.subarray(off, off + size));
      off += size + 2;
    }
  }
  const len = Number(req.headers['content-length'] ?? 0) || 0;
  while (buf.length < len) if (!(await more())) break;
  return { body: buf.subarray(0, len), rest: buf.subarray(len) };
}

function upgradeHead(contentType: string, upgrade: boolean): string {
  const headers: Record<string, string> = { 'Content-Type': contentType, ...commonHeaders({ version: '0.1.0' }) };
  if (upgrade) Object.assign(headers, { Connection: 'Upgrade', Upgrade: 'tcp' });
  const status = upgrade ? '101 UPGRADED' : '200 OK';
  return `HTTP/1.1 ${status}\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
}

/** Writes to a client stream; resolves when it drained (backpressure), or at once. */
function writeOut(out: Writable, data: Buffer): void | Promise<void> {
  if (out.destroyed || out.writableEnded) return;
  if (out.write(data)) return;
  return drained(out);
}

function framed(kind: OutputKind, data: Buffer, tty: boolean): Buffer {
  return tty ? data : frame(kind === 'stdout' ? 1 : 2, data);
}

/** Input side of a hijacked session: stdin through the detach keys (TTY only), and the client's half-close. */
function pumpInput(client: Duplex, rest: Buffer, o: {
  stdin: boolean;
  tty: boolean;
  keys: Buffer;
  write(b: Buffer): void;
  /** The client ended its input. */
  onEof(): void;
  onDetach(): void;
}): void {
  const matcher = o.tty ? new DetachKeyMatcher(o.keys) : undefined;
  let detached = false;
  const onData = (b: Buffer): void => {
    if (detached || !o.stdin) return;
    if (!matcher) {
      o.write(b);
      return;
    }
    const r = matcher.push(b);
    if (r.data.length) o.write(r.data);
    if (r.detached) {
      detached = true;
      o.onDetach();
    }
  };
  if (rest.length) onData(rest);
  client.on('data', onData);
  client.once('end', () => {
    if (detached) return;
    if (o.stdin && matcher) {
      const held = matcher.flush();
      if (held.length) o.write(held);
    }
    o.onEof();
  });
  client.resume();
}

// ---------------------------------------------------------------------------------------------- attach

interface AttachRequest {
  id: string;
  query: URLSearchParams;
  version: number;
  signal: AbortSignal;
}

/**
 * One attach session on `client` (a hijacked socket, or an HTTP response with no input). Returns when the session
 * is over; the caller ends the client stream.
 */
async function runAttach(engine: Engine, r: AttachRequest, out: Writable, input: { socket: Duplex; rest: Buffer } | undefined, writeHead: () => void): Promise<void> {
  const svc = engine.containers;
  const c = svc.get(r.id);
  const rec = c.rec;
  const tty = !!rec.Config.Tty;
  const wantIn = !!input && boolParam(r.query, 'stdin') && !!rec.Config.OpenStdin;
  const wantOut = boolParam(r.query, 'stdout');
  const wantErr = boolParam(r.query, 'stderr');
  const keys = detachKeysFor(engine, r.query.get('detachKeys'));
  const ac = new AbortController();
  const onAbort = (): void => ac.abort();
  r.signal.addEventListener('abort', onAbort, { once: true });
  // Live output is held while the logs are replayed, then released in order.
  let held: Buffer[] | undefined = boolParam(r.query, 'logs') ? [] : undefined;
  const session = svc.attachSession(r.id, (kind, data) => {
    if (kind === 'stdout' ? !wantOut : !wantErr) return;
    const b = framed(kind, data, tty);
    if (held) {
      held.push(b);
      return;
    }
    return writeOut(out, b);
  }, ac.signal);
  writeHead();
  svc.containerEvent(rec.Id, 'attach');
  let detached = false;
  const ended = new Promise<void>((resolve) => {
    if (input) {
      pumpInput(input.socket, input.rest, {
        stdin: wantIn,
        tty,
        keys,
        write: (b) => session.write(b),
        onEof: () => {
          if (!wantIn) return;
          if (rec.Config.StdinOnce && !tty) session.closeStdin();
          else resolve();
        },
        onDetach: () => {
          detached = true;
          resolve();
        },
      });
    }
  });
  try {
    if (held) {
      const logs = readLogs(rec.LogPath, { follow: false, stdout: wantOut, stderr: wantErr, signal: ac.signal });
      for await (const e of logs) {
        const w = writeOut(out, tty ? e.line : frame(e.stream === 'stdout' ? 1 : 2, e.line));
        if (w) await w;
      }
      const pending = held;
      held = undefined;
      for (const b of pending) {
        const w = writeOut(out, b);
        if (w) await w;
      }
    }
    await Promise.race([session.done, ended]);
    if (detached) svc.containerEvent(rec.Id, 'detach');
  } finally {
    ac.abort();
    r.signal.removeEventListener('abort', onAbort);
  }
}

async function hijackAttach(engine: Engine, ctx: UpgradeContext): Promise<void> {
  const id = ctx.params['id']!;
  const rec = engine.containers.get(id).rec; // 404 before the hijack
  detachKeysFor(engine, ctx.query.get('detachKeys')); // 400 before the hijack
  const { rest } = await readUpgradeBody(ctx.req, ctx.socket, ctx.head);
  const socket = ctx.socket;
  socket.on('error', () => undefined);
  const type = rec.Config.Tty || ctx.version < 1.42 ? RAW : MULTIPLEXED;
  await runAttach(engine, { id, query: ctx.query, version: ctx.version, signal: ctx.signal }, socket, { socket, rest }, () => {
    socket.write(upgradeHead(type, ctx.upgrade));
  });
  if (!socket.destroyed) socket.end();
}

async function plainAttach(engine: Engine, ctx: RequestContext): Promise<void> {
  const id = ctx.params['id']!;
  const rec = engine.containers.get(id).rec;
  detachKeysFor(engine, ctx.query.get('detachKeys'));
  const type = rec.Config.Tty || ctx.version < 1.42 ? RAW : MULTIPLEXED;
  await runAttach(engine, { id, query: ctx.query, version: ctx.version, signal: ctx.signal }, ctx.res, undefined, () => {
    ctx.res.writeHead(200, { 'Content-Type': type });
    ctx.res.flushHeaders();
  });
  ctx.res.end();
}

/** GET /containers/{id}/attach/ws: the raw stream over websocket messages (binary frames; text below 1.42). */
async function websocketAttach(engine: Engine, ctx: UpgradeContext): Promise<void> {
  const id = ctx.params['id']!;
  engine.containers.get(id); // 404 before the handshake
  detachKeysFor(engine, ctx.query.get('detachKeys'));
  const accept = acceptWebsocket(ctx.req);
  const ws = new WebsocketConnection(ctx.socket, ctx.head, ctx.version >= 1.42 ? 'binary' : 'text');
  const query = new URLSearchParams(ctx.query);
  // moby's websocket attach always uses the raw stream; stdin/stdout/stderr come from the query as for attach.
  await runAttach(engine, { id, query, version: ctx.version, signal: ctx.signal }, ws.output, { socket: ws.input, rest: Buffer.alloc(0) }, () => {
    ctx.socket.write(accept);
  });
  ws.close();
}

// ---------------------------------------------------------------------------------------------- exec

interface ExecStartBody { Detach?: boolean; Tty?: boolean; ConsoleSize?: number[] | null }

function parseExecStartBody(body: Buffer): ExecStartBody {
  const text = body.toString('utf8').trim();
  if (!text) return {};
  try {
    return (JSON.parse(text) ?? {}) as ExecStartBody;
  } catch (err) {
    throw new InvalidArgumentError(`invalid JSON body: ${(err as Error).message}`);
  }
}

/** Runs a started exec's streams against the client; ends when the process's output is over and its exit recorded. */
async function runExec(engine: Engine, execId: string, b: ExecStartBody, out: Writable, input: { socket: Duplex; rest: Buffer } | undefined, writeHead: () => void): Promise<void> {
  const execs = engine.containers.execs;
  const cfg = execs.configOf(execId);
  const framingTty = b.Tty ?? !!cfg.Tty;
  const keys = detachKeysFor(engine, cfg.DetachKeys);
  writeHead();
  const started = await execs.start(execId, { ...(b.ConsoleSize ? { consoleSize: b.ConsoleSize } : {}) });
  if (!started.handle) {
    const text = Buffer.from(`${started.error ?? 'exec failed'}\r\n`);
    const w = writeOut(out, framingTty ? text : frame(1, text));
    if (w) await w;
    return;
  }
  const proc = started.handle.socket;
  let clientGone = false;
  let detached = false;
  const outputEnded = new Promise<void>((resolve) => {
    proc.on('data', (packet: Buffer) => {
      if (clientGone || detached) return;
      const p = parseAttachPacket(packet);
      if (!p || (p.kind === 'stdout' ? !cfg.AttachStdout : !cfg.AttachStderr)) return;
      const w = writeOut(out, framed(p.kind, p.data, framingTty));
      if (w) {
        proc.pause();
        void w.then(() => proc.resume());
      }
    });
    proc.once('end', () => resolve());
    proc.once('close', () => resolve());
  });
  const stop = new Promise<void>((resolve) => {
    out.once('close', () => {
      clientGone = true;
      resolve();
    });
    if (input) {
      pumpInput(input.socket, input.rest, {
        stdin: !!cfg.AttachStdin,
        tty: !!cfg.Tty,
        keys,
        write: (d) => { if (!proc.destroyed && proc.writable) proc.write(d); },
        onEof: () => { if (cfg.AttachStdin && !proc.destroyed && proc.writable) proc.end(); },
        onDetach: () => {
          detached = true;
          resolve();
        },
      });
    }
  });
  await Promise.race([outputEnded.then(() => started.finished), stop]);
  if (clientGone || detached) proc.resume(); // keep draining: the process runs on
}

async function hijackExecStart(engine: Engine, ctx: UpgradeContext): Promise<void> {
  const id = ctx.params['id']!;
  const execs = engine.containers.execs;
  const { body, rest } = await readUpgradeBody(ctx.req, ctx.socket, ctx.head);
  const b = parseExecStartBody(body);
  const cfg = execs.configOf(id); // 404
  execs.checkStart(id); // 409
  const socket = ctx.socket;
  socket.on('error', () => undefined);
  if (b.Detach) {
    await execs.start(id, { detach: true, ...(b.ConsoleSize ? { consoleSize: b.ConsoleSize } : {}) });
    socket.end(upgradeHead('application/json', false).replace('\r\n\r\n', '\r\nContent-Length: 0\r\n\r\n'));
    return;
  }
  const type = (b.Tty ?? cfg.Tty) || ctx.version < 1.42 ? RAW : MULTIPLEXED;
  await runExec(engine, id, b, socket, { socket, rest }, () => {
    socket.write(upgradeHead(type, ctx.upgrade));
  });
  if (!socket.destroyed) socket.end();
}

async function plainExecStart(engine: Engine, ctx: RequestContext): Promise<void> {
  const id = ctx.params['id']!;
  const execs = engine.containers.execs;
  const b = ((await readJsonBody<ExecStartBody>(ctx.req)) ?? {});
  const cfg = execs.configOf(id);
  execs.checkStart(id);
  if (b.Detach) {
    await execs.start(id, { detach: true, ...(b.ConsoleSize ? { consoleSize: b.ConsoleSize } : {}) });
    ctx.res.writeHead(200, { 'Content-Length': 0 }).end();
    return;
  }
  const type = (b.Tty ?? cfg.Tty) || ctx.version < 1.42 ? RAW : MULTIPLEXED;
  await runExec(engine, id, b, ctx.res, undefined, () => {
    ctx.res.writeHead(200, { 'Content-Type': type });
    ctx.res.flushHeaders();
  });
  ctx.res.end();
}

function sizeParams(query: URLSearchParams): { h: number; w: number } {
  const h = intParam(query, 'h') ?? 0;
  const w = intParam(query, 'w') ?? 0;
  if (h < 0 || w < 0 || h > 65535 || w > 65535) throw new InvalidArgumentError('invalid terminal size');
  return { h, w };
}

function ok(res: ServerResponse): void {
  res.writeHead(200, { 'Content-Length': 0 }).end();
}

export function streamRoutes(r: Router, engine: Engine): void {
  const svc = engine.containers;
  r.post('/containers/{id}/attach', (ctx) => plainAttach(engine, ctx), (ctx) => hijackAttach(engine, ctx));
  r.add('GET', '/containers/{id}/attach/ws', async () => {
    throw new InvalidArgumentError('websocket attach needs an Upgrade: websocket request');
  }, (ctx) => websocketAttach(engine, ctx));
  r.post('/containers/{id}/resize', async ({ res, params, query }) => {
    const { h, w } = sizeParams(query);
    await svc.resize(params['id']!, h, w);
    ok(res);
  });
  r.post('/containers/{id}/exec', async ({ req, res, params }) => {
    const body = ((await readJsonBody<ExecCreateBody>(req)) ?? {});
    sendJson(res, 201, svc.execs.create(params['id']!, body));
  });
  r.post('/exec/{id}/start', (ctx) => plainExecStart(engine, ctx), (ctx) => hijackExecStart(engine, ctx));
  r.post('/exec/{id}/resize', async ({ res, params, query }) => {
    const { h, w } = sizeParams(query);
    await svc.execs.resize(params['id']!, h, w);
    ok(res);
  });
  r.get('/exec/{id}/json', async ({ res, params }) => {
    sendJson(res, 200, svc.execs.inspect(params['id']!));
  });
}
