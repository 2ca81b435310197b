#!/usr/bin/env node
// Writes the benchmark plan (see measure.mjs) to stdout, from the environment bench/run.sh sets up:
//   BENCH_ROUNDS, BENCH_WARMUP, BENCH_LIVE (space-separated: docker podman berth berth-cli runc),
//   DOCKER_BIN, DOCKER_CFG, DOCKERD_SOCK, BERTH_BIN, BERTHD_SOCK, PODMAN_ARGS (JSON array: podman + global flags),
//   RUNC_ROOT, RUNC_BUNDLE, BENCH_LEFTOVERS, BENCH_META (JSON object merged into the results).
const env = process.env;
const live = new Set((env.BENCH_LIVE ?? '').split(/\s+/).filter(Boolean));
const docker = (sock) => [env.DOCKER_BIN, '-H', `unix://${sock}`];
const berth = () => [env.BERTH_BIN, '-H', `unix://${env.BERTHD_SOCK}`];
const podman = () => JSON.parse(env.PODMAN_ARGS);
const DENV = { DOCKER_CONFIG: env.DOCKER_CFG };
const RUN = ['run', '--rm', '--network', 'none', 'busybox', 'true'];
const RUND = ['run', '-d', '--network', 'none', 'busybox', 'sleep', '60'];

const runRm = [];
const runDRm = [];
if (live.has('docker')) {
  runRm.push({ id: 'docker', label: 'docker -> dockerd', kind: 'cmd', env: DENV, argv: [...docker(env.DOCKERD_SOCK), ...RUN] });
  runDRm.push({ id: 'docker', label: 'docker -> dockerd', kind: 'pair', env: DENV, argv: [...docker(env.DOCKERD_SOCK), ...RUND], rmArgv: [...docker(env.DOCKERD_SOCK), 'rm', '-f'] });
}
if (live.has('berth')) {
  runRm.push({ id: 'docker-berthd', label: 'docker -> berthd', kind: 'cmd', env: DENV, argv: [...docker(env.BERTHD_SOCK), ...RUN] });
  runDRm.push({ id: 'docker-berthd', label: 'docker -> berthd', kind: 'pair', env: DENV, argv: [...docker(env.BERTHD_SOCK), ...RUND], rmArgv: [...docker(env.BERTHD_SOCK), 'rm', '-f'] });
}
if (live.has('berth-cli')) {
  runRm.push({ id: 'berth', label: 'berth -> berthd', kind: 'cmd', argv: [...berth(), ...RUN] });
  runDRm.push({ id: 'berth', label: 'berth -> berthd', kind: 'pair', argv: [...berth(), ...RUND], rmArgv: [...berth(), 'rm', '-f'] });
}
if (live.has('podman')) {
  runRm.push({ id: 'podman', label: 'podman (runc)', kind: 'cmd', argv: [...podman(), ...RUN] });
  // podman's rm -f stops with SIGTERM and a 10 s grace period; docker's rm -f kills at once: -t 0 matches that.
  runDRm.push({ id: 'podman', label: 'podman (runc)', kind: 'pair', argv: [...podman(), ...RUND], rmArgv: [...podman(), 'rm', '-f', '-t', '0'] });
}

const ops = [];
if (runRm.length) ops.push({ name: 'run --rm true', title: 'run --rm --network none busybox true', cases: runRm });
if (runDRm.length) ops.push({ name: 'run -d + rm -f', title: 'run -d --network none busybox sleep 60, then rm -f <id>', cases: runDRm });
const floor = [];
if (live.has('runc')) {
  floor.push({ id: 'runc', label: 'runc run (bundle)', kind: 'cmd', argv: ['runc', '--root', env.RUNC_ROOT, 'run', '-b', env.RUNC_BUNDLE, 'bench-floor-{n}'] });
}
floor.push({ id: 'node', label: 'node -e 0', kind: 'cmd', argv: [process.execPath, '-e', '0'] });
ops.push({ name: 'floor', title: 'lower bounds: runc run of a prepared bundle (true); Node start-up', cases: floor });

const ratios = [];
if (live.has('docker')) {
  for (const op of ['run --rm true', 'run -d + rm -f']) {
    if (live.has('berth')) ratios.push({ name: `${op}: berthd/dockerd (docker CLI for both)`, op, num: 'docker-berthd', den: 'docker' });
    if (live.has('berth-cli')) ratios.push({ name: `${op}: berth CLI+berthd / docker CLI+dockerd`, op, num: 'berth', den: 'docker' });
    if (live.has('podman')) ratios.push({ name: `${op}: podman / docker CLI+dockerd`, op, num: 'podman', den: 'docker' });
  }
}
if (live.has('berth') && live.has('berth-cli')) {
  for (const op of ['run --rm true', 'run -d + rm -f']) {
    ratios.push({ name: `${op}: berth CLI / docker CLI (both -> berthd)`, op, num: 'berth', den: 'docker-berthd' });
  }
}

const plan = {
  rounds: Number(env.BENCH_ROUNDS ?? 20),
  warmup: Number(env.BENCH_WARMUP ?? 2),
  leftoverFile: env.BENCH_LEFTOVERS,
  meta: JSON.parse(env.BENCH_META ?? '{}'),
  ops,
  ratios,
};
process.stdout.write(JSON.stringify(plan, null, 2) + '\n');
