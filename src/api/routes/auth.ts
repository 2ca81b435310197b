import type { Router } from '../router.js';
import type { Engine } from '../../engine/index.js';
import { InvalidArgumentError } from '../../base/index.js';
import { sendJson } from '../server.js';
import { readJsonBody } from '../params.js';

/** POST /auth (`docker login`): checks the credentials against the registry; nothing is stored by the daemon. */
export function authRoutes(r: Router, engine: Engine): void {
  r.post('/auth', async ({ req, res }) => {
    const body = await readJsonBody<Record<string, unknown>>(req);
    if (!body || typeof body !== 'object') throw new InvalidArgumentError('invalid auth configuration');
    const str = (k: string): string | undefined => (typeof body[k] === 'string' && body[k] !== '' ? (body[k] as string) : undefined);
    const username = str('username');
    const password = str('password');
    const serveraddress = str('serveraddress');
    const identitytoken = str('identitytoken');
    await engine.images.login({
      ...(username !== undefined ? { username } : {}), ...(password !== undefined ? { password } : {}),
      ...(serveraddress !== undefined ? { serveraddress } : {}), ...(identitytoken !== undefined ? { identitytoken } : {}),
    });
    sendJson(res, 200, { Status: 'Login Succeeded', IdentityToken: '' });
  });
}
