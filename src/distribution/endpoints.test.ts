import { test } from 'node:test';
import assert from 'node:assert/strict';
import { endpointsFor, isInsecure } from './endpoints.js';

void test('loopback and configured registries are insecure', () => {
  assert.equal(isInsecure('127.0.0.1:5000', []), true);
  assert.equal(isInsecure('127.8.9.1', []), true);
  assert.equal(isInsecure('localhost:5000', []), true);
  assert.equal(isInsecure('registry.example.com', []), false);
  assert.equal(isInsecure('10.1.2.3:5000', ['10.0.0.0/8']), true);
  assert.equal(isInsecure('reg.lan:5000', ['reg.lan:5000']), true);
  assert.equal(isInsecure('reg.lan:5001', ['reg.lan:5000']), false);
});

void test('docker.io goes to mirrors first', () => {
  assert.deepEqual(endpointsFor('docker.io', { insecure: [], mirrors: ['http://127.0.0.1:5001/'] }).map((e) => e.base),
    ['http://127.0.0.1:5001', 'https://registry-1.docker.io']);
  assert.deepEqual(endpointsFor('example.com', { insecure: [], mirrors: ['http://m'] }).map((e) => e.base), ['https://example.com']);
});
