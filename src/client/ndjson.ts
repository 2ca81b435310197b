import type { Readable } from 'node:stream';

/** Yields each JSON value of a newline-delimited stream (`\n` or `\r\n`); a last unterminated line is parsed too. */
export async function* readJsonLines<T = unknown>(src: AsyncIterable<Buffer | string> | Readable): AsyncGenerator<T> {
  let rest = '';
  const dec = new TextDecoder();
  for await (const chunk of src as AsyncIterable<Buffer | string>) {
    rest += typeof chunk === 'string' ? chunk : dec.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = rest.indexOf('\n')) >= 0) {
      const line = rest.slice(0, nl).trim();
      rest = rest.slice(nl + 1);
      if (line) yield JSON.parse(line) as T;
    }
  }
  const last = rest.trim();
  if (last) yield JSON.parse(last) as T;
}
