import type { Router } from '../router.js';
import type { Engine } from '../../engine/index.js';
import { boolParam, filtersParam } from '../params.js';
import { sendJson, startStream, writeJsonLine } from '../server.js';
import { errorMessage, InvalidArgumentError } from '../../base/index.js';
import { pullRoute, pushRoute } from './pull.js';

const IMAGE_FILTERS = ['dangling', 'label', 'before', 'since', 'reference', 'until'];

export function imageRoutes(r: Router, engine: Engine): void {
  const images = engine.images;

  r.get('/images/json', async ({ res, query, version }) => {
    const list = (await images.list({
      all: boolParam(query, 'all'),
      digests: boolParam(query, 'digests'),
      filters: filtersParam(query, IMAGE_FILTERS),
    })) as Array<Record<string, unknown>>;
    for (const img of list) {
      // moby's per-version shapes: VirtualSize below 1.44, `<none>` placeholders for dangling images below 1.43.
      if (version < 1.44) img['VirtualSize'] = img['Size'];
      if (version < 1.43 && !(img['RepoTags'] as unknown[] | undefined)?.length && !(img['RepoDigests'] as unknown[] | undefined)?.length) {
        img['RepoTags'] = ['<none>:<none>'];
        img['RepoDigests'] = ['<none>@<none>'];
      }
    }
    sendJson(res, 200, list);
  });

  r.post('/images/create', async ({ req, res, query, signal }) => {
    const fromSrc = query.get('fromSrc');
    if (fromSrc === null) {
      await pullRoute(images, req, res, query, signal);
      return;
    }
    if (fromSrc !== '-') throw new InvalidArgumentError('importing from a URL is not supported; send the tarball in the request body (fromSrc=-)');
    const repo = query.get('repo') ?? '';
    const tag = query.get('tag') ?? '';
    const message = query.get('message') ?? '';
    const changes = query.getAll('changes');
    startStream(res);
    try {
      const id = await images.importImage(req, {
        ...(repo ? { repo } : {}), ...(tag ? { tag } : {}), ...(message ? { message } : {}), changes,
      });
      await writeJsonLine(res, { status: id });
    } catch (err) {
      await writeJsonLine(res, { errorDetail: { message: errorMessage(err) }, error: errorMessage(err) });
    }
    res.end();
  });

  r.post('/images/{name*}/push', async ({ req, res, params, query, signal }) => pushRoute(images, params['name']!, req, res, query, signal));

  r.get('/images/{name*}/json', async ({ res, params }) => sendJson(res, 200, await images.inspect(params['name']!)));

  r.post('/images/{name*}/tag', async ({ res, params, query }) => {
    const repo = query.get('repo') ?? '';
    if (!repo) throw new InvalidArgumentError('repository name must have at least one component');
    await images.tag(params['name']!, repo, query.get('tag') || undefined);
    res.writeHead(201).end();
  });

  r.delete('/images/{name*}', async ({ res, params, query }) => {
    sendJson(res, 200, await images.remove(params['name']!, { force: boolParam(query, 'force'), noprune: boolParam(query, 'noprune') }));
  });
}
