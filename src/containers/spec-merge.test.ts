import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mergeImageConfig, mergeEnv } from './spec-merge.js';
import { InvalidArgumentError } from '../base/index.js';
import type { ContainerConfig, ImageRuntimeConfig } from './docker-types.js';

const image: ImageRuntimeConfig = Object.freeze({
  Entrypoint: ['/docker-entrypoint.sh'], Cmd: ['nginx', '-g', 'daemon off;'],
  Env: ['PATH=/usr/bin:/bin', 'NGINX_VERSION=1.25'], Labels: { maintainer: 'img', a: 'img' },
  ExposedPorts: { '80/tcp': {} }, Volumes: { '/data': {} }, WorkingDir: '/srv', User: 'nginx', StopSignal: 'SIGQUIT',
}) as ImageRuntimeConfig;

const cases: { name: string; user: ContainerConfig; img?: ImageRuntimeConfig; ep: string[] | null; cmd: string[] | null }[] = [
  { name: 'nothing given: image entrypoint and cmd', user: {}, ep: ['/docker-entrypoint.sh'], cmd: ['nginx', '-g', 'daemon off;'] },
  { name: 'user cmd replaces image cmd, keeps entrypoint', user: { Cmd: ['sh'] }, ep: ['/docker-entrypoint.sh'], cmd: ['sh'] },
  { name: 'user entrypoint drops image cmd', user: { Entrypoint: ['/bin/echo'] }, ep: ['/bin/echo'], cmd: null },
  { name: 'user entrypoint and cmd', user: { Entrypoint: ['/bin/echo'], Cmd: ['hi'] }, ep: ['/bin/echo'], cmd: ['hi'] },
  { name: 'Entrypoint [""] clears, user cmd runs', user: { Entrypoint: [''], Cmd: ['ls'] }, ep: null, cmd: ['ls'] },
  { name: 'Entrypoint null inherits', user: { Entrypoint: null, Cmd: [] }, ep: ['/docker-entrypoint.sh'], cmd: ['nginx', '-g', 'daemon off;'] },
  { name: 'Entrypoint [] clears but inherits cmd', user: { Entrypoint: [] }, ep: null, cmd: ['nginx', '-g', 'daemon off;'] },
  { name: 'string Cmd accepted', user: { Cmd: 'top' as unknown as string[] }, ep: ['/docker-entrypoint.sh'], cmd: ['top'] },
  { name: 'image without entrypoint', user: {}, img: { Cmd: ['sh'] }, ep: null, cmd: ['sh'] },
];

for (const c of cases) {
  void test(`merge: ${c.name}`, () => {
    const out = mergeImageConfig(c.user, c.img ?? image);
    assert.deepEqual(out.Entrypoint ?? null, c.ep);
    assert.deepEqual(out.Cmd ?? null, c.cmd);
  });
}

void test('merge: nothing to run is an InvalidArgumentError', () => {
  assert.throws(() => mergeImageConfig({ Entrypoint: [''] }, image), (e: unknown) => e instanceof InvalidArgumentError && e.message === 'no command specified');
  assert.throws(() => mergeImageConfig({}, {}), /no command specified/);
});

void test('merge: env by key, labels/ports/volumes union, fallbacks', () => {
  const user: ContainerConfig = {
    Env: ['NGINX_VERSION=2', 'FOO=bar'], Labels: { a: 'user' }, ExposedPorts: { '443/tcp': {} }, Volumes: { '/x': {} }, Cmd: ['x'],
  };
  const out = mergeImageConfig(user, image);
  assert.deepEqual(out.Env, ['PATH=/usr/bin:/bin', 'NGINX_VERSION=2', 'FOO=bar']);
  assert.deepEqual(out.Labels, { maintainer: 'img', a: 'user' });
  assert.deepEqual(Object.keys(out.ExposedPorts!).sort(), ['443/tcp', '80/tcp']);
  assert.deepEqual(Object.keys(out.Volumes!).sort(), ['/data', '/x']);
  assert.equal(out.WorkingDir, '/srv');
  assert.equal(out.User, 'nginx');
  assert.equal(out.StopSignal, 'SIGQUIT');
  const own = mergeImageConfig({ Cmd: ['x'], User: '1000', WorkingDir: '/w', StopSignal: 'SIGTERM' }, image);
  assert.equal(own.User, '1000');
  assert.equal(own.WorkingDir, '/w');
  assert.equal(own.StopSignal, 'SIGTERM');
});

void test('merge: never mutates the image config or the user config', () => {
  const img = structuredClone({ ...image, Healthcheck: { Test: ['CMD', 'true'], Interval: 5 } });
  const before = structuredClone(img);
  const user: ContainerConfig = { Env: ['A=1'], Labels: { l: '1' }, Healthcheck: { Retries: 3 } };
  const userBefore = structuredClone(user);
  const out = mergeImageConfig(user, img);
  out.Env!.push('Z=1');
  out.Cmd!.push('mut');
  out.Entrypoint!.push('mut');
  out.Labels!['new'] = 'x';
  out.ExposedPorts!['1/udp'] = {};
  out.Healthcheck!.Test!.push('x');
  assert.deepEqual(img, before);
  assert.deepEqual(user, userBefore);
  assert.equal(out.Healthcheck!.Retries, 3);
  assert.equal(out.Healthcheck!.Interval, 5);
});

void test('merge: relative WorkingDir and bad env refused', () => {
  assert.throws(() => mergeImageConfig({ Cmd: ['x'], WorkingDir: 'rel' }, {}), /needs to be an absolute path/);
  assert.throws(() => mergeImageConfig({ Cmd: ['x'], Env: ['=x'] }, {}), /invalid environment variable/);
});

void test('mergeEnv keeps first occurrence order', () => {
  assert.deepEqual(mergeEnv(['A=1', 'B=2'], ['B=3', 'C=4', 'A=5']), ['A=5', 'B=3', 'C=4']);
});
