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

// Issue 3: exec round trip and cp of a ~100 MB tree in and out, against one long-running container per engine
// (named bench-exec, made by run.sh with the tree already copied to /src inside it). The same destination each
// time keeps the disk use constant (a second copy replaces the first).
const execCases = [];
const cpInCases = [];
const cpOutCases = [];
const tree = env.BENCH_TREE;
const addFileCases = (id, label, cli, cenv) => {
  execCases.push({ id, label, kind: 'cmd', env: cenv, argv: [...cli, 'exec', 'bench-exec', 'true'] });
  if (!tree) return;
  cpInCases.push({ id, label, kind: 'cmd', env: cenv, argv: [...cli, 'cp', tree, 'bench-exec:/in'] });
  cpOutCases.push({ id, label, kind: 'cmd', env: cenv, argv: [...cli, 'cp', 'bench-exec:/src', `${env.BENCH_OUT}/${id}`] });
};
if (live.has('docker') && env.BENCH_FILES_DOCKER) addFileCases('docker', 'docker -> dockerd', docker(env.DOCKERD_SOCK), DENV);
if (live.has('berth') && env.BENCH_FILES_BERTH) addFileCases('docker-berthd', 'docker -> berthd', docker(env.BERTHD_SOCK), DENV);
if (live.has('berth-cli') && env.BENCH_FILES_BERTH) addFileCases('berth', 'berth -> berthd', berth(), undefined);

// Issue 4: pull of a ~160 MB image of 4 layers from a local registry (docker-registry on 127.0.0.1), after removing
// it (not timed), and push of that image to a second, emptied registry. skopeo's copy to/from a directory (no
// unpacking, no compression) is the transfer-only floor. BENCH_PULL_REF: the image in registry A; BENCH_PUSH_REF:
// the target in registry B; BENCH_PUSH_WIPE: the command (JSON argv) that empties registry B.
const pullCases = [];
const pushCases = [];
const src = env.BENCH_PULL_REF;
const dst = env.BENCH_PUSH_REF;
const wipe = env.BENCH_PUSH_WIPE ? JSON.parse(env.BENCH_PUSH_WIPE) : undefined;
if (src && dst && wipe) {
  const add = (id, label, cli, cenv, extra = []) => {
    pullCases.push({ id, label, kind: 'cmd', env: cenv, prep: [[...cli, 'rmi', '-f', src, dst]], argv: [...cli, 'pull', ...extra, src] });
    pushCases.push({ id, label, kind: 'cmd', env: cenv, prep: [[...cli, 'tag', src, dst], wipe], argv: [...cli, 'push', ...extra, dst] });
  };
  if (live.has('docker')) add('docker', 'docker -> dockerd', docker(env.DOCKERD_SOCK), DENV);
  if (live.has('berth')) add('docker-berthd', 'docker -> berthd', docker(env.BERTHD_SOCK), DENV);
  if (live.has('berth-cli')) add('berth', 'berth -> berthd', berth(), undefined);
  if (live.has('podman')) add('podman', 'podman', podman(), undefined, ['--tls-verify=false']);
  if (env.BENCH_SKOPEO_DIR) {
    const dir = env.BENCH_SKOPEO_DIR;
    pullCases.push({ id: 'skopeo', label: 'skopeo copy (transfer only)', kind: 'cmd', prep: [['rm', '-rf', `${dir}/pull`]], argv: ['skopeo', 'copy', '-q', '--src-tls-verify=false', `docker://${src}`, `dir:${dir}/pull`] });
    pushCases.push({ id: 'skopeo', label: 'skopeo copy (transfer only)', kind: 'cmd', prep: [wipe], argv: ['skopeo', 'copy', '-q', '--dest-tls-verify=false', `dir:${dir}/src`, `docker://${dst}`] });
  }
}

const ops = [];
if (runRm.length) ops.push({ name: 'run --rm true', title: 'run --rm --network none busybox true', cases: runRm });
if (runDRm.length) ops.push({ name: 'run -d + rm -f', title: 'run -d --network none busybox sleep 60, then rm -f <id>', cases: runDRm });
if (execCases.length) ops.push({ name: 'exec true', title: 'exec bench-exec true (a running container)', cases: execCases });
if (cpInCases.length) ops.push({ name: 'cp in 100MB', title: `cp <tree of ${env.BENCH_TREE_MB ?? '?'} MB> bench-exec:/in`, cases: cpInCases });
if (cpOutCases.length) ops.push({ name: 'cp out 100MB', title: 'cp bench-exec:/src <host dir>', cases: cpOutCases });
if (pullCases.length) ops.push({ name: 'pull 160MB', title: `pull ${src} (4 layers, ~160 MB) after rmi`, cases: pullCases });
if (pushCases.length) ops.push({ name: 'push 160MB', title: `push ${dst} to an emptied registry`, cases: pushCases });
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
for (const op of ['exec true', 'cp in 100MB', 'cp out 100MB']) {
  if (!ops.some((o) => o.name === op)) continue;
  if (env.BENCH_FILES_DOCKER && env.BENCH_FILES_BERTH) {
    ratios.push({ name: `${op}: berthd/dockerd (docker CLI for both)`, op, num: 'docker-berthd', den: 'docker' });
    ratios.push({ name: `${op}: berth CLI+berthd / docker CLI+dockerd`, op, num: 'berth', den: 'docker' });
  }
}
for (const op of ['pull 160MB', 'push 160MB']) {
  const cs = new Set((ops.find((o) => o.name === op)?.cases ?? []).map((c) => c.id));
  if (cs.has('docker')) {
    if (cs.has('docker-berthd')) ratios.push({ name: `${op}: berthd/dockerd (docker CLI for both)`, op, num: 'docker-berthd', den: 'docker' });
    if (cs.has('berth')) ratios.push({ name: `${op}: berth CLI+berthd / docker CLI+dockerd`, op, num: 'berth', den: 'docker' });
    if (cs.has('podman')) ratios.push({ name: `${op}: podman / docker CLI+dockerd`, op, num: 'podman', den: 'docker' });
  }
  if (cs.has('skopeo') && cs.has('berth')) ratios.push({ name: `${op}: berth CLI+berthd / skopeo transfer`, op, num: 'berth', den: 'skopeo' });
}
if (live.has('berth') && live.has('berth-cli')) {
  for (const op of ['run --rm true', 'run -d + rm -f']) {
    ratios.push({ name: `${op}: berth CLI / docker CLI (both -> berthd)`, op, num: 'berth', den: 'docker-berthd' });
  }
}

// BENCH_OPS: which groups of operations to run (run exec cp pull push; default all).
const want = new Set((env.BENCH_OPS ?? 'run exec cp pull push').split(/\s+/).filter(Boolean));
const group = (name) => (name.startsWith('run') ? 'run' : name.startsWith('exec') ? 'exec' : name.startsWith('cp') ? 'cp' : name.startsWith('pull') ? 'pull' : name.startsWith('push') ? 'push' : 'floor');
const keptOps = ops.filter((o) => o.name === 'floor' || want.has(group(o.name)));
const plan = {
  rounds: Number(env.BENCH_ROUNDS ?? 20),
  warmup: Number(env.BENCH_WARMUP ?? 2),
  leftoverFile: env.BENCH_LEFTOVERS,
  meta: JSON.parse(env.BENCH_META ?? '{}'),
  ops: keptOps,
  ratios: ratios.filter((q) => keptOps.some((o) => o.name === q.op)),
};
process.stdout.write(JSON.stringify(plan, null, 2) + '\n');
