import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePsOutput, validatePsArgs } from './top.js';

const EF = `UID          PID    PPID  C STIME TTY          TIME CMD
root           1       0  0 10:00 ?        00:00:01 /sbin/init
root         100       1  0 10:01 ?        00:00:00 sh -c sleep 1000 & while :; do :; done
root         101     100  0 10:01 ?        00:00:00 sleep 1000
root         200       1  0 10:02 ?        00:00:00 sleep 5
`;

void test('parsePsOutput keeps only the given PIDs and joins the command column', () => {
  const r = parsePsOutput(EF, [100, 101]);
  assert.deepEqual(r.Titles, ['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD']);
  assert.deepEqual(r.Processes.map((p) => p[1]), ['100', '101']);
  assert.equal(r.Processes[0]![7], 'sh -c sleep 1000 & while :; do :; done');
  assert.equal(r.Processes[0]!.length, 8);
  assert.deepEqual(parsePsOutput(EF, []).Processes, []);
});

void test('parsePsOutput: custom columns, thread rows follow their process', () => {
  const out = `PID COMMAND\n  7 sh\n  9 sleep\n`;
  assert.deepEqual(parsePsOutput(out, [9]), { Titles: ['PID', 'COMMAND'], Processes: [['9', 'sleep']] });
  const threads = `USER PID %CPU COMMAND\nroot 10 0.0 app\nroot - 0.0 -\nroot 11 0.0 other\nroot - 0.0 -\n`;
  assert.deepEqual(parsePsOutput(threads, [10]).Processes, [['root', '10', '0.0', 'app'], ['root', '-', '0.0', '-']]);
});

void test('parsePsOutput fails without a PID column or with a bad PID', () => {
  assert.throws(() => parsePsOutput('USER COMMAND\nroot sh\n', [1]), /Couldn't find PID field in ps output/);
  assert.throws(() => parsePsOutput('PID CMD\nabc sh\n', [1]), /Unexpected pid 'abc'/);
});

void test('validatePsArgs refuses renaming PID except as pid=', () => {
  validatePsArgs('-ef');
  validatePsArgs('-o pid=PID,comm');
  assert.throws(() => validatePsArgs('-o user=PID'), /specifying "user=PID" is not allowed/);
});
