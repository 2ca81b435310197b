#!/usr/bin/env node
// Runs the benchmark cases described by a plan (JSON file, written by bench/run.sh), alternating engines round by
// round, then prints a table of medians/p90 and the berth/docker ratios and writes the results as JSON.
//
//   node bench/lib/measure.mjs PLAN.json RESULTS.json
//
// Plan: { rounds, warmup, meta, ops: [{ name, title, cases: [Case] }], ratios: [{ name, op, num, den }] }
// Case: { id, label, argv, env?, kind: 'cmd' | 'pair', rmArgv?, prep? }
//   prep: commands (argv arrays) run before every sample, not timed, failures ignored (e.g. rmi of the image a pull
//         case is about to pull again, or emptying the registry a push case pushes to).
//   kind 'cmd':  one command; a sample is its wall time; exit status must be 0.
//   kind 'pair': argv prints a container ID (last line of stdout), then rmArgv + [ID] runs; a sample is the time of
//                both together.
//   '{n}' in any argument is replaced by a counter unique within the run (for runc container IDs).
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, appendFileSync } from 'node:fs';

const [planPath, outPath] = process.argv.slice(2);
if (!planPath || !outPath) {
  process.stderr.write('usage: measure.mjs PLAN.json RESULTS.json\n');
  process.exit(2);
}
const plan = JSON.parse(readFileSync(planPath, 'utf8'));
const leftoverFile = plan.leftoverFile; // container IDs whose removal failed, for run.sh's clean-up
const TIMEOUT_MS = 120_000;
let counter = 0;

function subst(args) {
  const n = String(++counter);
  return args.map((a) => a.replaceAll('{n}', n));
}

function exec(argv, env) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv.slice(1), {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...(env ?? {}) },
    timeout: TIMEOUT_MS,
    maxBuffer: 16 << 20,
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const ok = r.status === 0 && !r.error;
  const why = r.error ? String(r.error.message) : r.signal ? `signal ${r.signal}` : `exit ${r.status}`;
  const stderr = (r.stderr?.toString() ?? '').trim();
  return { ok, ms, stdout: r.stdout?.toString() ?? '', err: ok ? '' : `${argv.join(' ')}: ${why}: ${stderr.slice(-600)}` };
}

/** One sample of a case: { ok, ms, err }. */
function sample(c) {
  for (const argv of c.prep ?? []) exec(argv, c.env);
  if (c.kind === 'pair') {
    const a = exec(subst(c.argv), c.env);
    if (!a.ok) return a;
    const id = a.stdout.trim().split('\n').pop()?.trim() ?? '';
    if (!id) return { ok: false, ms: a.ms, err: `${c.argv.join(' ')}: printed no container ID` };
    const b = exec([...c.rmArgv, id], c.env);
    if (!b.ok && leftoverFile) appendFileSync(leftoverFile, `${c.id}\t${id}\n`);
    return { ok: b.ok, ms: a.ms + b.ms, err: b.err, runMs: a.ms, rmMs: b.ms };
  }
  return exec(subst(c.argv), c.env);
}

function pct(sorted, p) {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length); // nearest-rank
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}
function median(sorted) {
  if (sorted.length === 0) return null;
  const m = sorted.length >> 1;
  return sorted.length % 2 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2;
}
const round1 = (x) => (x === null ? null : Math.round(x * 10) / 10);

// State per case.
const state = new Map();
for (const op of plan.ops) {
  for (const c of op.cases) {
    state.set(`${op.name}/${c.id}`, { samples: [], runMs: [], rmMs: [], failures: 0, errors: [], disabled: null });
  }
}

const log = (s) => process.stderr.write(s);

// Warm-up: also decides which cases work at all. A case that fails every warm-up try is disabled (error kept).
const warmup = Math.max(1, plan.warmup ?? 2);
log(`bench: warm-up (${warmup} per case)\n`);
for (const op of plan.ops) {
  for (const c of op.cases) {
    const st = state.get(`${op.name}/${c.id}`);
    let okCount = 0;
    for (let i = 0; i < warmup; i++) {
      const s = sample(c);
      if (s.ok) okCount++;
      else st.errors.push(s.err);
    }
    if (okCount === 0) {
      st.disabled = st.errors[0] ?? 'failed';
      log(`bench:   ${op.name} / ${c.label}: DISABLED: ${st.disabled}\n`);
    }
  }
}

const rounds = plan.rounds;
log(`bench: ${rounds} rounds\n`);
const started = Date.now();
for (let r = 0; r < rounds; r++) {
  for (const op of plan.ops) {
    const live = op.cases.filter((c) => !state.get(`${op.name}/${c.id}`).disabled);
    // Rotate the order every round so no engine always runs first (or right after the same neighbour).
    const order = live.map((_, i) => live[(i + r) % live.length]);
    for (const c of order) {
      const st = state.get(`${op.name}/${c.id}`);
      const s = sample(c);
      if (s.ok) {
        st.samples.push(s.ms);
        if (s.runMs !== undefined) {
          st.runMs.push(s.runMs);
          st.rmMs.push(s.rmMs);
        }
      } else {
        st.failures++;
        if (st.errors.length < 5) st.errors.push(s.err);
      }
    }
  }
  const el = (Date.now() - started) / 1000;
  if (process.stderr.isTTY) log(`\rbench: round ${r + 1}/${rounds} (${el.toFixed(0)} s)`);
  else if ((r + 1) % 5 === 0 || r + 1 === rounds) log(`bench: round ${r + 1}/${rounds} (${el.toFixed(0)} s)\n`);
}
if (process.stderr.isTTY) log('\n');

// Summaries.
const results = {};
for (const op of plan.ops) {
  results[op.name] = { title: op.title, engines: {} };
  for (const c of op.cases) {
    const st = state.get(`${op.name}/${c.id}`);
    const sorted = [...st.samples].sort((a, b) => a - b);
    const mean = sorted.length ? sorted.reduce((a, b) => a + b, 0) / sorted.length : null;
    const entry = {
      label: c.label,
      command: [...c.argv, ...(c.kind === 'pair' ? ['&&', ...c.rmArgv, '<id>'] : [])].join(' '),
      n: sorted.length,
      failures: st.failures,
      median_ms: round1(median(sorted)),
      p90_ms: round1(pct(sorted, 90)),
      min_ms: round1(sorted[0] ?? null),
      max_ms: round1(sorted.at(-1) ?? null),
      mean_ms: round1(mean),
      samples_ms: st.samples.map(round1),
    };
    if (st.runMs.length) {
      entry.run_median_ms = round1(median([...st.runMs].sort((a, b) => a - b)));
      entry.rm_median_ms = round1(median([...st.rmMs].sort((a, b) => a - b)));
    }
    if (st.disabled) entry.disabled = st.disabled;
    if (st.errors.length) entry.errors = st.errors;
    results[op.name].engines[c.id] = entry;
  }
}

const ratios = [];
for (const q of plan.ratios ?? []) {
  const num = results[q.op]?.engines[q.num];
  const den = results[q.op]?.engines[q.den];
  const value = num?.median_ms && den?.median_ms ? Math.round((num.median_ms / den.median_ms) * 100) / 100 : null;
  ratios.push({ ...q, value, num_median_ms: num?.median_ms ?? null, den_median_ms: den?.median_ms ?? null });
}

const out = {
  ...plan.meta,
  finished: new Date().toISOString(),
  rounds,
  warmup,
  loadavg_after: readFileSync('/proc/loadavg', 'utf8').trim(),
  results,
  ratios,
};
writeFileSync(outPath, JSON.stringify(out, null, 2) + '\n');

// Table.
const pad = (s, n) => String(s).padEnd(n);
const lpad = (s, n) => String(s).padStart(n);
const fmt = (x) => (x === null || x === undefined ? '-' : x.toFixed(1));
const lines = [];
lines.push('');
lines.push(`${pad('operation', 22)} ${pad('engine (client -> daemon)', 30)} ${lpad('n', 3)} ${lpad('median ms', 10)} ${lpad('p90 ms', 8)} ${lpad('min ms', 8)} ${lpad('fail', 4)}`);
lines.push('-'.repeat(92));
for (const op of plan.ops) {
  for (const c of op.cases) {
    const e = results[op.name].engines[c.id];
    const extra = e.disabled ? '  (disabled, see errors in JSON)' : e.run_median_ms !== undefined ? `  (run ${fmt(e.run_median_ms)} + rm ${fmt(e.rm_median_ms)})` : '';
    lines.push(`${pad(op.name, 22)} ${pad(c.label, 30)} ${lpad(e.n, 3)} ${lpad(fmt(e.median_ms), 10)} ${lpad(fmt(e.p90_ms), 8)} ${lpad(fmt(e.min_ms), 8)} ${lpad(e.failures, 4)}${extra}`);
  }
}
if (ratios.length) {
  lines.push('');
  lines.push('ratios of medians:');
  for (const q of ratios) lines.push(`  ${pad(q.name, 60)} ${q.value === null ? '-' : q.value.toFixed(2) + 'x'}`);
}
lines.push('');
process.stdout.write(lines.join('\n') + '\n');
