import { InvalidArgumentError, log } from '../base/index.js';

export type EventType = 'container' | 'image' | 'volume' | 'network' | 'daemon';

export interface EventActor {
  ID: string;
  Attributes: Record<string, string>;
}

export interface EventInput {
  Type: EventType;
  Action: string;
  Actor: EventActor;
  /** The image as given (container events only). */
  from?: string;
}

/** An event as sent on `GET /events` (legacy `status`/`id`/`from` first, like moby). */
export interface Event {
  status?: string;
  id?: string;
  from?: string;
  Type: EventType;
  Action: string;
  Actor: EventActor;
  scope: 'local';
  /** Seconds since the epoch. */
  time: number;
  /** Nanoseconds since the epoch (a JSON number: exact to ~256 ns). */
  timeNano: number;
}

export interface SubscribeOptions {
  /** Replay history from this instant (ns since the epoch, inclusive). */
  since?: bigint;
  /** Stop at this instant (ns, inclusive); a past `until` ends right after the replay. */
  until?: bigint;
  /** Docker's events filters; values of one key are OR-ed, keys (and `label` values) AND-ed. */
  filters?: Record<string, string[]>;
  signal?: AbortSignal;
}

export const EVENT_FILTER_KEYS = ['container', 'image', 'volume', 'network', 'daemon', 'type', 'event', 'label', 'scope'] as const;

interface Stamped { ev: Event; ns: bigint }

interface Subscriber {
  push(s: Stamped): void;
  close(): void;
}

/** Validates filters; returns a predicate. Throws InvalidArgumentError(`invalid filter '<key>'`) on unknown keys. */
export function eventFilter(filters: Record<string, string[]> = {}): (e: Event) => boolean {
  for (const k of Object.keys(filters)) {
    if (!(EVENT_FILTER_KEYS as readonly string[]).includes(k)) throw new InvalidArgumentError(`invalid filter '${k}'`);
  }
  const vals = (k: string): string[] => filters[k] ?? [];
  const exact = (k: string, v: string): boolean => vals(k).length === 0 || vals(k).includes(v);
  const fuzzy = (k: string, v: string | undefined): boolean =>
    vals(k).length === 0 || (v !== undefined && vals(k).some((f) => v === f || v.startsWith(f)));
  const byName = (k: string, e: Event): boolean => fuzzy(k, e.Actor.ID) || fuzzy(k, e.Actor.Attributes['name']);
  const fuzzyEvent = vals('event').some((v) => v === 'health_status' || v === 'exec_create' || v === 'exec_start' || v === 'exec_die');
  return (e) => {
    const a = e.Actor.Attributes;
    if (fuzzyEvent ? !fuzzy('event', e.Action) : !exact('event', e.Action)) return false;
    if (!exact('type', e.Type)) return false;
    if (!exact('scope', e.scope)) return false;
    if (!byName('container', e) || !byName('volume', e) || !byName('network', e) || !byName('daemon', e)) return false;
    if (vals('image').length) {
      const name = (e.Type === 'image' ? a['name'] : a['image']) ?? '';
      const cands = [e.Actor.ID, name, stripTag(e.Actor.ID), stripTag(name)];
      if (!cands.some((c) => c !== '' && vals('image').includes(c))) return false;
    }
    for (const l of vals('label')) {
      const eq = l.indexOf('=');
      if (eq < 0 ? !(l in a) : a[l.slice(0, eq)] !== l.slice(eq + 1)) return false;
    }
    return true;
  };
}

/** `alpine:3` → `alpine`, `repo@sha256:…` → `repo`; a registry port is not a tag. */
function stripTag(ref: string): string {
  const at = ref.indexOf('@');
  if (at >= 0) return ref.slice(0, at);
  const colon = ref.lastIndexOf(':');
  return colon > ref.lastIndexOf('/') ? ref.slice(0, colon) : ref;
}

/**
 * In-memory event bus with a bounded history (Docker keeps the last 256 events; we keep `historySize`, default 1024).
 *
 * Slow subscribers: each one has a bounded queue (`maxQueued`, default 4096 events); a subscriber that falls
 * further behind is disconnected (its iteration ends, a warning is logged) rather than buffering without bound.
 */
export class EventBus {
  private readonly history: Stamped[] = [];
  private readonly subscribers = new Set<Subscriber>();
  private readonly historySize: number;
  private readonly maxQueued: number;
  private lastNs = 0n;
  private anchorWallNs = 0n;
  private anchorHr = 0n;

  private readonly onPublish: ((ev: Event, ns: bigint) => void) | undefined;

  constructor(opts: { historySize?: number; maxQueued?: number; now?: () => bigint; onPublish?: (ev: Event, ns: bigint) => void } = {}) {
    this.historySize = opts.historySize ?? 1024;
    this.maxQueued = opts.maxQueued ?? 4096;
    if (opts.now) this.clock = opts.now;
    this.onPublish = opts.onPublish;
  }

  get size(): number {
    return this.historySize;
  }

  /** Puts persisted events (oldest first) back into the history, before any publish. */
  restore(records: readonly { ns: bigint; ev: Event }[]): void {
    for (const r of records) {
      if (r.ns <= this.lastNs) continue;
      this.history.push({ ev: r.ev, ns: r.ns });
      this.lastNs = r.ns;
    }
    if (this.history.length > this.historySize) this.history.splice(0, this.history.length - this.historySize);
  }

  /** Wall clock in ns: anchored on Date.now() with process.hrtime for sub-ms resolution, re-anchored on jumps. */
  private clock = (): bigint => {
    const hr = process.hrtime.bigint();
    const wall = BigInt(Date.now()) * 1_000_000n;
    let ns = this.anchorWallNs + (hr - this.anchorHr);
    if (this.anchorWallNs === 0n || ns - wall > 2_000_000n || wall - ns > 2_000_000n) {
      this.anchorWallNs = wall;
      this.anchorHr = hr;
      ns = wall;
    }
    return ns;
  };

  publish(input: EventInput): Event {
    let ns = this.clock();
    if (ns <= this.lastNs) ns = this.lastNs + 1n;
    this.lastNs = ns;
    const ev: Event = {
      ...(input.Type === 'container' ? { status: input.Action, id: input.Actor.ID, from: input.from ?? input.Actor.Attributes['image'] ?? '' } : {}),
      ...(input.Type === 'image' ? { status: input.Action, id: input.Actor.ID } : {}),
      Type: input.Type,
      Action: input.Action,
      Actor: { ID: input.Actor.ID, Attributes: { ...input.Actor.Attributes } },
      scope: 'local',
      time: Number(ns / 1_000_000_000n),
      timeNano: Number(ns),
    };
    const s: Stamped = { ev, ns };
    this.history.push(s);
    if (this.history.length > this.historySize) this.history.splice(0, this.history.length - this.historySize);
    this.onPublish?.(ev, ns);
    for (const sub of this.subscribers) sub.push(s);
    return ev;
  }

  /** The kept history, oldest first. */
  recent(): Event[] {
    return this.history.map((s) => s.ev);
  }

  /** Ends every live subscription (daemon shutdown). */
  close(): void {
    for (const sub of [...this.subscribers]) sub.close();
  }

  /**
   * Replays history from `since` (when `since` or `until` is given), then streams live events until `until`
   * or abort. Throws InvalidArgumentError at once for unknown filter keys or since > until.
   */
  subscribe(opts: SubscribeOptions = {}): AsyncIterable<Event> {
    const match = eventFilter(opts.filters);
    const { since, until, signal } = opts;
    if (since !== undefined && until !== undefined && since > until) {
      throw new InvalidArgumentError(`since time (${since}) cannot be after until time (${until})`);
    }
    const inRange = (s: Stamped): boolean => (since === undefined || s.ns >= since) && (until === undefined || s.ns <= until);

    // Register before replaying so nothing published in between is lost (publish is synchronous).
    const replay = since !== undefined || until !== undefined ? this.history.filter((s) => inRange(s) && match(s.ev)) : [];
    const queue: Stamped[] = [];
    let closed = false;
    let wake: (() => void) | undefined;
    const notify = (): void => {
      const w = wake;
      wake = undefined;
      w?.();
    };
    const maxQueued = this.maxQueued;
    const sub: Subscriber = {
      push: (s) => {
        if (closed || !match(s.ev) || (since !== undefined && s.ns < since)) return;
        if (queue.length >= maxQueued) {
          closed = true;
          this.subscribers.delete(sub);
          log.warn('events subscriber too slow: disconnecting', { queued: queue.length });
        } else queue.push(s);
        notify();
      },
      close: () => {
        closed = true;
        this.subscribers.delete(sub);
        notify();
      },
    };
    const pastUntil = (): boolean => until !== undefined && BigInt(Date.now()) * 1_000_000n >= until;
    if (!pastUntil() && !signal?.aborted) this.subscribers.add(sub);
    else closed = true;
    const subscribers = this.subscribers;
    const onAbort = (): void => sub.close();
    if (!closed) signal?.addEventListener('abort', onAbort, { once: true });

    return {
      [Symbol.asyncIterator]: async function* () {
        let timer: NodeJS.Timeout | undefined;
        const armUntil = (): void => {
          const ms = Number((until! - BigInt(Date.now()) * 1_000_000n) / 1_000_000n) + 1;
          const max = 2 ** 31 - 1;
          timer = ms > max ? setTimeout(armUntil, max) : setTimeout(() => sub.close(), Math.max(0, ms));
        };
        try {
          for (const s of replay) {
            if (signal?.aborted) return;
            yield s.ev;
          }
          if (until !== undefined && !closed) armUntil();
          for (;;) {
            while (queue.length) {
              const s = queue.shift()!;
              if (until !== undefined && s.ns > until) return;
              if (signal?.aborted) return;
              yield s.ev;
            }
            if (closed || signal?.aborted) return;
            await new Promise<void>((resolve) => {
              wake = resolve;
              if (queue.length || closed || signal?.aborted) notify();
            });
          }
        } finally {
          if (timer) clearTimeout(timer);
          closed = true;
          subscribers.delete(sub);
          signal?.removeEventListener('abort', onAbort);
        }
      },
    };
  }
}
