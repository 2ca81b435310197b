/**
 * The attach point of a container: the daemon's one connection (per run) to conmon's attach socket, shared by every
 * attach session. conmon closes the container's stdin when a connection to its attach socket ends (unless
 * --leave-stdin-open), so sessions never own a connection: they write stdin to the shared one, and only a
 * StdinOnce (non-TTY) session shuts its write side to close stdin.
 *
 * Packets from conmon: one byte (2 = stdout, 3 = stderr; conmon's STDOUT_PIPE/STDERR_PIPE) then the data. The
 * connection ends when conmon exits: the container has exited and its output is drained.
 */
import type { Duplex } from 'node:stream';

export type OutputKind = 'stdout' | 'stderr';
/** Returns a promise to ask for backpressure: the shared connection pauses until it settles. */
export type OutputListener = (kind: OutputKind, data: Buffer) => void | Promise<void>;

interface Hub { socket: Duplex; ended: Promise<void> }

export interface AttachSession {
  /** Stdin for the container's current (or next) run; queued until that run's connection exists. */
  write(data: Buffer): void;
  /** Shuts the shared connection's write side: conmon closes the container's stdin. */
  closeStdin(): void;
  /** Resolves when the output is over (the run ended), the run failed to start, or the signal aborted. */
  done: Promise<void>;
}

/** Splits one conmon attach packet. */
export function parseAttachPacket(packet: Buffer): { kind: OutputKind; data: Buffer } | undefined {
  if (packet.length < 1) return undefined;
  const t = packet[0];
  if (t === 2) return { kind: 'stdout', data: packet.subarray(1) };
  if (t === 3) return { kind: 'stderr', data: packet.subarray(1) };
  return undefined;
}

export class AttachPoint {
  private hub: Hub | undefined;
  private readonly listeners = new Set<OutputListener>();
  private readonly waiting = new Set<(hub: Hub | undefined) => void>();

  get connected(): boolean {
    return !!this.hub;
  }

  /** Takes the connection of a new run (connected after `runtime create`, before `start`). */
  connect(socket: Duplex): void {
    this.hub?.socket.destroy();
    let resolveEnded!: () => void;
    const ended = new Promise<void>((r) => (resolveEnded = r));
    const hub: Hub = { socket, ended };
    this.hub = hub;
    const finish = (): void => {
      if (this.hub === hub) this.hub = undefined;
      socket.destroy();
      resolveEnded();
    };
    socket.on('data', (packet: Buffer) => {
      const p = parseAttachPacket(packet);
      if (!p) return;
      const pending: Promise<void>[] = [];
      for (const l of this.listeners) {
        try {
          const r = l(p.kind, p.data);
          if (r) pending.push(r);
        } catch {
          /* a listener's failure is its own */
        }
      }
      if (pending.length) {
        socket.pause();
        void Promise.allSettled(pending).then(() => socket.resume());
      }
    });
    socket.on('end', finish);
    socket.on('close', finish);
    socket.on('error', finish);
    for (const w of this.waiting) w(hub);
    this.waiting.clear();
  }

  /** The run that sessions were waiting for will not happen (start failed, container removed). */
  abandon(): void {
    for (const w of this.waiting) w(undefined);
    this.waiting.clear();
  }

  /** Closes the daemon's connection (daemon shutdown; the container keeps running). */
  close(): void {
    this.hub?.socket.destroy();
    this.hub = undefined;
  }

  session(onOutput: OutputListener, signal: AbortSignal): AttachSession {
    this.listeners.add(onOutput);
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<undefined>((r) => {
      onAbort = () => r(undefined);
      if (signal.aborted) r(undefined);
      else signal.addEventListener('abort', onAbort, { once: true });
    });
    let hubP: Promise<Hub | undefined>;
    if (this.hub) {
      hubP = Promise.resolve(this.hub);
    } else {
      hubP = new Promise<Hub | undefined>((resolve) => {
        this.waiting.add(resolve);
        void aborted.then(() => {
          this.waiting.delete(resolve);
          resolve(undefined);
        });
      });
    }
    const done = (async () => {
      const hub = await hubP;
      if (hub) await Promise.race([hub.ended, aborted]);
    })().finally(() => {
      this.listeners.delete(onOutput);
      if (onAbort) signal.removeEventListener('abort', onAbort);
    });
    return {
      write: (data) => {
        void hubP.then((h) => {
          if (h && !h.socket.destroyed && h.socket.writable) h.socket.write(data);
        });
      },
      closeStdin: () => {
        void hubP.then((h) => {
          if (h && !h.socket.destroyed && h.socket.writable) h.socket.end();
        });
      },
      done,
    };
  }
}
