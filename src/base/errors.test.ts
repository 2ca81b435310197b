import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { CancelledError, InvalidArgumentError, NotFoundError, UnavailableError, isTransient } from './errors.js';

const withCode = (message: string, code: string): Error => Object.assign(new Error(message), { code });

void test('isTransient: network errors and errors marked transient, through the cause chain; never a cancellation', () => {
  assert.equal(isTransient(withCode('socket hang up', 'ECONNRESET')), true);
  assert.equal(isTransient(withCode('connect ECONNREFUSED 127.0.0.1:1', 'ECONNREFUSED')), true);
  assert.equal(isTransient(new UnavailableError('GET x: socket hang up', { cause: withCode('socket hang up', 'ECONNRESET') })), true);
  assert.equal(isTransient(new UnavailableError('fetching blob: 503 Service Unavailable', { transient: true })), true);
  assert.equal(isTransient(new UnavailableError('fetching blob: 400 Bad Request')), false);
  assert.equal(isTransient(new NotFoundError('blob unknown')), false);
  assert.equal(isTransient(new InvalidArgumentError('filesystem layer verification failed for digest sha256:x')), false);
  assert.equal(isTransient(withCode('no such file', 'ENOENT')), false);
  assert.equal(isTransient(new CancelledError('context canceled', { cause: withCode('aborted', 'ECONNRESET') })), false);
  const abort = new DOMException('This operation was aborted', 'AbortError');
  assert.equal(isTransient(new UnavailableError('x', { cause: abort })), false);
  assert.equal(isTransient('a string'), false);
  assert.equal(isTransient(undefined), false);
});

void test('isTransient: a response body cut short by the server is a network error', async () => {
  // A server that promises 1000 bytes, sends 10 and resets the connection.
  const server = createServer((sock) => {
    sock.once('data', () => {
      sock.write('HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\n0123456789', () => setTimeout(() => sock.resetAndDestroy(), 20));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const err = await new Promise<unknown>((resolve) => {
      const req = request({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, path: '/' }, (res) => {
        res.on('data', () => undefined);
        res.on('error', resolve);
        res.on('end', () => resolve(undefined));
      });
      req.on('error', resolve);
      req.end();
    });
    assert.ok(err instanceof Error, 'the body fails');
    assert.equal(isTransient(err), true, String(err));
  } finally {
    await new Promise((r) => server.close(r));
  }
});
