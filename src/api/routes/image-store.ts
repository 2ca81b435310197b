import { pipeline } from 'node:stream/promises';
import type { Router } from '../router.js';
import type { Engine } from '../../engine/index.js';
import { boolParam, filtersParam, platformParam } from '../params.js';
import { sendJson, startStream, writeJsonLine } from '../server.js';
import { InvalidArgumentError, errorMessage, log } from '../../base/index.js';
import { imageDiskUsage, imageHistory, loadImages, pruneImages, saveImages } from '../../images/index.js';

const DF_TYPES = new Set(['container', 'image', 'volume', 'build-cache']);

/** save/load, history, image prune and system df. */
export function imageStoreRoutes(r: Router, engine: Engine): void {
  const images = engine.images;

  const save = async (res: import('node:http').ServerResponse, names: string[], query: URLSearchParams): Promise<void> => {
    const platform = platformParam(query);
    const stream = await saveImages(images, names, platform ? { platform } : {});
    res.writeHead(200, { 'Content-Type': 'application/x-tar' });
    try {
      await pipeline(stream, res);
    } catch (err) {
      log.warn('image save aborted', { error: errorMessage(err) });
      res.destroy();
    }
  };
  // `platform` (API 1.48, JSON or os/arch[/variant]) is taken although berth speaks 1.45: berth's CLI sends it
  r.get('/images/get', async ({ res, query }) => save(res, query.getAll('names').flatMap((n) => n.split(',')).filter((n) => n !== ''), query));
  r.get('/images/{name*}/get', async ({ res, params, query }) => save(res, [params['name']!], query));

  r.post('/images/load', async ({ req, res, query }) => {
    // moby: quiet unless quiet=0 (the docker CLI sends quiet=1 when its output is no terminal); not quiet adds
    // the "Loading layer" progress of each layer loaded; the result lines are sent either way
    const quiet = boolParam(query, 'quiet', true);
    const platform = platformParam(query);
    let started = false;
    let chain: Promise<void> = Promise.resolve();
    const send = (m: object): Promise<void> => {
      if (!started) {
        startStream(res);
        started = true;
      }
      chain = chain.then(() => writeJsonLine(res, m));
      return chain;
    };
    const onLine = (line: string): Promise<void> => send({ stream: `${line}\n` });
    const progress = (m: object): void => { send(m).catch((err: unknown) => log.debug('load progress write failed', { error: errorMessage(err) })); };
    try {
      await loadImages(images, req, images.dataRoot, onLine, { ...(platform ? { platform } : {}), ...(quiet ? {} : { progress }) });
    } catch (err) {
      req.resume();
      if (!started) throw err; // nothing sent yet: a plain HTTP error
      await send({ errorDetail: { message: errorMessage(err) }, error: errorMessage(err) });
    }
    await chain.catch(() => undefined);
    if (!started) startStream(res);
    res.end();
  });

  r.get('/images/{name*}/history', async ({ res, params }) => sendJson(res, 200, await imageHistory(images, params['name']!)));

  r.post('/images/prune', async ({ res, query }) => {
    sendJson(res, 200, await pruneImages(images, filtersParam(query, ['dangling', 'until', 'label', 'label!'])));
  });

  r.get('/system/df', async ({ res, query }) => {
    const types = query.getAll('type');
    for (const t of types) if (!DF_TYPES.has(t)) throw new InvalidArgumentError(`unknown object type: ${t}`);
    const want = (t: string): boolean => types.length === 0 || types.includes(t);
    const containers = engine.containers.list({ all: true }) as Array<Record<string, unknown> & { Id: string; ImageID: string }>;
    const out: Record<string, unknown> = {};
    if (want('image')) {
      const usage = await imageDiskUsage(images, (id) => containers.filter((c) => c.ImageID === id).length);
      out['LayersSize'] = usage.LayersSize;
      out['Images'] = usage.Images;
    }
    if (want('container')) {
      const sized: object[] = [];
      for (const c of containers) {
        const rw = await engine.containers.sizeRw(c.Id).catch(() => 0);
        let imageSize = 0;
        try {
          imageSize = images.snapshot(c.ImageID).size;
        } catch { /* image gone */ }
        sized.push({ ...c, SizeRw: rw, SizeRootFs: rw + imageSize });
      }
      out['Containers'] = sized;
    }
    if (want('volume')) out['Volumes'] = [];
    if (want('build-cache')) out['BuildCache'] = [];
    sendJson(res, 200, out);
  });
}
