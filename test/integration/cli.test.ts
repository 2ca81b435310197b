import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BERTH, TestDaemon, cgroupLeaks, hasDocker, isRoot, run, waitFor, type RunResult } from '../helpers/daemon.js';
import { ROOT } from '../../src/cli/main.js';
import type { CommandSpec } from '../../src/cli/command.js';

// Items 9 and 10 of issue 2: the berth CLI and the unmodified docker 28 CLI against one berthd. Both clients
// talk to the same daemon, so wherever the output comes from the client (help, usage errors, tables, --format,
// exit codes) berth's must be docker's, with "docker" read as "berth".

const skip = !isRoot || !hasDocker();
let d: TestDaemon;
let tmp: string;
const made: string[] = [];

before(async () => {
  if (skip) return;
  d = await TestDaemon.start();
  tmp = await mkdtemp(join(tmpdir(), 'berth-cli-'));
});

after(async () => {
  if (skip) return;
  const leaks = await d.cleanup();
  await rm(tmp, { recursive: true, force: true });
  assert.deepEqual(leaks, [], 'nothing left behind');
  assert.deepEqual(await cgroupLeaks(made), [], 'no container cgroups left');
});

/** Runs the same arguments through both CLIs. */
async function both(args: string[], opts: { input?: string } = {}): Promise<{ b: RunResult; k: RunResult }> {
  const b = await d.berth(args, opts);
  const k = await d.docker(args, opts);
  return { b, k };
}

/** docker's client-side words as berth says them. */
function asBerth(s: string): string {
  return s.replace(/\bdocker(?=[ :'"]|$)/gm, 'berth');
}

/** Times that move between two runs (`3 seconds ago`, `Up 2 seconds`) and column padding are not compared. */
function norm(s: string): string {
  return s
    .replace(/\b(\d+|Less than a|About a|About an) (seconds?|minutes?|hours?|second)\b/g, '<T>')
    .replace(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4} \w+/g, '<DATE>')
    .replace(/ {2,}/g, '  ')
    .replace(/ +$/gm, '');
}

/** Asserts both CLIs gave the same exit code, stdout and stderr (after `asBerth` and `norm`). */
async function same(args: string[], opts: { sort?: boolean; code?: number; input?: string } = {}): Promise<RunResult> {
  const { b, k } = await both(args, opts);
  const tidy = (s: string) => {
    const n = norm(asBerth(s));
    return opts.sort ? n.split('\n').sort().join('\n') : n;
  };
  const what = `berth/docker ${args.join(' ')}`;
  assert.equal(b.code, k.code, `${what}: exit codes differ\nberth: ${b.stderr}\ndocker: ${k.stderr}`);
  if (opts.code !== undefined) assert.equal(b.code, opts.code, `${what}: ${b.stderr}`);
  assert.equal(tidy(b.stdout), tidy(k.stdout), `${what}: stdout differs`);
  assert.equal(tidy(b.stderr), tidy(k.stderr), `${what}: stderr differs`);
  return b;
}

async function ok(args: string[]): Promise<string> {
  const r = await d.berth(args);
  assert.equal(r.code, 0, `berth ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

async function runD(name: string, cmd: string[], extra: string[] = []): Promise<string> {
  const id = (await ok(['run', '-d', '--name', name, ...extra, 'busybox', ...cmd])).trim();
  made.push(id);
  return id;
}

async function rmAll(...names: string[]): Promise<void> {
  const r = await d.berth(['rm', '-f', ...names]);
  assert.equal(r.code, 0, r.stderr);
}

/** Every command path of berth's tree (`container ls`, `images`...), aliases included. */
function commandPaths(spec: CommandSpec, prefix: string[] = []): string[][] {
  const out: string[][] = [];
  for (const s of spec.subcommands ?? []) {
    for (const name of [s.name, ...(s.aliases ?? [])]) {
      out.push([...prefix, name]);
      if (s.subcommands) out.push(...commandPaths(s, [...prefix, name]));
    }
  }
  return out;
}

void test('--help for every command: exit 0, docker\'s Usage, description and Aliases lines', { skip }, async () => {
  const paths = [[], ...commandPaths(ROOT)];
  assert.ok(paths.length > 50, `${paths.length} command paths`);
  for (const p of paths) {
    const { b, k } = await both([...p, '--help']);
    assert.equal(b.code, 0, `berth ${p.join(' ')} --help: ${b.stderr}`);
    assert.equal(k.code, 0, `docker ${p.join(' ')} --help: ${k.stderr}`);
    const head = (s: string) => s.split('\n').slice(0, 3).join('\n');
    assert.equal(head(b.stdout), head(asBerth(k.stdout)), `${p.join(' ')} --help`);
    const aliases = (s: string) => /\nAliases:\n(.*)\n/.exec(s)?.[1];
    assert.equal(aliases(b.stdout), aliases(asBerth(k.stdout)), `${p.join(' ')} aliases`);
    // every option berth shows exists in docker's help too
    const opts = (s: string) => [...s.matchAll(/^ {2}(?:-\w, )?(?: {4})?--([\w-]+)/gm)].map((m) => m[1]!);
    const dockerOpts = new Set(opts(k.stdout));
    for (const o of opts(b.stdout)) assert.ok(dockerOpts.has(o), `berth ${p.join(' ')} --help shows --${o}, docker does not`);
  }
  // -h works like --help; `berth container` alone prints its help
  assert.equal((await d.berth(['ps', '-h'])).stdout, (await d.berth(['ps', '--help'])).stdout);
  for (const group of ['container', 'image', 'system']) {
    const { b, k } = await both([group]);
    assert.equal(b.code, 0);
    assert.equal(k.code, 0);
    assert.equal(b.stdout, '');
    assert.equal(b.stderr.split('\n').slice(0, 5).join('\n'), asBerth(k.stderr).split('\n').slice(0, 5).join('\n'));
  }
  const root = await both([]);
  assert.equal(root.b.code, 0);
  assert.match(root.b.stderr, /^Usage: {2}berth \[OPTIONS\] COMMAND\n/);
  assert.match(root.k.stderr, /^Usage: {2}docker \[OPTIONS\] COMMAND\n/);
  // `berth registry` (run before the CLI, no daemon) is listed with the management commands and has its own help
  const help = await d.berth(['--help']);
  assert.match(help.stdout, /\nManagement Commands:\n(?: {2}\w+ +.*\n)* {2}registry {4}Run berth's own image registry \(serve, gc\)\n/);
  assert.equal(root.b.stderr, help.stdout);
  const reg = await run(BERTH, ['registry', '--help']);
  assert.match(reg.stdout, /^Usage: {2}berth registry COMMAND\n[^]*\n {2}gc {10}.*\n {2}serve {7}/);
  const regAlone = await run(BERTH, ['registry']);
  assert.equal(regAlone.code, 0);
  assert.equal(regAlone.stdout, '');
  assert.equal(regAlone.stderr, reg.stdout);
  const regFlags = await d.berth(['registry', 'serve']);
  assert.equal(regFlags.code, 1);
  assert.match(regFlags.stderr, /global options do not apply to 'berth registry'/);
  const full = await same(['ps', '--help'], { code: 0 });
  assert.match(full.stdout, /^Usage:  berth ps \[OPTIONS\]\n\nList containers\n\nAliases:\n {2}berth container ls, berth container list, berth container ps, berth ps\n\nOptions:\n/);
});

void test('unknown commands and flags, wrong argument counts: docker\'s words and exit codes', { skip }, async () => {
  const r = await same(['nosuch'], { code: 1 });
  assert.equal(r.stderr, "berth: unknown command: berth nosuch\n\nRun 'berth --help' for more information\n");
  await same(['container', 'nosuch'], { code: 1 });
  await same(['image', 'nosuch'], { code: 1 });
  const f = await same(['run', '--nosuch', 'busybox'], { code: 125 });
  assert.equal(f.stderr, "unknown flag: --nosuch\n\nUsage:  berth run [OPTIONS] IMAGE [COMMAND] [ARG...]\n\nRun 'berth run --help' for more information\n");
  await same(['--nosuch', 'ps'], { code: 125 });
  await same(['container', '--nosuch'], { code: 125 });
  await same(['image', 'ls', '--nosuch'], { code: 125 });
  await same(['ps', '-x'], { code: 125 });
  await same(['ps', '-n', 'x'], { code: 125 });
  await same(['logs', '--tail'], { code: 125 });
  await same(['ps', '-f', 'nofilter'], { code: 125 });
  await same(['run', '--memory', 'lots', 'busybox'], { code: 125 });
  await same(['create', '--pull', 'sometimes', 'busybox'], { code: 125 });
  await same(['rm'], { code: 1 });
  await same(['rename', 'a'], { code: 1 });
  await same(['ps', 'extra'], { code: 1 });
  await same(['logs'], { code: 1 });
  await same(['run'], { code: 1 });
  const many = await d.berth(['images', 'a', 'b']);
  assert.equal(many.code, 1);
  assert.match(many.stderr, /^berth: 'berth images' requires at most 1 argument\n\nUsage: {2}berth images \[OPTIONS\] \[REPOSITORY\[:TAG\]\]\n/);
});

void test('host selection: -H beats BERTH_HOST beats DOCKER_HOST; an absent daemon is exit 1 (125 for run)', { skip }, async () => {
  const gone = `unix://${join(tmp, 'gone.sock')}`;
  const cli = (args: string[], env: Record<string, string>) => run(BERTH, args, { env: { BERTH_HOST: '', DOCKER_HOST: '', ...env } });
  const version = ['version', '--format', '{{.Server.APIVersion}}'];
  assert.equal((await cli(['-H', d.host, ...version], { BERTH_HOST: gone, DOCKER_HOST: gone })).stdout, '1.45\n');
  assert.equal((await cli(['--host', d.host, ...version], { BERTH_HOST: gone })).stdout, '1.45\n');
  assert.equal((await cli(version, { BERTH_HOST: d.host, DOCKER_HOST: gone })).stdout, '1.45\n');
  assert.equal((await cli(version, { DOCKER_HOST: d.host })).stdout, '1.45\n');
  const lost = await cli(['ps'], { BERTH_HOST: gone, DOCKER_HOST: d.host });
  assert.equal(lost.code, 1);
  assert.equal(lost.stderr, `Cannot connect to the berth daemon at ${gone}. Is berthd running?\n`);
  const lostRun = await cli(['-H', gone, 'run', '--rm', 'busybox', 'true'], {});
  assert.equal(lostRun.code, 125);
  assert.match(lostRun.stderr, /^berth: Cannot connect to the berth daemon at .*\n\nRun 'berth run --help' for more information\n$/);
  // docker behaves the same way against a missing socket
  const dk = await run('docker', ['ps'], { env: { DOCKER_HOST: gone, DOCKER_CONFIG: join(tmp, 'docker-config') } });
  assert.equal(dk.code, 1);
  assert.match(dk.stderr, /^Cannot connect to the Docker daemon at unix:\/\/.*gone\.sock\. Is the docker daemon running\?\n$/);
  const dkRun = await run('docker', ['run', '--rm', 'busybox', 'true'], { env: { DOCKER_HOST: gone, DOCKER_CONFIG: join(tmp, 'docker-config') } });
  assert.equal(dkRun.code, 125);
  const two = await d.berth(['-H', gone, 'ps']);
  assert.equal(two.code, 1);
});

void test('management commands equal the short forms', { skip }, async () => {
  const id = (await ok(['container', 'run', '-d', '--name', 'mgmt', 'busybox', 'sh', '-c', 'echo hi; sleep 100'])).trim();
  made.push(id);
  assert.equal(norm(await ok(['container', 'ls', '-a', '--no-trunc'])), norm(await ok(['ps', '-a', '--no-trunc'])));
  assert.equal(await ok(['container', 'list', '-q']), await ok(['ps', '-q']));
  assert.equal(await ok(['container', 'ps', '-q']), id.slice(0, 12) + '\n');
  assert.equal(norm(await ok(['image', 'ls'])), norm(await ok(['images'])));
  assert.equal(await ok(['image', 'list', '-q']), await ok(['images', '-q']));
  assert.equal(await ok(['container', 'inspect', 'mgmt']), await ok(['inspect', 'mgmt']));
  assert.equal(await ok(['image', 'inspect', 'busybox']), await ok(['inspect', '--type', 'image', 'busybox']));
  await waitFor(async () => (await ok(['container', 'logs', 'mgmt'])) === 'hi\n', 'logs');
  assert.equal(await ok(['container', 'run', '--rm', 'busybox', 'echo', 'x']), 'x\n');
  await ok(['image', 'tag', 'busybox', 'mgmt:one']);
  await ok(['tag', 'busybox', 'mgmt:two']);
  assert.equal(await ok(['image', 'rm', 'mgmt:one']), 'Untagged: mgmt:one\n');
  assert.equal(await ok(['image', 'remove', 'mgmt:two']), 'Untagged: mgmt:two\n');
  assert.equal(await ok(['container', 'stop', '-t', '0', 'mgmt']), 'mgmt\n');
  assert.equal(await ok(['container', 'rm', 'mgmt']), 'mgmt\n');
  const c = (await ok(['container', 'create', '--name', 'mgmt2', 'busybox', 'sh', '-c', 'exit 4'])).trim();
  made.push(c);
  assert.equal(await ok(['container', 'start', 'mgmt2']), 'mgmt2\n');
  assert.equal(await ok(['container', 'wait', 'mgmt2']), '4\n');
  assert.equal(await ok(['container', 'remove', 'mgmt2']), 'mgmt2\n');
  await same(['system', 'info', '--format', '{{.Driver}}'], { code: 0 });
  for (const f of ['{{.Server.APIVersion}} {{.Server.Version}} {{.Server.MinAPIVersion}} {{.Server.Os}}', '{{json .Server}}', '{{(index .Server.Components 0).Name}}']) {
    await same(['version', '--format', f], { code: 0 });
  }
  assert.equal(await ok(['version', '--format', '{{.Client.APIVersion}}']), '1.45\n');
});

void test('images: table, -q, -a, --no-trunc, --digests, REPO[:TAG], --format, as the docker CLI prints them', { skip }, async () => {
  await ok(['tag', 'busybox', 'example.com/team/tool:1.0']);
  await ok(['tag', 'busybox', 'tool:2.0']);
  const table = await same(['images'], { code: 0, sort: true });
  assert.match(table.stdout, /^REPOSITORY +TAG +IMAGE ID +CREATED +SIZE\n/);
  assert.match(table.stdout, /^example\.com\/team\/tool +1\.0 +[0-9a-f]{12} +.+ ago +\d+(\.\d+)?MB$/m);
  for (const args of [['-a'], ['--no-trunc'], ['--digests'], ['busybox'], ['tool'], ['tool:2.0'], ['tool:9'], ['example.com/team/tool:1.0'], ['-f', 'reference=tool*']]) {
    await same(['images', ...args], { code: 0, sort: true });
  }
  const q = await same(['images', '-q'], { code: 0 });
  assert.match(q.stdout, /^([0-9a-f]{12}\n){3}$/, 'one ID per row, as docker (the same image three times)');
  await same(['images', '-q', '--no-trunc', 'tool'], { code: 0 });
  for (const f of ['{{.ID}}', '{{.Repository}}:{{.Tag}}', 'table {{.Repository}}\\t{{.Tag}}', 'table', 'json', 'raw',
    'table {{.Containers}}\\t{{.SharedSize}}\\t{{.UniqueSize}}\\t{{.VirtualSize}}\\t{{.CreatedAt}}\\t{{.Digest}}']) {
    await same(['images', '--format', f], { code: 0, sort: true });
  }
  await same(['images', '--digests', '--format', 'table {{.ID}}'], { code: 0, sort: true });
  const js = await same(['images', '--format', '{{json .}}', 'tool'], { code: 0 });
  assert.match(js.stdout, /"Digest":"\\u003cnone\\u003e"/);
  await same(['images', '--format', '{{.Nope}}'], { code: 1 });
  await same(['images', '--format', '{{.ID'], { code: 1 });
  const hint = await same(['images', 'ls'], { code: 0 });
  assert.equal(hint.stderr, '\nNo images found matching "ls": did you mean "berth image ls"?\n');
  await ok(['rmi', 'example.com/team/tool:1.0', 'tool:2.0']);
});

void test('ps: STATUS strings, -a -n -l -s -q --no-trunc, filters, as the docker CLI prints them', { skip }, async () => {
  const up = await runD('ps-up', ['sleep', '100'], ['-l', 'tier=web', '-l', 'com.example.team=blue']);
  const paused = await runD('ps-paused', ['sleep', '100']);
  await ok(['pause', 'ps-paused']);
  const created = (await ok(['create', '--name', 'ps-created', 'busybox', 'true'])).trim();
  made.push(created);
  assert.equal((await d.berth(['run', '--name', 'ps-exited', 'busybox', 'sh', '-c', 'exit 3'])).code, 3);
  const exitedId = JSON.parse(await ok(['inspect', 'ps-exited']))[0].Id as string;
  made.push(exitedId);
  const status = await ok(['ps', '-a', '--format', '{{.Names}}|{{.Status}}|{{.State}}']);
  assert.match(status, /^ps-up\|Up (Less than a second|\d+ seconds?)\|running$/m);
  assert.match(status, /^ps-paused\|Up (Less than a second|\d+ seconds?) \(Paused\)\|paused$/m);
  assert.match(status, /^ps-created\|Created\|created$/m);
  assert.match(status, /^ps-exited\|Exited \(3\) (Less than a second|\d+ seconds?) ago\|exited$/m);
  const table = await same(['ps'], { code: 0 });
  assert.match(table.stdout, /^CONTAINER ID +IMAGE +COMMAND +CREATED +STATUS +PORTS +NAMES\n/);
  assert.match(table.stdout, new RegExp(`^${up.slice(0, 12)} +busybox +"sleep 100" +.+ ago +Up .+ +ps-up$`, 'm'));
  for (const args of [['-a'], ['-a', '--no-trunc'], ['-q'], ['-aq'], ['-n', '2'], ['-n', '1', '-q'], ['-l'], ['-l', '-q'], ['-as'], ['-s', '-q'],
    ['-a', '-f', 'status=exited'], ['-a', '-f', 'status=created'], ['-a', '-f', 'status=paused'], ['-a', '-f', 'status=running'],
    ['-a', '-f', 'name=ps-'], ['-a', '-f', 'name=^ps-up$'], ['-a', '-f', `id=${paused.slice(0, 8)}`], ['-f', 'label=tier=web'],
    ['-f', 'label=tier'], ['-a', '-f', 'ancestor=busybox'], ['-a', '-f', 'ancestor=busybox:latest'], ['-a', '-f', 'exited=3'],
    ['-a', '-f', 'exited=0'], ['-a', '-f', 'status=exited', '-f', 'status=created'], ['-a', '-f', 'label=tier=web', '-f', 'name=ps-up']]) {
    await same(['ps', ...args], { code: 0 });
  }
  const sized = await ok(['ps', '-s', '-f', 'name=ps-up']);
  assert.match(sized, /SIZE\n/);
  assert.match(sized, /\s\d+(\.\d+)?k?B \(virtual \d+(\.\d+)?MB\)\n$/);
  assert.equal((await ok(['ps', '-aq', '--no-trunc', '-f', 'exited=3'])).trim(), exitedId);
  assert.equal((await ok(['ps', '-q', '-f', 'label=com.example.team=blue'])).trim(), up.slice(0, 12));
  assert.equal((await ok(['ps', '-l', '-q', '--no-trunc'])).trim(), exitedId);
  assert.equal((await ok(['ps', '-n', '2', '--format', '{{.Names}}'])), 'ps-exited\nps-created\n');
  await same(['ps', '-f', 'status=bogus'], { code: 1 });
  await same(['ps', '-f', 'exited=x'], { code: 1 });
  await same(['ps', '-f', 'nosuch=1'], { code: 1 });
  await rmAll('ps-up', 'ps-paused', 'ps-created', 'ps-exited');
});

void test('--format on ps and inspect: fields, json, table, Label, errors, as the docker CLI', { skip }, async () => {
  const id = await runD('fmt', ['sh', '-c', 'sleep 100'], ['-l', 'k=v<&>', '-l', 'com.example.some-label_x=7', '-e', 'A=1']);
  for (const f of ['{{.ID}}', '{{json .}}', 'json', 'table {{.ID}}\\t{{.Names}}', 'table', 'raw', '{{.Names}} {{.Image}} {{.Command}} {{.State}}',
    '{{.Labels}}', '{{.Label "k"}}', 'table {{.Names}}\\t{{.Label "com.example.some-label_x"}}', '{{.Mounts}}|{{.Networks}}|{{.LocalVolumes}}|{{.Ports}}',
    '{{.Size}}', '{{json .Labels}}', '{{.Platform}}', '{{upper .Names}} {{len .Names}} {{join (split .Names "m") "-"}}', '{{printf "%s|%10s|" .Names .State}}',
    '{{if eq .State "running"}}yes{{else}}no{{end}}', 'table {{.ID}}\\t{{.Size}}', '{{pad .Names 2 1}}|{{truncate .Names 2}}|{{title .State}}']) {
    await same(['ps', '--format', f], { code: 0 });
  }
  await same(['ps', '--no-trunc', '--format', '{{.ID}} {{.Command}}'], { code: 0 });
  const q = await same(['ps', '-q', '--format', '{{.Names}}'], { code: 0 });
  assert.equal(q.stdout, id.slice(0, 12) + '\n');
  assert.equal(q.stderr, 'WARNING: Ignoring custom format, because both --format and --quiet are set.\n');
  await same(['ps', '--format', '{{.Nope}}'], { code: 1 });
  await same(['ps', '--format', '{{.ID'], { code: 1 });
  await same(['ps', '--format', '{{json}}'], { code: 1 });
  const js = JSON.parse((await ok(['ps', '--format', '{{json .}}'])).trim());
  assert.match(js.Size, /^0B \(virtual [\d.]+MB\)$/, '{{json .}} asks for sizes');
  assert.match(js.Labels, /k=v<&>/);

  for (const f of ['{{.State.Status}}', '{{json .Config.Env}}', '{{index .Config.Labels "k"}}', '{{.Name}} {{.Id}}', '{{json .State}}',
    '{{.Config.Cmd}}', '{{range .Config.Env}}{{.}},{{end}}', '{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}}', '{{json .Config.Labels}}',
    '{{.State.Running}} {{.State.Paused}} {{.State.ExitCode}}', '{{.Config.Labels}}', '{{len .Config.Env}}', 'json', '{{.Image}}']) {
    await same(['inspect', '--format', f, 'fmt'], { code: 0 });
    await same(['container', 'inspect', '-f', f, id.slice(0, 10)], { code: 0 });
  }
  assert.equal(await ok(['inspect', '--format', '{{index .Config.Labels "k"}}', 'fmt']), 'v<&>\n');
  assert.equal(await ok(['inspect', '--format', '{{json .Config.Env}}', 'fmt']), '["A=1"]\n');
  assert.equal(await ok(['inspect', '-f', '{{.State.Status}}', 'fmt', 'fmt']), 'running\nrunning\n');
  for (const f of ['{{.Id}}', '{{json .Config.Cmd}}', '{{.RootFS.Type}} {{len .RootFS.Layers}}', '{{.Os}}/{{.Architecture}}', '{{json .RepoTags}}']) {
    await same(['image', 'inspect', '--format', f, 'busybox'], { code: 0 });
    await same(['inspect', '-f', f, 'busybox'], { code: 0 });
  }
  await same(['inspect', 'fmt'], { code: 0 });
  await same(['image', 'inspect', 'busybox'], { code: 0 });
  // errors: a missing key, a bad template (64), a missing object, a mix of found and missing
  const nope = await same(['inspect', '--format', '{{.Nope}}', 'fmt', 'busybox'], { code: 1 });
  assert.equal(nope.stderr, 'template parsing error: template: :1:2: executing "" at <.Nope>: map has no entry for key "Nope"\n'.repeat(2));
  await same(['inspect', '--format', '{{.ID', 'fmt'], { code: 64 });
  await same(['inspect', '--format', '{{json}}', 'fmt'], { code: 1 });
  await same(['inspect', 'nosuch'], { code: 1 });
  await same(['inspect', '--format', '{{.Name}}', 'nosuch', 'fmt'], { code: 1 });
  await same(['inspect', '--type', 'container', 'busybox'], { code: 1 });
  await same(['image', 'inspect', 'nosuch'], { code: 1 });
  await same(['container', 'inspect', 'nosuch'], { code: 1 });
  await rmAll('fmt');
});

void test('logs: -f returns when the container exits, --tail, --since/--until, -t, stdout and stderr apart', { skip }, async () => {
  const id = await runD('talk', ['sh', '-c', 'for i in 1 2 3; do echo out$i; echo err$i >&2; done; sleep 1.2; echo late; sleep 1; echo last']);
  const follow = await d.berth(['logs', '-f', 'talk'], { timeoutMs: 30_000 });
  assert.equal(follow.code, 0);
  assert.equal(follow.stdout, 'out1\nout2\nout3\nlate\nlast\n');
  assert.equal(follow.stderr, 'err1\nerr2\nerr3\n');
  assert.equal((await ok(['inspect', '-f', '{{.State.Status}}', 'talk'])).trim(), 'exited');
  const follow2 = await d.docker(['logs', '--follow', id.slice(0, 8)], { timeoutMs: 30_000 });
  assert.equal(follow2.stdout, follow.stdout);
  assert.equal(follow2.stderr, follow.stderr);
  for (const args of [['--tail', '2'], ['-n', '1'], ['--tail', 'all'], ['--tail', '0'], ['--since', '1h'], ['--until', '1h'], ['--since', '2000-01-01T00:00:00Z'],
    ['--until', '2000-01-01'], ['-t'], ['--timestamps', '--tail', '3'], ['--since', 'garbage'], ['--tail', 'x']]) {
    await same(['logs', ...args, 'talk']);
  }
  const tail = await d.berth(['logs', '--tail', '2', 'talk']);
  assert.equal(tail.stdout, 'late\nlast\n');
  assert.equal(tail.stderr, '');
  const ts = (await d.berth(['logs', '-t', 'talk'])).stdout;
  const stamps = [...ts.matchAll(/^(\S+) (\S+)$/gm)].map((m) => [m[1]!, m[2]!]);
  assert.deepEqual(stamps.map((s) => s[1]), ['out1', 'out2', 'out3', 'late', 'last']);
  for (const [t] of stamps) assert.match(t, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
  const lateAt = stamps[3]![0];
  const since = await d.berth(['logs', '--since', lateAt, 'talk']);
  assert.equal(since.stdout, 'late\nlast\n');
  assert.equal(since.stderr, '');
  const until = await d.berth(['logs', '--until', lateAt, 'talk']);
  assert.equal(until.stdout, 'out1\nout2\nout3\nlate\n');
  assert.equal(until.stderr, 'err1\nerr2\nerr3\n');
  await same(['logs', '--since', lateAt, 'talk'], { code: 0 });
  await same(['logs', '--until', lateAt, '-t', 'talk'], { code: 0 });
  assert.equal((await d.berth(['logs', '--since', '1h', 'talk'])).stdout, 'out1\nout2\nout3\nlate\nlast\n');
  assert.equal((await d.berth(['logs', '--until', '1h', 'talk'])).stdout, '');
  const bad = await d.berth(['logs', '--since', 'garbage', 'talk']);
  assert.equal(bad.code, 1);
  assert.equal(bad.stderr, 'invalid value for "since": failed to parse value as time or duration: "garbage"\n');
  await same(['logs', 'nosuch'], { code: 1 });
  // stdout only, with stderr discarded by the shell
  const sh = await run('bash', ['-c', `${BERTH} -H ${d.host} logs talk 2>/dev/null`]);
  assert.equal(sh.stdout, 'out1\nout2\nout3\nlate\nlast\n');
  await rmAll('talk');
});

void test('exit codes and messages: 127, 126, the command\'s own, 125 for run, 1 for create and the rest', { skip }, async () => {
  const nf = await same(['run', '--rm', 'busybox', 'nosuchcmd'], { code: 127 });
  assert.match(nf.stderr, /^berth: Error response from daemon: .*exec: "nosuchcmd": executable file not found in \$PATH\n\nRun 'berth run --help' for more information\n$/);
  const na = await same(['run', '--rm', 'busybox', '/etc/passwd'], { code: 126 });
  assert.match(na.stderr, /exec: "\/etc\/passwd": permission denied/);
  await same(['run', '--rm', 'busybox', '/etc'], { code: 126 });
  await same(['run', '--rm', 'busybox', 'sh', '-c', 'exit 3'], { code: 3 });
  await same(['run', '--rm', 'busybox', 'true'], { code: 0 });
  await same(['run', '--nosuch', 'busybox'], { code: 125 });
  await same(['run', '--rm', 'nosuchimage-x'], { code: 125 });
  await same(['run', '--rm', '--runtime', 'nosuch', 'busybox', 'true'], { code: 125 });
  // -d prints the ID while starting: even when the start fails
  const dd = await both(['run', '-d', '--name', 'dfail', 'busybox', 'nosuchcmd']);
  assert.equal(dd.b.code, 127);
  assert.match(dd.b.stdout, /^[0-9a-f]{64}\n$/);
  await ok(['rm', 'dfail']);
  const ddk = await d.docker(['run', '-d', '--name', 'dfail', 'busybox', 'nosuchcmd']);
  assert.equal(ddk.code, 127);
  assert.match(ddk.stdout, /^[0-9a-f]{64}\n$/);
  made.push(dd.b.stdout.trim(), ddk.stdout.trim());
  await ok(['rm', 'dfail']);
  // daemon errors outside run: exit 1, "Error response from daemon: ..."
  const miss = await same(['rm', 'nosuch'], { code: 1 });
  assert.equal(miss.stderr, 'Error response from daemon: No such container: nosuch\n');
  await same(['rm', '-f', 'nosuch'], { code: 0 });
  for (const c of [['stop', 'nosuch'], ['start', 'nosuch'], ['kill', 'nosuch'], ['restart', 'nosuch'], ['pause', 'nosuch'], ['unpause', 'nosuch'],
    ['wait', 'nosuch'], ['rename', 'nosuch', 'x'], ['logs', 'nosuch'], ['rmi', 'nosuch'], ['tag', 'nosuch', 'x'], ['create', 'nosuchimage-x'], ['top', 'nosuch']]) {
    await same(c, { code: 1 });
  }
  const c1 = (await ok(['create', '--name', 'taken', 'busybox'])).trim();
  made.push(c1);
  const dup = await same(['create', '--name', 'taken', 'busybox'], { code: 1 });
  assert.match(dup.stderr, /^Error response from daemon: Conflict\. The container name "\/taken" is already in use/);
  await same(['run', '--name', 'taken', 'busybox'], { code: 125 });
  await same(['create', '--memory', 'x', 'busybox'], { code: 125 });
  await ok(['rm', 'taken']);
});

void test('kill -s, stop -t, restart, rename, wait, rm -f, create + start, ID prefixes, with both CLIs', { skip }, async () => {
  for (const cli of ['berth', 'docker'] as const) {
    const x = (args: string[]) => (cli === 'berth' ? d.berth(args) : d.docker(args));
    const must = async (args: string[]): Promise<string> => {
      const r = await x(args);
      assert.equal(r.code, 0, `${cli} ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    const id = (await must(['create', '--name', 'lc', 'busybox', 'sh', '-c', 'trap "exit 7" USR1; trap "exit 8" TERM; while true; do sleep 0.1; done'])).trim();
    made.push(id);
    assert.equal(await must(['start', id.slice(0, 7)]), `${id.slice(0, 7)}\n`);
    assert.equal(await must(['kill', '-s', 'USR1', 'lc']), 'lc\n');
    assert.equal(await must(['wait', 'lc']), '7\n');
    assert.equal(await must(['start', 'lc']), 'lc\n');
    assert.equal(await must(['kill', '--signal=SIGUSR1', id.slice(0, 12)]), `${id.slice(0, 12)}\n`);
    assert.equal(await must(['wait', id]), '7\n');
    await must(['start', 'lc']);
    assert.equal(await must(['stop', '-t', '5', 'lc']), 'lc\n');
    assert.equal((await must(['inspect', '-f', '{{.State.ExitCode}}', 'lc'])).trim(), '8', 'SIGTERM first');
    assert.equal(await must(['restart', '-t', '1', 'lc']), 'lc\n');
    assert.equal((await must(['inspect', '-f', '{{.State.Status}} {{.RestartCount}}', 'lc'])).trim(), 'running 0');
    await must(['rename', 'lc', 'lc2']);
    assert.equal((await must(['inspect', '-f', '{{.Name}}', id.slice(0, 5)])).trim(), '/lc2');
    const badRename = await x(['rename', 'lc2', 'lc2']);
    assert.equal(badRename.code, 1);
    assert.match(badRename.stderr, /Error: failed to rename container named lc2\n$/);
    assert.equal(await must(['kill', '-s', '9', 'lc2']), 'lc2\n');
    assert.equal(await must(['wait', 'lc2']), '137\n');
    const notRunning = await x(['kill', 'lc2']);
    assert.equal(notRunning.code, 1);
    assert.match(notRunning.stderr, /^Error response from daemon: (cannot kill container: lc2: )?[Cc]ontainer [0-9a-f]{64} is not running\n$/);
    await must(['start', 'lc2']);
    const running = await x(['rm', 'lc2']);
    assert.equal(running.code, 1);
    assert.match(running.stderr, /container is running: stop the container before removing or force remove/);
    assert.equal(await must(['rm', '-f', 'lc2']), 'lc2\n');
    assert.equal((await must(['ps', '-aq', '-f', `id=${id}`])), '');
  }
  // an ambiguous prefix is refused, an exact name wins
  const a = await runD('amb-a', ['sleep', '100']);
  const b = await runD('amb-b', ['sleep', '100']);
  let common = 0;
  while (a[common] === b[common]) common++;
  if (common > 0) {
    await same(['inspect', '-f', '{{.Id}}', a.slice(0, common)], { code: 1 });
    assert.match((await d.berth(['stop', a.slice(0, common)])).stderr, /multiple IDs found with provided prefix/);
  }
  await same(['inspect', '-f', '{{.Name}}', a.slice(0, common + 10), b.slice(0, common + 10)], { code: 0 });
  await same(['wait', 'nosuch'], { code: 1 });
  await rmAll('amb-a', 'amb-b');
});
