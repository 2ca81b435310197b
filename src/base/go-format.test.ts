import { test } from 'node:test';
import assert from 'node:assert/strict';
import { goFormatG, goHumanSize } from './go-format.js';

void test('goFormatG: Go\'s %.<p>g: significant digits, no trailing zeros, exponent form past the precision', () => {
  const cases: Array<[number, number, string]> = [
    [0, 4, '0'], [1, 4, '1'], [2.5, 4, '2.5'], [12.3456, 4, '12.35'], [100, 4, '100'], [120, 4, '120'],
    [999.9, 4, '999.9'], [999.95, 4, '1000'], [1000, 4, '1000'], [9999.5, 4, '1e+04'], [123456, 4, '1.235e+05'],
    [0.0001234, 2, '0.00012'], [0.00001234, 2, '1.2e-05'], [-2.5, 4, '-2.5'], [1e21, 4, '1e+21'], [5e-324, 3, '4.94e-324'],
    // Ties on the exact binary value go to the even digit (strconv), not up (JavaScript's toPrecision).
    [10.625, 4, '10.62'], [10.875, 4, '10.88'], [0.125, 2, '0.12'], [0.375, 2, '0.38'],
    // Not a tie: 1.0005 is 1.000499999999999989... in binary.
    [1.0005, 4, '1'],
  ];
  for (const [x, p, want] of cases) assert.equal(goFormatG(x, p), want, `%.${p}g of ${x}`);
});

void test('goHumanSize: docker/go-units HumanSize', () => {
  const cases: Array<[number, string]> = [
    [0, '0B'], [1, '1B'], [999, '999B'], [1000, '1kB'], [1234, '1.234kB'], [10625, '10.62kB'], [999_999, '1000kB'],
    [1_000_000, '1MB'], [2_500_000, '2.5MB'], [32_654_321, '32.65MB'], [1_234_567_890, '1.235GB'], [1e27, '1000YB'],
  ];
  for (const [n, want] of cases) assert.equal(goHumanSize(n), want, String(n));
});
