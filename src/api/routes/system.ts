import { ServiceUnavailable } from './util.js';
import type { Router } from '../router.js';
import type { Engine } from '../../engine/index.js';
import { sendJson, startStream, writeJsonLine } from '../server.js';
import { filtersParam } from '../params.js';
import { parseTimestampNs } from '../timestamps.js';

const EVENT_FILTERS = ['container', 'image', 'volume', 'network', 'daemon', 'type', 'event', 'label', 'scope'] as const;

export function systemRoutes(r: Router, engine: Engine): void {
  const ping = async ({ res, req }: { res: import('node:http').ServerResponse; req: import('node:http').IncomingMessage }): Promise<void> => {
    res.writeHead(200, {
      'Content-Type': 'text/plain; charset=utf-8',
      'Cache-Control': 'no-cache, no-store, must-revalidate',
      Pragma: 'no-cache',
      'Builder-Version': '1',
      Swarm: 'inactive',
      'Content-Length': req.method === 'HEAD' ? '0' : '2',
    });
    res.end(req.method === 'HEAD' ? undefined : 'OK');
  };
  r.get('/_ping', ping);
  r.head('/_ping', ping);
  r.get('/version', async ({ res }) => sendJson(res, 200, engine.version()));
  r.get('/info', async ({ res }) => sendJson(res, 200, await engine.info()));
  r.get('/events', async ({ res, query, signal }) => {
    const filters = filtersParam(query, EVENT_FILTERS);
    const since = parseTimestampNs(query.get('since'));
    const until = parseTimestampNs(query.get('until'));
    const stream = engine.events.subscribe({
      filters,
      signal,
      ...(since !== undefined ? { since } : {}),
      ...(until !== undefined ? { until } : {}),
    });
    startStream(res);
    for await (const e of stream) await writeJsonLine(res, e);
    res.end();
  });
  for (const p of ['/swarm', '/nodes', '/services', '/tasks', '/secrets', '/configs']) {
    r.add('GET', p, ServiceUnavailable);
    r.add('GET', `${p}/{rest*}`, ServiceUnavailable);
  }
}
