import type { IncomingMessage } from 'node:http';
import { DEFAULT_DETACH_KEYS, DetachKeyMatcher, parseDetachKeys } from '../../base/index.js';
import { demuxStream, copyStream, type EngineClient, type HijackedConnection } from '../../client/index.js';
import type { Ctx } from '../command.js';
import { StatusError, errorText } from '../errors.js';

const enc = encodeURIComponent;

/** Signals forwarded to the container when not on a TTY (docker's sig-proxy). */
export const PROXIED_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];

export interface AttachOptions {
  tty: boolean;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  detachKeys?: string | undefined;
}

/** POST /containers/{id}/attach, upgraded. */
export function attachContainer(client: EngineClient, id: string, o: AttachOptions): Promise<HijackedConnection> {
  return client.hijack('POST', `/containers/${enc(id)}/attach`, {
    query: { stream: '1', stdin: o.stdin ? '1' : undefined, stdout: o.stdout ? '1' : undefined, stderr: o.stderr ? '1' : undefined, detachKeys: o.detachKeys },
  });
}

/** Sends the wait request and resolves once its headers arrived (the CLI must not start before that). */
export async function waitHeaders(client: EngineClient, id: string, condition: string | undefined): Promise<{ status: Promise<number>; cancel(): void }> {
  const res: IncomingMessage = await client.request('POST', `/containers/${enc(id)}/wait`, { query: { condition } });
  const status = (async () => {
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8').trim();
    if (!text) throw new Error('unexpected EOF waiting for the container');
    const r = JSON.parse(text.split('\n')[0]!) as { StatusCode: number; Error?: { Message?: string } | null };
    if (r.Error?.Message) throw new Error(r.Error.Message);
    return r.StatusCode;
  })();
  return { status, cancel: () => res.destroy() };
}

/** The user typed the detach sequence (docker's term.EscapeError). */
export class DetachedError extends Error {
  constructor() {
    super('read escape sequence');
    this.name = 'DetachedError';
  }
}

function detachMatcher(keys: string | undefined): DetachKeyMatcher {
  try {
    return new DetachKeyMatcher(parseDetachKeys(keys || DEFAULT_DETACH_KEYS));
  } catch {
    return new DetachKeyMatcher(parseDetachKeys(DEFAULT_DETACH_KEYS));
  }
}

/**
 * Pumps the hijacked stream to the CLI's stdout/stderr and stdin to it; resolves when the output ends, rejects
 * with DetachedError when the user typed the detach keys (TTY only, as docker's escape proxy).
 */
export function pumpStreams(ctx: Ctx, conn: HijackedConnection, o: AttachOptions): Promise<void> {
  const { socket } = conn;
  if (conn.head.length) socket.unshift(conn.head);
  let onDetach: (() => void) | undefined;
  const detached = new Promise<never>((_, reject) => (onDetach = () => reject(new DetachedError())));
  detached.catch(() => undefined);
  if (o.stdin) {
    const matcher = o.tty ? detachMatcher(o.detachKeys) : undefined;
    const stop = (): void => { ctx.stdin.off('data', onData); ctx.stdin.pause(); };
    const onData = (b: Buffer) => {
      if (socket.destroyed) return;
      if (!matcher) { socket.write(b); return; }
      const r = matcher.push(b);
      if (r.data.length) socket.write(r.data);
      if (r.detached) {
        stop();
        socket.destroy();
        onDetach?.();
      }
    };
    ctx.stdin.on('data', onData);
    ctx.stdin.once('end', () => { if (!socket.destroyed) socket.end(); });
    socket.once('close', stop);
  } else {
    // No stdin: half-close right away; output keeps flowing (docker's CloseWrite).
    socket.end();
  }
  const out = o.tty ? copyStream(socket, ctx.stdout) : demuxStream(socket, ctx.stdout, ctx.stderr);
  return Promise.race([out.catch((err: unknown) => {
    if ((err as { code?: string })?.code === 'ECONNRESET' || (err as { code?: string })?.code === 'ERR_STREAM_PREMATURE_CLOSE') return;
    throw err;
  }), detached]);
}

/** Installs signal forwarding (POST /kill?signal=INT); returns the uninstaller. */
export function proxySignals(ctx: Ctx, client: EngineClient, id: string): () => void {
  if (!ctx.onSignal) return () => undefined;
  const removers = PROXIED_SIGNALS.map((sig) => ctx.onSignal!(sig, () => {
    client.call('POST', `/containers/${enc(id)}/kill`, { query: { signal: sig.replace(/^SIG/, '') } }).catch(() => undefined);
  }));
  return () => { for (const r of removers) r(); };
}

/** Puts a terminal stdin in raw mode and keeps the container's TTY size in sync; returns the restorer. */
export function setupTty(ctx: Ctx, client: EngineClient, id: string, kind: 'containers' | 'exec'): () => void {
  const cleanups: (() => void)[] = [];
  if (ctx.stdin.isTTY && ctx.stdin.setRawMode) {
    ctx.stdin.setRawMode(true);
    cleanups.push(() => ctx.stdin.setRawMode?.(false));
  }
  if (ctx.stdout.isTTY) {
    const resize = () => {
      const h = ctx.stdout.rows ?? 0;
      const w = ctx.stdout.columns ?? 0;
      if (!h || !w) return;
      client.call('POST', `/${kind}/${enc(id)}/resize`, { query: { h, w } }).catch(() => undefined);
    };
    resize();
    ctx.stdout.on('resize', resize);
    cleanups.push(() => ctx.stdout.off('resize', resize));
  }
  return () => { for (const c of cleanups.reverse()) c(); };
}

/** The terminal size as `[h, w]` for HostConfig.ConsoleSize, or undefined off a terminal. */
export function consoleSize(ctx: Ctx): [number, number] | undefined {
  if (!ctx.stdout.isTTY || !ctx.stdout.rows || !ctx.stdout.columns) return undefined;
  return [ctx.stdout.rows, ctx.stdout.columns];
}

export interface AttachedRunOptions extends AttachOptions {
  waitCondition: 'next-exit' | 'removed';
  sigProxy: boolean;
  /** Wraps start errors (run → 125/126/127). */
  onStartError(err: unknown): never;
}

/** attach → wait (headers) → start → pump → exit code; docker's attached run/start flow (engine-api.md §3). */
export async function attachedRun(ctx: Ctx, id: string, o: AttachedRunOptions): Promise<number> {
  const client = ctx.client();
  const conn = await attachContainer(client, id, o);
  let statusP: Promise<number>;
  let cancelWait = (): void => undefined;
  try {
    const w = await waitHeaders(client, id, o.waitCondition);
    statusP = w.status;
    cancelWait = w.cancel;
  } catch (err) {
    conn.socket.destroy();
    throw err;
  }
  statusP.catch(() => undefined);
  const output = pumpStreams(ctx, conn, o);
  output.catch(() => undefined);
  try {
    await client.call('POST', `/containers/${enc(id)}/start`);
  } catch (err) {
    conn.socket.destroy();
    if (o.waitCondition === 'removed') await statusP.catch(() => undefined);
    o.onStartError(err);
  }
  const restoreTty = o.tty ? setupTty(ctx, client, id, 'containers') : () => undefined;
  const unproxy = o.sigProxy && !o.tty ? proxySignals(ctx, client, id) : () => undefined;
  try {
    try {
      await output;
    } catch (err) {
      if (err instanceof DetachedError) {
        // docker run/start: the detach sequence ends the CLI quietly with 0; the container keeps running.
        cancelWait();
        return 0;
      }
      await ctx.stderr.write(`Error: ${errorText(err)}\n`);
    }
    if (o.stdin) ctx.stdin.pause();
    try {
      return await statusP;
    } catch (err) {
      throw new StatusError(125, errorText(err));
    }
  } finally {
    unproxy();
    restoreTty();
  }
}

/** `start -a [-i]`: inspect, then the attached flow. */
export async function startContainer(ctx: Ctx, name: string, opts: { interactive: boolean; detachKeys?: string | undefined }): Promise<number> {
  const client = ctx.client();
  const info = await client.json<{ Id: string; Config: { Tty?: boolean; OpenStdin?: boolean }; HostConfig: { AutoRemove?: boolean } }>('GET', `/containers/${enc(name)}/json`);
  const tty = !!info.Config?.Tty;
  return attachedRun(ctx, info.Id, {
    tty,
    stdin: opts.interactive && !!info.Config?.OpenStdin,
    stdout: true,
    stderr: true,
    detachKeys: opts.detachKeys,
    waitCondition: info.HostConfig?.AutoRemove ? 'removed' : 'next-exit',
    sigProxy: true,
    onStartError: (err) => { throw new StatusError(1, errorText(err)); },
  });
}
