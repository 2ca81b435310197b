import { ConflictError } from '../../base/index.js';
import type { Engine } from '../../engine/index.js';
import { containerTop, statsStream, type StatsTarget } from '../../containers/index.js';
import type { Router } from '../router.js';
import { boolParam } from '../params.js';
import { sendJson, startStream, writeJsonLine } from '../server.js';

/** `GET /containers/{id}/top` and `GET /containers/{id}/stats`. */
export function observeRoutes(r: Router, engine: Engine): void {
  const svc = engine.containers;

  r.get('/containers/{id}/top', async ({ res, params, query }) => {
    const rec = svc.get(params['id']!).rec;
    if (!rec.State.Running) throw new ConflictError(`Container ${rec.Id} is not running`);
    if (rec.State.Restarting) throw new ConflictError(`Container ${rec.Id} is restarting, wait until the container is running`);
    const out = await containerTop(rec.State.Pid, query.get('ps_args') ?? '');
    svc.containerEvent(rec.Id, 'top');
    sendJson(res, 200, out);
  });

  r.get('/containers/{id}/stats', async ({ res, params, query, signal }) => {
    const id = svc.get(params['id']!).rec.Id;
    const target = (): StatsTarget | undefined => {
      const rec = svc.find(id)?.rec;
      if (!rec) return undefined;
      return { id: rec.Id, name: rec.Name, pid: rec.State.Pid, running: rec.State.Running && !rec.State.Restarting };
    };
    const stream = !query.has('stream') || boolParam(query, 'stream');
    const oneShot = boolParam(query, 'one-shot');
    // Headers go out at once: the docker CLI gives up on a container whose first sample takes over 2 s.
    startStream(res);
    for await (const s of statsStream(target, { stream, oneShot: oneShot && !stream, signal })) {
      await writeJsonLine(res, s);
      if (signal.aborted) break;
    }
    res.end();
  });
}
