import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ImageService, ProgressMessage } from '../../images/index.js';
import { decodeAuthHeader } from '../../distribution/index.js';
import { errorMessage, log } from '../../base/index.js';
import { startStream, writeJsonLine } from '../server.js';

/**
 * POST /images/create?fromImage=&tag=&platform=: streams Docker's progress messages. As dockerd does, an error
 * before the first message is an HTTP error; after it, an errorDetail message ends the stream. When the client
 * goes away (`signal`), the pull is cancelled (unless other clients wait for the same pull).
 */
export async function pullRoute(images: ImageService, req: IncomingMessage, res: ServerResponse, query: URLSearchParams, signal: AbortSignal): Promise<void> {
  await progressStream(req, res, signal, (auth, progress) => images.pull({
    image: query.get('fromImage') ?? '',
    tag: query.get('tag') ?? '',
    platform: query.get('platform') ?? '',
    auth,
    progress,
    signal,
  }));
}

/**
 * POST /images/{name}/push?tag=: Docker's push progress, the final digest line and an aux message per tag. When the
 * client goes away (`signal`), the push is cancelled: its registry requests end and open upload sessions are deleted.
 */
export async function pushRoute(images: ImageService, name: string, req: IncomingMessage, res: ServerResponse, query: URLSearchParams, signal: AbortSignal): Promise<void> {
  await progressStream(req, res, signal, (auth, progress) => images.push({ name, tag: query.get('tag') ?? '', auth, progress, signal }));
}

async function progressStream(req: IncomingMessage, res: ServerResponse, signal: AbortSignal, fn: (auth: ReturnType<typeof decodeAuthHeader>, progress: (m: ProgressMessage) => void) => Promise<void>): Promise<void> {
  req.resume();
  const auth = decodeAuthHeader(req.headers['x-registry-auth'] as string | undefined);
  let started = false;
  let chain: Promise<void> = Promise.resolve();
  const send = (m: object): void => {
    if (signal.aborted) return; // the client is gone
    if (!started) { startStream(res); started = true; }
    chain = chain.then(() => writeJsonLine(res, m)).catch((err: unknown) => log.debug('progress write failed', { error: errorMessage(err) }));
  };
  try {
    await fn(auth, (m: ProgressMessage) => send(m));
  } catch (err) {
    if (signal.aborted) {
      log.debug('pull or push cancelled: the client went away', { error: errorMessage(err) });
      await chain;
      res.destroy();
      return;
    }
    if (!started) throw err;
    send({ errorDetail: { message: errorMessage(err) }, error: errorMessage(err) });
  }
  await chain;
  res.end();
}
