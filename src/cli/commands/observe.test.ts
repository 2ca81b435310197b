import { test } from 'node:test';
import assert from 'node:assert/strict';
import { naturalLess, portLines, prettyEvent } from './observe.js';

void test('portLines: all mappings sorted naturally, or one private port', () => {
  const ports = {
    '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '8080' }, { HostIp: '::', HostPort: '8080' }],
    '9/udp': [{ HostIp: '127.0.0.1', HostPort: '9000' }],
    '443/tcp': null,
  };
  assert.deepEqual(portLines(ports, 'web'), ['9/udp -> 127.0.0.1:9000', '80/tcp -> 0.0.0.0:8080', '80/tcp -> [::]:8080']);
  assert.deepEqual(portLines(ports, 'web', '80'), ['0.0.0.0:8080', '[::]:8080']);
  assert.deepEqual(portLines(ports, 'web', '9/udp'), ['127.0.0.1:9000']);
  assert.deepEqual(portLines({}, 'web'), []);
  assert.deepEqual(portLines(null, 'web'), []);
  assert.throws(() => portLines(ports, 'web', '443'), { message: "Error: No public port '443' published for web" });
  assert.throws(() => portLines({}, 'web', '80/tcp'), { message: "Error: No public port '80/tcp' published for web" });
  assert.throws(() => portLines({}, 'web', 'abc'), { message: 'Error: invalid port (abc): strconv.ParseUint: parsing "abc": invalid syntax' });
  assert.equal(naturalLess('a2', 'a10'), true);
  assert.equal(naturalLess('a10', 'a2'), false);
});

void test('prettyEvent: RFC3339 with 9 fraction digits, sorted attributes', () => {
  const prevTz = process.env['TZ'];
  process.env['TZ'] = 'UTC';
  try {
    const line = prettyEvent({ Type: 'container', Action: 'die', Actor: { ID: 'abc', Attributes: { name: 'web', exitCode: '0', image: 'busybox' } }, time: 1, timeNano: 1 }, '1700000000000000042');
    assert.equal(line, '2023-11-14T22:13:20.000000042Z container die abc (exitCode=0, image=busybox, name=web)\n');
    assert.equal(prettyEvent({ Type: 'image', Action: 'tag', Actor: { ID: 'sha256:x', Attributes: {} }, time: 1700000000 }), '2023-11-14T22:13:20.000000000Z image tag sha256:x\n');
  } finally {
    if (prevTz === undefined) delete process.env['TZ'];
    else process.env['TZ'] = prevTz;
  }
});
