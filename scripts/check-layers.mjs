#!/usr/bin/env node
// Checks the import rules of docs/architecture.md: each folder of src/ imports only folders allowed for
// its layer, cross-folder imports go through the folder's index.ts, and there are no import cycles.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, dirname, resolve } from 'node:path';

const root = resolve(new URL('..', import.meta.url).pathname, 'src');
const allowed = {
  base: [],
  oci: ['base'],
  sys: ['base'],
  archive: ['base', 'oci'],
  content: ['base', 'oci', 'sys', 'archive'],
  snapshots: ['base', 'oci', 'sys', 'archive'],
  runtime: ['base', 'oci', 'sys', 'archive'],
  logs: ['base', 'oci', 'sys'],
  events: ['base'],
  distribution: ['base', 'oci'],
  images: ['base', 'oci', 'sys', 'archive', 'content', 'snapshots', 'events'],
  containers: ['base', 'oci', 'sys', 'archive', 'runtime', 'logs', 'events', 'snapshots'],
  engine: ['base', 'oci', 'sys', 'archive', 'distribution', 'content', 'snapshots', 'runtime', 'logs', 'events', 'images', 'containers'],
  api: ['base', 'oci', 'distribution', 'engine', 'logs', 'containers', 'images', 'events'],
  client: ['base'],
  cli: ['base', 'client'],
  registry: ['base', 'oci'],
  cmd: null, // anything
};

function walk(dir) {
  const out = [];
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (p.endsWith('.ts') && !p.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

const files = walk(root);
const problems = [];
const graph = new Map();
const importRe = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
for (const file of files) {
  const rel = relative(root, file);
  const folder = rel.split('/')[0];
  if (!(folder in allowed)) {
    problems.push(`${rel}: folder '${folder}' has no layer in scripts/check-layers.mjs`);
    continue;
  }
  const src = readFileSync(file, 'utf8');
  const deps = new Set();
  for (const m of src.matchAll(importRe)) {
    const spec = m[1] ?? m[2];
    if (!spec.startsWith('.')) continue;
    const target = relative(root, resolve(dirname(file), spec));
    if (target.startsWith('..')) { problems.push(`${rel}: imports outside src/: ${spec}`); continue; }
    const tfolder = target.split('/')[0];
    const tfile = target.replace(/\.js$/, '.ts');
    deps.add(tfile);
    if (tfolder === folder) continue;
    const ok = allowed[folder];
    if (ok !== null && !ok.includes(tfolder)) problems.push(`${rel}: layer violation: ${folder} may not import ${tfolder} (${spec})`);
    if (folder !== 'cmd' && !file.endsWith('.test.ts') && !/^[^/]+\/index\.ts$/.test(tfile)) {
      problems.push(`${rel}: deep import into ${tfolder}: ${spec} (import from ${tfolder}/index.js)`);
    }
  }
  graph.set(rel, [...deps]);
}

// Cycle detection over files (ignoring tests).
const state = new Map();
const stack = [];
function visit(n) {
  if (state.get(n) === 2) return;
  if (state.get(n) === 1) {
    const i = stack.indexOf(n);
    problems.push(`import cycle: ${[...stack.slice(i), n].join(' -> ')}`);
    return;
  }
  state.set(n, 1);
  stack.push(n);
  for (const d of graph.get(n) ?? []) if (!d.endsWith('.test.ts')) visit(d);
  stack.pop();
  state.set(n, 2);
}
for (const n of graph.keys()) if (!n.endsWith('.test.ts')) visit(n);

if (problems.length) {
  console.error(`check-layers: ${problems.length} problem(s)\n` + [...new Set(problems)].join('\n'));
  process.exit(1);
}
console.log(`check-layers: ${files.length} files, layering and cycles OK`);
