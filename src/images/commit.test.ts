import test from 'node:test';
import assert from 'node:assert/strict';
import { childImageConfig, commitRuntimeConfig, commitTarget } from './commit.js';
import type { Digest, ImageConfig } from '../oci/index.js';

void test('commitRuntimeConfig: the container config, nulls dropped, changes on top', () => {
  const cfg = commitRuntimeConfig({ Cmd: ['sh'], Env: ['A=1'], Entrypoint: null, Hostname: 'abc', Labels: { a: 'b' }, WorkingDir: '' }, ['CMD ["echo","x"]', 'ENV B=2', 'EXPOSE 80']);
  assert.deepEqual(cfg.Cmd, ['echo', 'x']);
  assert.deepEqual(cfg.Env, ['A=1', 'B=2']);
  assert.equal('Entrypoint' in cfg, false);
  assert.equal('Hostname' in cfg, false);
  assert.deepEqual(cfg.Labels, { a: 'b' });
  assert.deepEqual(cfg.ExposedPorts, { '80/tcp': {} });
  assert.throws(() => commitRuntimeConfig({}, ['RUN x']), /not a valid change command/);
});

void test('commitTarget', () => {
  assert.equal(commitTarget(undefined, undefined), undefined);
  assert.deepEqual(commitTarget('foo', undefined), { domain: 'docker.io', path: 'library/foo', tag: 'latest' } as never);
  assert.equal(commitTarget('foo', 'v1')?.tag, 'v1');
  assert.throws(() => commitTarget('foo@sha256:' + 'a'.repeat(64), undefined), /digest/);
  assert.throws(() => commitTarget(undefined, 'v1'));
});

void test('childImageConfig extends rootfs and history; an empty diff adds no layer', () => {
  const parent: ImageConfig = {
    architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: ['sha256:' + '1'.repeat(64) as Digest] },
    history: [{ created: 'x', comment: 'Imported from -' }],
  };
  const d = 'sha256:' + '2'.repeat(64) as Digest;
  const c = childImageConfig(parent, { runtime: { Cmd: ['a'] }, diffId: d, created: 'now', author: 'me', comment: 'm', createdBy: 'sh -c x' });
  assert.deepEqual(c.rootfs.diff_ids, [parent.rootfs.diff_ids[0], d]);
  assert.deepEqual(c.history?.at(-1), { created: 'now', author: 'me', created_by: 'sh -c x', comment: 'm' });
  assert.equal(c.history?.length, 2);
  assert.equal(c.author, 'me');
  const e = childImageConfig(parent, { runtime: {}, diffId: undefined, created: 'now', createdBy: '' });
  assert.deepEqual(e.rootfs.diff_ids, parent.rootfs.diff_ids);
  assert.equal(e.history?.at(-1)?.empty_layer, true);
});
