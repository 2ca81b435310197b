import test from 'node:test';
import assert from 'node:assert/strict';
import { humanDuration, statusString } from './status.js';

void test('humanDuration follows go-units', () => {
  assert.equal(humanDuration(200), 'Less than a second');
  assert.equal(humanDuration(1000), '1 second');
  assert.equal(humanDuration(900), 'Less than a second');
  assert.equal(humanDuration(1900), '1 second');
  assert.equal(humanDuration(119_000), 'About a minute');
  assert.equal(humanDuration(3000), '3 seconds');
  assert.equal(humanDuration(60_000), 'About a minute');
  assert.equal(humanDuration(5 * 60_000), '5 minutes');
  assert.equal(humanDuration(3600_000), 'About an hour');
  assert.equal(humanDuration(5 * 3600_000), '5 hours');
  assert.equal(humanDuration(3 * 86400_000), '3 days');
  assert.equal(humanDuration(21 * 86400_000), '3 weeks');
});

void test('statusString renders Docker states', () => {
  const now = Date.parse('2024-01-01T00:01:00Z');
  const base = { Running: false, Paused: false, Restarting: false, Dead: false, ExitCode: 0, StartedAt: '0001-01-01T00:00:00Z', FinishedAt: '0001-01-01T00:00:00Z' };
  assert.equal(statusString({ ...base, Status: 'created' }, now), 'Created');
  assert.equal(statusString({ ...base, Status: 'running', Running: true, StartedAt: '2024-01-01T00:00:57Z' }, now), 'Up 3 seconds');
  assert.equal(statusString({ ...base, Status: 'paused', Running: true, Paused: true, StartedAt: '2024-01-01T00:00:57Z' }, now), 'Up 3 seconds (Paused)');
  assert.equal(statusString({ ...base, Status: 'exited', ExitCode: 3, StartedAt: '2024-01-01T00:00:00Z', FinishedAt: '2024-01-01T00:00:55Z' }, now), 'Exited (3) 5 seconds ago');
});
