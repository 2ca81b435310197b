import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { InvalidArgumentError } from '../../base/index.js';
import { ContainerFiles, type PathStat } from '../../containers/index.js';
import { commitContainer, type Engine } from '../../engine/index.js';
import type { ContainerConfigLike } from '../../images/index.js';
import type { Router } from '../router.js';
import { boolParam, readJsonBody } from '../params.js';
import { sendJson } from '../server.js';

const STAT_HEADER = 'X-Docker-Container-Path-Stat';

function statHeader(stat: PathStat): string {
  return Buffer.from(JSON.stringify(stat)).toString('base64');
}

function pathParam(q: URLSearchParams): string {
  const p = q.get('path');
  if (!p) throw new InvalidArgumentError('Path cannot be empty');
  return p;
}

async function streamTar(res: ServerResponse, tar: Readable, headers: Record<string, string>): Promise<void> {
  res.writeHead(200, { 'Content-Type': 'application/x-tar', ...headers });
  await pipeline(tar, res);
}

/** The container filesystem endpoints: archive (docker cp), export, changes (diff) and commit. */
export function archiveRoutes(r: Router, engine: Engine): void {
  const files = new ContainerFiles(engine.containers);

  r.head('/containers/{id}/archive', async ({ res, params, query }) => {
    const stat = await files.stat(params['id']!, pathParam(query));
    res.writeHead(200, { [STAT_HEADER]: statHeader(stat), 'Content-Type': 'application/json' }).end();
  });

  r.get('/containers/{id}/archive', async ({ req, res, params, query }) => {
    const path = pathParam(query);
    if (req.method === 'HEAD') {
      const stat = await files.stat(params['id']!, path);
      res.writeHead(200, { [STAT_HEADER]: statHeader(stat) }).end();
      return;
    }
    await files.archive(params['id']!, path, (stat, tar) => streamTar(res, tar, { [STAT_HEADER]: statHeader(stat) }));
  });

  r.put('/containers/{id}/archive', async ({ req, res, params, query }) => {
    const path = pathParam(query);
    // moby: overwriting a directory with a non-directory (or the reverse) is allowed unless asked not to.
    const noOverwriteDirNonDir = query.has('noOverwriteDirNonDir') && boolParam(query, 'noOverwriteDirNonDir');
    await files.extract(params['id']!, path, req, { noOverwriteDirNonDir, copyUIDGID: boolParam(query, 'copyUIDGID') });
    res.writeHead(200).end();
  });

  r.get('/containers/{id}/export', async ({ res, params }) => {
    await files.export(params['id']!, (tar) => streamTar(res, tar, {}));
  });

  r.get('/containers/{id}/changes', async ({ res, params }) => {
    sendJson(res, 200, await files.changes(params['id']!));
  });

  r.post('/commit', async ({ req, res, query }) => {
    const container = query.get('container') ?? '';
    if (!container) throw new InvalidArgumentError('No container name or ID supplied');
    const body = await readJsonBody<ContainerConfigLike>(req);
    if (body !== undefined && (typeof body !== 'object' || Array.isArray(body))) throw new InvalidArgumentError('invalid container config');
    const id = await commitContainer(engine, container, {
      ...(query.get('repo') ? { repo: query.get('repo')! } : {}),
      ...(query.get('tag') ? { tag: query.get('tag')! } : {}),
      ...(query.get('comment') ? { comment: query.get('comment')! } : {}),
      ...(query.get('author') ? { author: query.get('author')! } : {}),
      pause: boolParam(query, 'pause', true),
      changes: query.getAll('changes'),
      ...(body ? { config: body } : {}),
    });
    sendJson(res, 201, { Id: id });
  });
}
