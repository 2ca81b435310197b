#!/usr/bin/env node
// Times `berth push` of a ~160 MB image (half random, half text, BENCH_PUSH_LAYERS layers) to a fresh Debian
// docker-registry on 127.0.0.1, round after round (a new registry each round, so every layer is uploaded).
// Run as root after `npm run build`: node bench/push.mjs [rounds]. Not a test; prints medians.
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const repo = new URL('..', import.meta.url).pathname;
const { TestDaemon } = await import(join(repo, 'dist/test/helpers/daemon.js'));
const { TestRegistry } = await import(join(repo, 'dist/test/helpers/registry.js'));

const rounds = Number(process.argv[2] ?? 3);
const layers = Number(process.env['BENCH_PUSH_LAYERS'] ?? 4);
const totalMb = Number(process.env['BENCH_PUSH_MB'] ?? 160);
const perLayer = Math.floor((totalMb << 20) / layers);

const words = 'the quick brown fox jumps over a lazy dog function return const let if else for while import export class interface type async await promise buffer stream'.split(' ');
function text(n, seed) {
  const out = [];
  let len = 0;
  let s = seed;
  while (len < n) {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    const line = `${Array.from({ length: 8 }, (_, i) => words[(s >> (i * 3)) % words.length]).join(' ')} ${s}\n`;
    out.push(line);
    len += line.length;
  }
  return Buffer.from(out.join('')).subarray(0, n);
}

const work = await mkdtemp(join(tmpdir(), 'berth-push-bench-'));
const d = await TestDaemon.start({ busybox: false, config: JSON.parse(process.env['BENCH_DAEMON_JSON'] ?? '{}') });
try {
  // A docker-archive with `layers` layers, loaded into berthd.
  const arch = join(work, 'archive');
  await mkdir(arch, { recursive: true });
  const diffIds = [];
  const names = [];
  for (let i = 0; i < layers; i++) {
    const dir = join(work, `l${i}`);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, `random-${i}.bin`), randomBytes(perLayer >> 1));
    await writeFile(join(dir, `text-${i}.txt`), text(perLayer >> 1, i + 1));
    const r = spawnSync('tar', ['-C', dir, '-cf', join(arch, `l${i}.tar`), '.']);
    if (r.status !== 0) throw new Error(`tar: ${r.stderr}`);
    diffIds.push(`sha256:${createHash('sha256').update(await readFile(join(arch, `l${i}.tar`))).digest('hex')}`);
    names.push(`l${i}.tar`);
    await rm(dir, { recursive: true });
  }
  await writeFile(join(arch, 'config.json'), JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: diffIds } }));
  await writeFile(join(arch, 'manifest.json'), JSON.stringify([{ Config: 'config.json', RepoTags: ['pushbench:1'], Layers: names }]));
  spawnSync('tar', ['-C', arch, '-cf', join(work, 'image.tar'), '.']);
  await rm(arch, { recursive: true });
  const load = await d.berth(['load', '-i', join(work, 'image.tar')]);
  if (load.code !== 0) throw new Error(load.stderr);
  await rm(join(work, 'image.tar'));

  const times = [];
  for (let r = 0; r < rounds; r++) {
    const reg = await TestRegistry.start();
    try {
      const ref = `${reg.addr}/bench/img:1`;
      await d.berth(['tag', 'pushbench:1', ref]);
      const t0 = process.hrtime.bigint();
      const p = await d.berth(['push', ref], { timeoutMs: 600_000 });
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (p.code !== 0) throw new Error(`push failed: ${p.stderr}`);
      times.push(ms);
      console.log(`round ${r + 1}: ${(ms / 1000).toFixed(2)} s`);
      await d.berth(['rmi', ref]);
    } finally {
      await reg.stop();
    }
  }
  times.sort((a, b) => a - b);
  console.log(`push of ${layers} layers, ${totalMb} MB: median ${(times[Math.floor(times.length / 2)] / 1000).toFixed(2)} s over ${rounds} rounds`);
} finally {
  await d.cleanup();
  await rm(work, { recursive: true, force: true });
}
