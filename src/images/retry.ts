import { errorMessage, isTransient, log } from '../base/index.js';

/** How a layer's download or upload is tried again after a transient failure. */
export interface RetryPolicy {
  /** Retries after the first attempt (daemon.json `max-download-attempts` / `max-upload-attempts`, default 5). */
  retries: number;
  /** The n-th retry waits n times this (daemon.json `transfer-retry-delay`, default 5000 ms: dockerd's 5 s, 10 s...). */
  delayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { retries: 5, delayMs: 5000 };

/**
 * Runs `attempt` (one layer's whole download or upload, which cleans up after itself when it fails) again after a
 * transient failure (isTransient: a network error, a registry's 5xx or 429), up to `policy.retries` times, as dockerd
 * does: the n-th retry waits n × `delayMs`, counted down each second on the layer's line (`Retrying in N seconds`).
 * Anything else (a digest mismatch, another 4xx) fails at once, and nothing is retried once `signal` has aborted
 * (a wait then ends at once, with the signal's reason).
 */
export async function withRetries<T>(attempt: () => Promise<T>, o: { policy: RetryPolicy; id: string; progress: (m: { status: string; id: string; progressDetail: object }) => void; signal?: AbortSignal; what: string }): Promise<T> {
  for (let retry = 1; ; retry++) {
    try {
      return await attempt();
    } catch (err) {
      if (o.signal?.aborted || retry > o.policy.retries || !isTransient(err)) throw err;
      log.info(`${o.what} failed, retrying (${retry}/${o.policy.retries})`, { id: o.id, error: errorMessage(err) });
      await countdown(retry * o.policy.delayMs, (s) => o.progress({ status: `Retrying in ${s} second${s === 1 ? '' : 's'}`, progressDetail: {}, id: o.id }), o.signal);
    }
  }
}

/** Waits `ms`, telling the whole seconds left (rounded up) at the start and then each second. */
async function countdown(ms: number, tell: (seconds: number) => void, signal?: AbortSignal): Promise<void> {
  for (let left = ms; left > 0; left -= 1000) {
    tell(Math.ceil(left / 1000));
    await sleep(Math.min(1000, left), signal);
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) { reject(signal.reason); return; }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
