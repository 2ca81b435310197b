import type { Readable } from 'node:stream';
import { readJsonLines } from '../client/index.js';
import { write } from './command.js';
import type { Ctx } from './command.js';

/** One NDJSON progress message (pull, push, import, load). */
export interface JsonMessage {
  status?: string;
  id?: string;
  progress?: string;
  progressDetail?: { current?: number; total?: number };
  stream?: string;
  errorDetail?: { code?: number; message?: string };
  error?: string;
  aux?: unknown;
}

/**
 * Renders a progress stream like docker's DisplayJSONMessagesStream. Off a terminal, messages with progress are
 * skipped and the rest print as `<id>: <status>`; on a terminal each id's line is redrawn in place.
 * Returns the aux payloads. Throws on the first errorDetail.
 */
export async function displayJsonMessages(src: Readable, out: Ctx['stdout'], opts: { tty?: boolean; onAux?: (aux: unknown) => void } = {}): Promise<void> {
  const tty = opts.tty ?? !!out.isTTY;
  const lines = new Map<string, number>();
  let total = 0;
  for await (const m of readJsonLines<JsonMessage>(src)) {
    if (m.errorDetail || m.error) throw new Error(m.errorDetail?.message ?? m.error ?? 'unknown error');
    if (m.aux !== undefined) { opts.onAux?.(m.aux); continue; }
    if (m.stream !== undefined) { await write(out, m.stream); continue; }
    const hasProgress = !!m.progress || (m.progressDetail && (m.progressDetail.current !== undefined));
    const text = `${m.id ? `${m.id}: ` : ''}${m.status ?? ''}${m.progress && tty ? ` ${m.progress}` : ''}`;
    if (!tty) {
      if (hasProgress) continue;
      await write(out, text + '\n');
      continue;
    }
    if (m.id && lines.has(m.id)) {
      const diff = total - lines.get(m.id)!;
      await write(out, `\x1b[${diff}A\r\x1b[2K${text}\r\x1b[${diff}B`);
      if (!hasProgress) lines.delete(m.id);
    } else {
      if (m.id && hasProgress) lines.set(m.id, total);
      else if (m.id) lines.set(m.id, total);
      await write(out, `\x1b[2K${text}\n`);
      total++;
    }
  }
}
