import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildHostnameFile, buildHostsFile, buildResolvConf, parseExtraHost } from './etc-files.js';
import { InvalidArgumentError } from '../base/index.js';

const DEFAULTS = '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n';

void test('hostname file', () => {
  assert.equal(buildHostnameFile('abc123'), 'abc123\n');
});

void test('hosts file: defaults, extra hosts, own entry', () => {
  assert.equal(buildHostsFile({ hostname: 'abc' }), DEFAULTS);
  assert.equal(
    buildHostsFile({ hostname: 'web', domainname: 'example.com', extraHosts: ['db:10.0.0.5', 'v6=[::1]', 'x:fe80::1'], ip: '172.17.0.2' }),
    DEFAULTS + '10.0.0.5\tdb\n::1\tv6\nfe80::1\tx\n172.17.0.2\tweb.example.com web\n',
  );
});

void test('add-host validation', () => {
  assert.deepEqual(parseExtraHost('a.b:1.2.3.4'), { host: 'a.b', ip: '1.2.3.4' });
  assert.throws(() => parseExtraHost('nocolon'), (e: unknown) => e instanceof InvalidArgumentError && /bad format for add-host/.test(e.message));
  assert.throws(() => parseExtraHost(':1.2.3.4'), /bad format for add-host/);
  assert.throws(() => parseExtraHost('h:999.1.1.1'), /invalid IP address in add-host: "999.1.1.1"/);
  assert.throws(() => parseExtraHost('h:host-gateway'), /host-gateway/);
});

void test('resolv.conf: loopback nameservers dropped, others and search/options kept', () => {
  const host = '# generated\nnameserver 127.0.0.53\nnameserver 10.255.255.53\nnameserver ::1\nsearch corp.example\noptions edns0 trust-ad\n';
  assert.equal(buildResolvConf(host), 'search corp.example\nnameserver 10.255.255.53\noptions edns0 trust-ad\n');
});

void test('resolv.conf: Google fallback when only loopback', () => {
  assert.equal(buildResolvConf('nameserver 127.0.0.1\n'), 'nameserver 8.8.8.8\nnameserver 8.8.4.4\n');
  assert.equal(buildResolvConf(''), 'nameserver 8.8.8.8\nnameserver 8.8.4.4\n');
});

void test('resolv.conf: overrides', () => {
  const host = 'nameserver 10.0.0.1\nsearch a.example\noptions ndots:2\n';
  assert.equal(buildResolvConf(host, { dns: ['1.1.1.1', '127.0.0.1'] }), 'search a.example\nnameserver 1.1.1.1\nnameserver 127.0.0.1\noptions ndots:2\n');
  assert.equal(buildResolvConf(host, { search: ['b.example', 'c.example'], options: ['rotate'] }), 'search b.example c.example\nnameserver 10.0.0.1\noptions rotate\n');
  assert.equal(buildResolvConf(host, { search: ['.'] }), 'nameserver 10.0.0.1\noptions ndots:2\n');
  assert.throws(() => buildResolvConf(host, { dns: ['not-an-ip'] }), /IP address is not correctly formatted: not-an-ip/);
  assert.throws(() => buildResolvConf(host, { search: ['bad domain'] }), /is not a valid domain/);
});
