import { InvalidArgumentError, drained } from '../../base/index.js';
import { MULTIPLEXED, RAW } from './streams.js';
import type { Engine } from '../../engine/index.js';
import { frame, type LogEntry } from '../../logs/index.js';
import type { Router } from '../router.js';
import { boolParam, filtersParam, intParam, readJsonBody } from '../params.js';
import { sendJson, startStream } from '../server.js';
import { parseTimestampNs } from '../timestamps.js';
import type { CreateRequest } from '../../containers/index.js';
import { checkGoType, CONTAINER_CREATE_BODY } from '../validate.js';

const LIST_FILTERS = ['id', 'name', 'label', 'status', 'ancestor', 'before', 'since', 'volume', 'network', 'publish', 'expose', 'health', 'exited', 'is-task'];

export function containerRoutes(r: Router, engine: Engine): void {
  const svc = engine.containers;

  r.get('/containers/json', async ({ res, query }) => {
    const limit = intParam(query, 'limit');
    const list = svc.list({
      all: boolParam(query, 'all'),
      size: boolParam(query, 'size'),
      filters: filtersParam(query, LIST_FILTERS),
      ...(limit !== undefined ? { limit } : {}),
    }) as Array<Record<string, unknown>>;
    if (boolParam(query, 'size')) {
      const imageSizes = new Map<string, number>();
      for (const c of list) Object.assign(c, await sizes(engine, c['Id'] as string, c['ImageID'] as string, imageSizes));
    }
    sendJson(res, 200, list);
  });

  r.post('/containers/create', async ({ req, res, query, version }) => {
    const raw = await readJsonBody<unknown>(req);
    checkGoType(raw, CONTAINER_CREATE_BODY, '');
    const body = (raw ?? {}) as CreateRequest['body'];
    // moby ignores AutoRemove below API 1.25 (the field did not exist).
    if (version < 1.25 && body.HostConfig) body.HostConfig = { ...body.HostConfig, AutoRemove: false };
    const name = query.get('name');
    const out = await svc.create({ body, ...(name ? { name } : {}) });
    sendJson(res, 201, out);
  });

  r.get('/containers/{id}/json', async ({ res, params, query }) => {
    const out = svc.inspect(params['id']!) as Record<string, unknown>;
    if (boolParam(query, 'size')) Object.assign(out, await sizes(engine, out['Id'] as string, out['Image'] as string, new Map()));
    sendJson(res, 200, out);
  });

  r.post('/containers/{id}/start', async ({ res, params }) => {
    await svc.start(params['id']!);
    res.writeHead(204).end();
  });

  r.post('/containers/{id}/stop', async ({ res, params, query }) => {
    const t = intParam(query, 't');
    const signal = query.get('signal');
    await svc.stop(params['id']!, { ...(t !== undefined ? { timeout: t } : {}), ...(signal ? { signal } : {}) });
    res.writeHead(204).end();
  });

  r.post('/containers/{id}/restart', async ({ res, params, query }) => {
    const t = intParam(query, 't');
    const signal = query.get('signal');
    await svc.restart(params['id']!, { ...(t !== undefined ? { timeout: t } : {}), ...(signal ? { signal } : {}) });
    res.writeHead(204).end();
  });

  r.post('/containers/{id}/kill', async ({ res, params, query }) => {
    await svc.kill(params['id']!, query.get('signal') || 'SIGKILL');
    res.writeHead(204).end();
  });

  r.post('/containers/{id}/pause', async ({ res, params }) => {
    await svc.pause(params['id']!);
    res.writeHead(204).end();
  });

  r.post('/containers/{id}/unpause', async ({ res, params }) => {
    await svc.unpause(params['id']!);
    res.writeHead(204).end();
  });

  r.post('/containers/{id}/rename', async ({ res, params, query }) => {
    await svc.rename(params['id']!, query.get('name') ?? '');
    res.writeHead(204).end();
  });

  r.delete('/containers/{id}', async ({ res, params, query }) => {
    await svc.remove(params['id']!, { force: boolParam(query, 'force'), volumes: boolParam(query, 'v') });
    res.writeHead(204).end();
  });

  r.post('/containers/{id}/wait', async ({ res, params, query, signal }) => {
    const condition = query.get('condition') || 'not-running';
    const waiting = waitForExit(engine, params['id']!, condition, signal);
    startStream(res);
    const code = await waiting;
    if (code === undefined) return;
    const err = svc.find(params['id']!)?.rec.State.Error;
    res.end(JSON.stringify({ StatusCode: code, ...(err ? { Error: { Message: err } } : {}) }) + '\n');
  });

  r.get('/containers/{id}/logs', async ({ res, params, query, signal, version }) => {
    const stdout = boolParam(query, 'stdout');
    const stderr = boolParam(query, 'stderr');
    if (!stdout && !stderr) throw new InvalidArgumentError('Bad parameters: you must choose at least one stream');
    const tailRaw = query.get('tail');
    const tail = tailRaw === null || tailRaw === '' || tailRaw === 'all' ? undefined : Number(tailRaw);
    if (tail !== undefined && (!Number.isInteger(tail) || tail < 0)) throw new InvalidArgumentError(`invalid tail value: ${tailRaw}`);
    const since = parseTimestampNs(query.get('since'));
    const until = parseTimestampNs(query.get('until'));
    const id = params['id']!;
    const tty = !!svc.get(id).rec.Config.Tty;
    const timestamps = boolParam(query, 'timestamps');
    const entries = svc.logs(id, {
      follow: boolParam(query, 'follow'),
      stdout, stderr, signal,
      ...(tail !== undefined ? { tail } : {}),
      ...(since !== undefined && since > 0n ? { since } : {}),
      ...(until !== undefined && until > 0n ? { until } : {}),
    });
    startStream(res, tty || version < 1.42 ? RAW : MULTIPLEXED);
    for await (const e of entries) {
      if (!res.write(encodeEntry(e, tty, timestamps))) await drained(res);
    }
    res.end();
  });

  // attach, resize and exec: streams.ts
}

/** SizeRw and SizeRootFs (the image's size plus the writable layer), as moby reports them with size=1. */
async function sizes(engine: Engine, id: string, imageId: string, cache: Map<string, number>): Promise<{ SizeRw: number; SizeRootFs: number }> {
  const rw = await engine.containers.sizeRw(id);
  let img = cache.get(imageId);
  if (img === undefined) {
    img = await engine.images.inspect(imageId).then((i) => Number((i as { Size?: number }).Size ?? 0), () => 0);
    cache.set(imageId, img);
  }
  return { SizeRw: rw, SizeRootFs: rw + img };
}

/**
 * Resolves with the exit code the wait condition asks for, or undefined when the client went away. Like moby, a
 * start that fails does not answer a pending waiter (the CLI reports the start error itself; an answer with the
 * error would make it also log "Error waiting for container"): the waiter keeps waiting for a real exit, or for the
 * removal of the container.
 */
function waitForExit(engine: Engine, id: string, condition: string, signal: AbortSignal): Promise<number | undefined> {
  const svc = engine.containers;
  const c = svc.get(id);
  const first = svc.wait(id, condition); // throws (404, 400) before any header is out
  const aborted = new Promise<undefined>((r) => signal.addEventListener('abort', () => r(undefined), { once: true }));
  if (condition === 'removed' || (condition === 'not-running' && !c.rec.State.Running)) return Promise.race([first, aborted]);
  const removed = svc.wait(id, 'removed');
  const loop = async (): Promise<number | undefined> => {
    let waiting = first;
    for (;;) {
      const finishedAt = c.rec.State.FinishedAt;
      const code = await Promise.race([waiting, removed, aborted]);
      if (code === undefined) return undefined;
      if (!svc.find(id) || c.rec.State.FinishedAt !== finishedAt || c.rec.State.Running) return code;
      waiting = svc.wait(id, 'next-exit'); // a failed start: no exit happened
    }
  };
  return loop();
}

function encodeEntry(e: LogEntry, tty: boolean, timestamps: boolean): Buffer {
  const payload = timestamps ? Buffer.concat([Buffer.from(`${e.time} `), e.line]) : e.line;
  return tty ? payload : frame(e.stream === 'stdout' ? 1 : 2, payload);
}

