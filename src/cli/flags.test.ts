import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFlags, FlagError, flagUsages, type FlagDef } from './flags.js';

const defs: FlagDef[] = [
  { name: 'interactive', short: 'i', kind: 'bool', usage: '' },
  { name: 'tty', short: 't', kind: 'bool', usage: '' },
  { name: 'env', short: 'e', kind: 'list', usage: '' },
  { name: 'rm', kind: 'bool', usage: '' },
  { name: 'name', kind: 'string', usage: '' },
  { name: 'last', short: 'n', kind: 'int', usage: '', default: -1 },
];

void test('short clusters, attached values and = forms', () => {
  const r = parseFlags(['-it', '-e', 'A=B', '-eC=D', '-e=E=F', '--env=G=H', '--env', 'I', 'img'], defs, { interspersed: false });
  assert.equal(r.flags.bool('interactive'), true);
  assert.equal(r.flags.bool('tty'), true);
  assert.deepEqual(r.flags.list('env'), ['A=B', 'C=D', 'E=F', 'G=H', 'I']);
  assert.deepEqual(r.args, ['img']);
});

void test('bool values: --rm=false, -i=false', () => {
  const r = parseFlags(['--rm=false', '-i=false', '-t'], defs);
  assert.equal(r.flags.bool('rm'), false);
  assert.equal(r.flags.has('rm'), true);
  assert.equal(r.flags.bool('interactive'), false);
  assert.equal(r.flags.bool('tty'), true);
  assert.throws(() => parseFlags(['--rm=maybe'], defs), /invalid argument "maybe" for "--rm" flag: strconv.ParseBool/);
});

void test('non-interspersed: everything after the image belongs to the container', () => {
  const r = parseFlags(['--rm', 'alpine', 'ls', '-la', '--name', 'x', '--'], defs, { interspersed: false });
  assert.deepEqual(r.args, ['alpine', 'ls', '-la', '--name', 'x', '--']);
  assert.equal(r.flags.has('name'), false);
});

void test('interspersed flags and --', () => {
  const r = parseFlags(['a', '--rm', 'b', '--', '-t', '--x'], defs);
  assert.deepEqual(r.args, ['a', 'b', '-t', '--x']);
  assert.equal(r.flags.bool('tty'), false);
  const r2 = parseFlags(['--', 'alpine'], defs, { interspersed: false });
  assert.deepEqual(r2.args, ['alpine']);
});

void test('value flags take the next argument even if it looks like a flag', () => {
  const r = parseFlags(['--name', '-x', '-n', '-3'], defs);
  assert.equal(r.flags.string('name'), '-x');
  assert.equal(r.flags.int('last'), -3);
});

void test('pflag error messages', () => {
  assert.throws(() => parseFlags(['--x'], defs), (e: Error) => e instanceof FlagError && e.message === 'unknown flag: --x');
  assert.throws(() => parseFlags(['-xyz'], defs), { message: "unknown shorthand flag: 'x' in -xyz" });
  assert.throws(() => parseFlags(['-e'], defs), { message: "flag needs an argument: 'e' in -e" });
  assert.throws(() => parseFlags(['--name'], defs), { message: 'flag needs an argument: --name' });
  assert.throws(() => parseFlags(['-n', 'x'], defs), { message: 'invalid argument "x" for "-n, --last" flag: strconv.ParseInt: parsing "x": invalid syntax' });
});

void test('help detection; -h stays a flag when a command owns it', () => {
  assert.equal(parseFlags(['--help'], defs).help, true);
  assert.equal(parseFlags(['-h'], defs).help, true);
  const withH = [...defs, { name: 'hostname', short: 'h', kind: 'string' as const, usage: '' }];
  const r = parseFlags(['-h', 'box', 'img'], withH, { interspersed: false });
  assert.equal(r.help, false);
  assert.equal(r.flags.string('hostname'), 'box');
});

void test('defaults', () => {
  const r = parseFlags([], defs);
  assert.equal(r.flags.int('last'), -1);
  assert.equal(r.flags.string('name'), '');
  assert.deepEqual(r.flags.list('env'), []);
});

void test('flagUsages matches docker logs --help', () => {
  const logs: FlagDef[] = [
    { name: 'details', kind: 'bool', usage: 'Show extra details provided to logs' },
    { name: 'follow', short: 'f', kind: 'bool', usage: 'Follow log output' },
    { name: 'since', kind: 'string', usage: 'Show logs since timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)' },
    { name: 'tail', short: 'n', kind: 'string', usage: 'Number of lines to show from the end of the logs', defaultText: '"all"' },
    { name: 'timestamps', short: 't', kind: 'bool', usage: 'Show timestamps' },
  ];
  assert.equal(flagUsages(logs), [
    '      --details        Show extra details provided to logs',
    '  -f, --follow         Follow log output',
    '      --since string   Show logs since timestamp (e.g.',
    '                       "2013-01-02T13:23:37Z") or relative (e.g. "42m"',
    '                       for 42 minutes)',
    '  -n, --tail string    Number of lines to show from the end of the logs',
    '                       (default "all")',
    '  -t, --timestamps     Show timestamps',
    '',
  ].join('\n'));
});
