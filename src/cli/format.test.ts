import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tabwrite } from './tabwriter.js';
import { humanDuration, humanSizeWithPrecision, ramInBytes, bytesSize, parseGoDuration, formatG } from './units.js';
import { renderRows, containerRow, imageRows, displayablePorts, PS_DEFAULT_TABLE, PS_HEADERS, PS_HEADER_EXTRAS, IMAGE_HEADERS, imageDefaultTable, ellipsis } from './format.js';
import { renderVersion } from './commands/system.js';
import { toApiTimestamp } from './commands/logs.js';

void test('tabwriter: docker ps header with no rows', () => {
  assert.equal(tabwrite('CONTAINER ID\tIMAGE\tCOMMAND\tCREATED\tSTATUS\tPORTS\tNAMES\n'),
    'CONTAINER ID   IMAGE     COMMAND   CREATED   STATUS    PORTS     NAMES\n');
});

void test('tabwriter: columns grow, last cell is not padded, blocks end at short lines', () => {
  assert.equal(tabwrite('a\tbb\tc\nlonger-cell-here\tx\ty\n'), 'a                  bb        c\nlonger-cell-here   x         y\n');
  assert.equal(tabwrite('a\tb\nno tabs\nccccccccccccc\td\n'), 'a         b\nno tabs\nccccccccccccc   d\n');
});

const NOW = Date.UTC(2024, 0, 1, 12, 0, 0);
const ctr = {
  Id: '4f1f0c0d8b7a6e5f4f1f0c0d8b7a6e5f4f1f0c0d8b7a6e5f4f1f0c0d8b7a6e5f',
  Names: ['/web'], Image: 'busybox', Command: "sh -c 'while true; do sleep 1; done'", Created: NOW / 1000 - 5,
  Ports: [{ IP: '0.0.0.0', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' }, { IP: '::', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' }],
  Labels: { 'com.example': 'v', a: 'b' }, State: 'running', Status: 'Up 5 seconds',
};

void test('docker ps default table', () => {
  const rows = [containerRow(ctr, { trunc: true, now: NOW })];
  assert.equal(renderRows({ format: '', defaultTable: PS_DEFAULT_TABLE, headers: PS_HEADERS }, rows, PS_HEADER_EXTRAS),
    'CONTAINER ID   IMAGE     COMMAND                  CREATED         STATUS         PORTS                                     NAMES\n' +
    `4f1f0c0d8b7a   busybox   "sh -c 'while true; …"   5 seconds ago   Up 5 seconds   0.0.0.0:8080->80/tcp, [::]:8080->80/tcp   web\n`);
});

void test('ps --format: custom table header, json, Label, no-trunc', () => {
  const row = containerRow(ctr, { trunc: true, now: NOW });
  const spec = (format: string) => ({ format, defaultTable: PS_DEFAULT_TABLE, headers: PS_HEADERS });
  assert.equal(renderRows(spec('table {{.ID}}\\t{{.Names}}\\t{{.Label "a"}}'), [row], PS_HEADER_EXTRAS),
    'CONTAINER ID   NAMES     a\n4f1f0c0d8b7a   web       b\n');
  assert.equal(renderRows(spec('table {{.Label "com.example.some-long_name"}}'), [row], PS_HEADER_EXTRAS), 'some long name\n\n');
  assert.equal(renderRows(spec('{{.Names}}: {{.State}}'), [row]), 'web: running\n');
  const j = JSON.parse(renderRows(spec('json'), [row]));
  assert.equal(j.Names, 'web');
  assert.equal(j.Labels, 'a=b,com.example=v');
  assert.equal(j.RunningFor, '5 seconds ago');
  assert.equal(Object.keys(j).includes('Label'), false);
  assert.equal(containerRow(ctr, { trunc: false, now: NOW }).ID, ctr.Id);
  assert.equal(j.Platform, null);
  assert.equal(renderRows(spec('{{json .}}'), [containerRow({ ...ctr, Image: '<x>&' }, { trunc: true, now: NOW })]).includes('"Image":"\\u003cx\\u003e\\u0026"'), true);
  assert.equal(renderRows(spec('{{json .Image}}'), [containerRow({ ...ctr, Image: '<x>' }, { trunc: true, now: NOW })]), '"<x>"\n');
  assert.throws(() => renderRows(spec('{{.Foo}}'), [row]), { message: 'template parsing error: template: :1:2: executing "" at <.Foo>: can\'t evaluate field Foo in type *formatter.ContainerContext' });
});

void test('displayable ports group ranges', () => {
  assert.equal(displayablePorts([{ PrivatePort: 80, Type: 'tcp' }, { PrivatePort: 81, Type: 'tcp' }, { PrivatePort: 53, Type: 'udp' }]), '53/udp, 80-81/tcp');
  assert.equal(displayablePorts([{ IP: '0.0.0.0', PrivatePort: 80, PublicPort: 80, Type: 'tcp' }]), '0.0.0.0:80->80/tcp');
  assert.equal(displayablePorts([]), '');
});

void test('docker images table and rows', () => {
  const imgs = [{ Id: 'sha256:' + 'ab'.repeat(32), RepoTags: ['busybox:latest', 'busybox:1.36'], RepoDigests: ['busybox@sha256:' + 'cd'.repeat(32)], Created: NOW / 1000 - 3 * 86400, Size: 4261550 },
    { Id: 'sha256:' + 'ef'.repeat(32), RepoTags: [], RepoDigests: [], Created: NOW / 1000 - 7200, Size: 1234 }];
  const rows = imageRows(imgs, { trunc: true, digests: false, now: NOW });
  assert.equal(renderRows({ format: '', defaultTable: imageDefaultTable(false), headers: IMAGE_HEADERS }, rows),
    'REPOSITORY   TAG       IMAGE ID       CREATED       SIZE\n' +
    'busybox      latest    abababababab   3 days ago    4.26MB\n' +
    'busybox      1.36      abababababab   3 days ago    4.26MB\n' +
    '<none>       <none>    efefefefefef   2 hours ago   1.23kB\n');
  const d = imageRows(imgs, { trunc: true, digests: true, now: NOW });
  assert.equal(d[0]!.Digest, 'sha256:' + 'cd'.repeat(32));
  assert.equal(renderRows({ format: '{{.ID}}', defaultTable: '', headers: IMAGE_HEADERS }, rows), 'abababababab\nabababababab\nefefefefefef\n');
});

void test('go-units HumanDuration', () => {
  const s = 1000;
  const cases: [number, string][] = [[0, 'Less than a second'], [1 * s, '1 second'], [59 * s, '59 seconds'], [60 * s, 'About a minute'],
    [5 * 60 * s, '5 minutes'], [3600 * s, 'About an hour'], [2 * 3600 * s, '2 hours'], [47 * 3600 * s, '47 hours'], [48 * 3600 * s, '2 days'],
    [14 * 86400 * s, '2 weeks'], [60 * 86400 * s, '2 months'], [2 * 365 * 86400 * s, '2 years']];
  for (const [ms, want] of cases) assert.equal(humanDuration(ms), want, `${ms}`);
});

void test('go-units sizes', () => {
  const cases: [number, string][] = [[0, '0B'], [999, '999B'], [1000, '1kB'], [1234, '1.23kB'], [4261550, '4.26MB'], [7.8e6, '7.8MB'], [999950, '1e+03kB'], [1e9, '1GB']];
  for (const [n, want] of cases) assert.equal(humanSizeWithPrecision(n, 3), want);
  assert.equal(ramInBytes('64m'), 67108864);
  assert.equal(ramInBytes('1.5GiB'), 1610612736);
  assert.equal(ramInBytes('512'), 512);
  assert.throws(() => ramInBytes('1x'), /invalid size: '1x'/);
  assert.equal(bytesSize(2 * 1024 ** 3), '2GiB');
  assert.equal(formatG(0.0001234, 3), '0.000123');
  assert.equal(humanSizeWithPrecision(10625, 4), '10.62kB'); // an exact tie rounds to even, as Go's %.4g
  assert.equal(parseGoDuration('1h30m'), 5400000);
  assert.equal(ellipsis('abcdef', 4), 'abc…');
});

void test('logs since/until conversion', () => {
  assert.equal(toApiTimestamp('10m', 1_700_000_600_000), '1700000000.000000000');
  assert.equal(toApiTimestamp('1700000000'), '1700000000');
  assert.equal(toApiTimestamp('1700000000.5'), '1700000000.500000000');
  assert.equal(toApiTimestamp('2013-01-02T13:23:37Z'), '1357133017.000000000');
  assert.equal(toApiTimestamp('2013-01-02T13:23:37.123456789Z'), '1357133017.123456789');
  assert.throws(() => toApiTimestamp('yesterday'), /failed to parse/);
});

void test('version template rendering', () => {
  const out = renderVersion({ Platform: { Name: '' }, Version: '0.1.0', APIVersion: '1.45', DefaultAPIVersion: '1.45', GoVersion: 'node20', GitCommit: 'x', BuildTime: 'y', Os: 'linux', Arch: 'amd64', Context: 'default' },
    { Platform: { Name: '' }, Components: [{ Name: 'Engine', Version: '0.1.0', Details: { ApiVersion: '1.45', MinAPIVersion: '1.24', GoVersion: 'node', GitCommit: 'c', BuildTime: 'b', Os: 'linux', Arch: 'amd64', Experimental: 'false' } }] }, '');
  assert.equal(out, [
    'Client:', ' Version:           0.1.0', ' API version:       1.45', ' Go version:        node20', ' Git commit:        x', ' Built:             y',
    ' OS/Arch:           linux/amd64', ' Context:           default', '', 'Server:', ' Engine:', '  Version:          0.1.0',
    '  API version:      1.45 (minimum version 1.24)', '  Go version:       node', '  Git commit:       c', '  Built:            b',
    '  OS/Arch:          linux/amd64', '  Experimental:     false', ''].join('\n'));
});
