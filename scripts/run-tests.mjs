#!/usr/bin/env node
// Runs every check and test: lint, layering, unit tests (next to the code), integration tests (real berthd).
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const repo = new URL('..', import.meta.url).pathname;
process.chdir(repo);

function walk(dir, pred) {
  const out = [];
  let entries = [];
  try { entries = readdirSync(dir); } catch { return out; }
  for (const e of entries) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...walk(p, pred));
    else if (pred(p)) out.push(p);
  }
  return out.sort();
}

function step(name, cmd, args, opts = {}) {
  const t0 = Date.now();
  console.log(`\n=== ${name}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts });
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  if (r.status !== 0) {
    console.error(`=== ${name}: FAILED (${secs}s)`);
    process.exit(r.status ?? 1);
  }
  console.log(`=== ${name}: ok (${secs}s)`);
}

const filter = process.argv[2];
if (!filter) {
  step('typecheck', 'npx', ['tsc', '-p', 'tsconfig.json', '--noEmit']);
  step('layers and cycles', 'node', ['scripts/check-layers.mjs']);
  step('lint', 'npx', ['eslint', 'src', 'test']);
}
const isTest = (p) => p.endsWith('.test.js') && (!filter || p.includes(filter));
const unit = walk('dist/src', isTest);
const integration = walk('dist/test', isTest);
if (unit.length) step(`unit tests (${unit.length} files)`, 'node', ['--test', '--test-concurrency=2', ...unit]);
if (integration.length) step(`integration tests (${integration.length} files)`, 'node', ['--test', '--test-concurrency=1', ...integration]);
console.log('\nall tests passed');
