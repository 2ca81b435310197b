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
 * Renders a progress stream as docker's DisplayJSONMessagesStream does. A message with an id and progress
 * (`progressDetail`, even empty, or a progress text) owns a line: on a terminal that line is redrawn in place
 * (cursor up, clear, rewrite, cursor down); any other message starts a new block of lines. Off a terminal,
 * messages that carry actual progress are skipped and the rest print as `<id>: <status>`. The aux payloads go to
 * `onAux`; the first error is thrown.
 */
export async function displayJsonMessages(src: Readable, out: Ctx['stdout'], opts: { tty?: boolean; onAux?: (aux: unknown) => void } = {}): Promise<void> {
  const tty = opts.tty ?? !!out.isTTY;
  let ids = new Map<string, number>();
  for await (const m of readJsonLines<JsonMessage>(src)) {
    if (m.errorDetail || m.error) throw new Error(m.errorDetail?.message ?? m.error ?? 'unknown error');
    if (m.aux !== undefined) { opts.onAux?.(m.aux); continue; }
    const pd = m.progressDetail;
    const ownsLine = !!m.id && (pd !== undefined || !!m.progress);
    let diff = 0;
    if (ownsLine) {
      let line = ids.get(m.id!);
      if (line === undefined) {
        line = ids.size;
        ids.set(m.id!, line);
        if (tty) await write(out, '\n');
      }
      diff = ids.size - line;
      if (tty) await write(out, `\x1b[${diff}A`);
    } else {
      ids = new Map(); // progress lines of an earlier block (say, the previous tag of pull -a) are never redrawn
    }
    if (m.stream !== undefined) {
      await write(out, m.stream);
    } else if (tty) {
      const text = `${m.id ? `${m.id}: ` : ''}${m.status ?? ''}${m.progress ? ` ${m.progress}` : ''}`;
      await write(out, ownsLine ? `\x1b[2K\r${text}\r` : `${text}\n`);
    } else if (!(m.progress || (pd && ((pd.current ?? 0) > 0 || (pd.total ?? 0) > 0)))) {
      await write(out, `${m.id ? `${m.id}: ` : ''}${m.status ?? ''}\n`);
    }
    if (ownsLine && tty) await write(out, `\x1b[${diff}B`);
  }
}
