// berth push against real registries on 127.0.0.1: Debian's docker-registry (distribution 2.8) and `berth registry
// serve`, each behind the counting proxy of test/helpers/registry.ts. Chunked uploads (upload-chunk-size set to
// 1 MiB here), concurrent layers (max-concurrent-uploads), registries that misbehave, and registries that need a
// login (htpasswd), with credentials in config.json or in a credential helper program.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BERTH, TestDaemon, hasDocker, isRoot, rawJsonStream, run, sleep, waitFor, type RawStream, type RunResult } from '../helpers/daemon.js';
import { CountingProxy, TestRegistry, dockerArchive, makeTar, runBuf, serveBerthRegistry, sha256 } from '../helpers/registry.js';

const MiB = 1 << 20;

interface ManifestJson { config: { digest: string }; layers: Array<{ digest: string; size: number }> }

async function stopProc(p: ChildProcess | undefined): Promise<void> {
  if (!p || p.exitCode !== null || p.signalCode !== null) return;
  const exited = new Promise((r) => p.once('exit', r));
  p.kill('SIGTERM');
  await exited;
}

/** Files below `dir` (relative paths), recursively. */
async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    if (e.isDirectory()) out.push(...(await filesUnder(join(dir, e.name))).map((f) => `${e.name}/${f}`));
    else out.push(e.name);
  }
  return out;
}


/** POST /images/{name}/push on berthd's socket, as a client that can go away: collects the JSON messages. */
function rawPush(d: TestDaemon, name: string, tag: string): RawStream {
  const path = `/v1.45/images/${encodeURIComponent(name)}/push?tag=${encodeURIComponent(tag)}`;
  return rawJsonStream(d, path, { 'x-registry-auth': Buffer.from('{}').toString('base64url') });
}

void describe('push: chunked uploads, concurrent layers, misbehaving registries', { skip: !isRoot }, () => {
  let d: TestDaemon;
  let reg: TestRegistry;
  let regProxy: CountingProxy;
  let own: { proc: ChildProcess; host: string } | undefined;
  let ownRoot: string;
  let ownProxy: CountingProxy;
  let work: string;
  let big: { id: string; diffIds: string[] };

  const ok = async (args: string[]): Promise<string> => {
    const r = await d.berth(args, { timeoutMs: 120_000 });
    assert.equal(r.code, 0, `berth ${args.join(' ')}: ${r.stdout}\n${r.stderr}`);
    return r.stdout;
  };

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'berth-push-'));
    reg = await TestRegistry.start();
    regProxy = await new CountingProxy(reg.addr).start();
    ownRoot = join(work, 'own-registry');
    own = await serveBerthRegistry(ownRoot);
    ownProxy = await new CountingProxy(own.host).start();
    // Retries of failed layer uploads wait 10 ms, 20 ms... here (dockerd: 5 s, 10 s...).
    d = await TestDaemon.start({ busybox: false, config: { 'upload-chunk-size': MiB, 'max-concurrent-uploads': 2, 'transfer-retry-delay': 10 } });
    // An image of 4 layers: one of 3.5 MiB of random data (it stays 3.5 MiB once gzipped: 4 chunks), three small.
    const layers = [
      await makeTar({ 'big/random.bin': randomBytes(3.5 * MiB) }),
      await makeTar({ 'a.txt': 'small layer a\n' }),
      await makeTar({ 'b.txt': 'small layer b\n'.repeat(1000) }),
      await makeTar({ 'c.bin': randomBytes(1000) }),
    ];
    const file = join(work, 'big.tar');
    const { diffIds } = await dockerArchive(file, 'big:1', layers);
    await ok(['load', '-i', file]);
    big = { id: (await ok(['image', 'inspect', '--format', '{{.Id}}', 'big:1'])).trim(), diffIds };
  });

  after(async () => {
    const leaks = d ? await d.cleanup() : [];
    await regProxy?.stop();
    await ownProxy?.stop();
    await reg?.stop();
    await stopProc(own?.proc);
    if (work) await rm(work, { recursive: true, force: true });
    assert.deepEqual(leaks, []);
  });

  /** A new single-layer image `ref` (2.5 MiB of random bytes: three chunks) that no registry has seen. */
  async function freshImage(ref: string): Promise<void> {
    const file = join(work, 'fresh.tar');
    await writeFile(file, await makeTar({ 'fresh.bin': randomBytes(2.5 * MiB) }));
    await ok(['import', file, ref]);
  }

  /** Pushes big:1 as `ref` through `proxy` and checks the chunks, then pulls it back and compares digests. */
  async function pushChunkedAndBack(proxy: CountingProxy, ref: string, manifestOf: () => Promise<Buffer>): Promise<void> {
    proxy.patches = [];
    proxy.puts = [];
    proxy.maxUploadsInFlight = 0;
    proxy.holdStarts = 2;
    proxy.barrierMet = false;
    await ok(['tag', 'big:1', ref]);
    const out = await ok(['push', ref]);
    const digest = /1: digest: (sha256:[a-f0-9]{64}) size: \d+/.exec(out)?.[1];
    assert.ok(digest, out);
    // Docker's messages: every layer prepared, two of four waiting for a slot (max-concurrent-uploads 2), all pushed.
    for (const id of big.diffIds) {
      const sid = id.slice(7, 19);
      assert.match(out, new RegExp(`${sid}: Preparing\n`));
      assert.match(out, new RegExp(`${sid}: Pushed\n`));
    }
    assert.equal((out.match(/: Waiting\n/g) ?? []).length, 2, out);
    assert.equal(proxy.barrierMet, true, 'two uploads were under way at once');
    assert.equal(proxy.maxUploadsInFlight, 2, 'never more than max-concurrent-uploads');

    // The registry's manifest: its big layer arrived in 1 MiB PATCHes with consecutive ranges, then an empty PUT.
    const raw = await manifestOf();
    assert.equal(sha256(raw), digest);
    const m = JSON.parse(raw.toString()) as ManifestJson;
    assert.equal(m.config.digest, big.id);
    const bigLayer = m.layers[0]!;
    assert.ok(bigLayer.size > 3.5 * MiB, `${bigLayer.size}`);
    const chunks = Math.ceil(bigLayer.size / MiB);
    assert.equal(proxy.patches.length, chunks, JSON.stringify(proxy.patches));
    for (const [i, p] of proxy.patches.entries()) {
      const end = Math.min((i + 1) * MiB, bigLayer.size) - 1;
      assert.deepEqual(p, { range: `${i * MiB}-${end}`, length: String(end - i * MiB + 1) });
    }
    assert.deepEqual(proxy.puts.find((p) => p.digest === bigLayer.digest), { digest: bigLayer.digest, length: '0' });
    // The small layers and the config went up in one PUT each, with their bytes.
    for (const l of [...m.layers.slice(1), { digest: m.config.digest, size: -1 }]) {
      const put = proxy.puts.find((p) => p.digest === l.digest);
      assert.ok(put && put.length !== '0', `${l.digest}: ${JSON.stringify(proxy.puts)}`);
    }

    // Pulled back: the same image (ID = config digest, the same layer diff IDs), the same manifest digest.
    await ok(['rmi', ref]);
    await ok(['rmi', 'big:1']);
    const pulled = await ok(['pull', ref]);
    assert.match(pulled, new RegExp(`Digest: ${digest}`));
    assert.equal((await ok(['image', 'inspect', '--format', '{{.Id}}', ref])).trim(), big.id);
    assert.equal((await ok(['image', 'inspect', '--format', '{{json .RootFS.Layers}}', ref])).trim(), JSON.stringify(big.diffIds));
    await ok(['tag', ref, 'big:1']);
    await ok(['rmi', ref]);
    // Nothing of the push is left in the daemon's ingest folder.
    assert.deepEqual(await readdir(join(d.dataRoot, 'content', 'ingest')), []);
  }

  void test('docker-registry: a layer above the chunk size goes up in PATCHes, layers two at a time; pulled back identical', async () => {
    const ref = `${regProxy.addr}/chunked/big:1`;
    await pushChunkedAndBack(regProxy, ref, () => runBuf('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${reg.addr}/chunked/big:1`]));
    // The blob the registry stored is the bytes berth hashed.
    const m = JSON.parse((await runBuf('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${reg.addr}/chunked/big:1`])).toString()) as ManifestJson;
    assert.equal(sha256(await readFile(reg.blobPath(m.layers[0]!.digest))), m.layers[0]!.digest);
  });

  void test('berth registry serve: the same chunked push and pull back', async () => {
    const ref = `${ownProxy.addr}/chunked/big:1`;
    await pushChunkedAndBack(ownProxy, ref, async () => {
      const tag = (await readFile(join(ownRoot, 'repositories', 'chunked', 'big', '_manifests', 'tags', '1', 'current'), 'utf8')).trim();
      return readFile(join(ownRoot, 'blobs', 'sha256', tag.slice(7, 9), tag.slice(7)));
    });
    assert.deepEqual(await filesUnder(join(ownRoot, '_uploads')), [], 'no upload left open');
  });

  void test('a registry answering 416 to a chunk: clear error, upload cancelled, nothing left, daemon fine', async () => {
    const ref = `${ownProxy.addr}/bad-range/fresh:1`;
    await freshImage(ref);
    let n = 0;
    ownProxy.intercept = (req) => {
      // The second chunk claims to start one byte late: berth's registry refuses it with 416.
      if (req.method === 'PATCH' && ++n === 2) {
        const m = /^(\d+)-(\d+)$/.exec(req.headers['content-range'] ?? '')!;
        req.headers['content-range'] = `${Number(m[1]) + 1}-${Number(m[2]) + 1}`;
      }
      return false;
    };
    try {
      const r = await d.berth(['push', ref], { timeoutMs: 120_000 });
      assert.equal(r.code, 1, r.stdout);
      assert.match(r.stderr, /refused the chunk of bytes 1048576-2097151 with 416 Requested Range Not Satisfiable \(it holds bytes 0-1048575\)/);
    } finally {
      ownProxy.intercept = undefined;
    }
    assert.deepEqual(await filesUnder(join(ownRoot, '_uploads')), [], 'the upload was cancelled');
    assert.deepEqual(await readdir(join(d.dataRoot, 'content', 'ingest')), []);
    // The same push works once the registry behaves.
    assert.match(await ok(['push', ref]), /1: digest: sha256:/);
    await ok(['rmi', ref]);
  });

  void test('a client that goes away mid-push cancels it: upload stopped, session deleted, nothing left, a repeat push works', async () => {
    // berth's own registry: docker-registry 2.8 refuses the DELETE of a session whose PATCH was broken off (the
    // URL's state then names a stale offset) and leaves the session to its purge.
    const repo = `${ownProxy.addr}/cancel/fresh`;
    await freshImage(`${repo}:1`);
    const aborts = ownProxy.uploadAborts;
    const cancels = ownProxy.uploadCancels;
    const before = ownProxy.uploadBytes;
    ownProxy.uploadThrottle = 64 << 10;
    const c = rawPush(d, repo, '1');
    try {
      await waitFor(() => ownProxy.uploadBytes > before + (256 << 10), 'the upload under way');
      assert.ok((await filesUnder(join(ownRoot, '_uploads'))).length > 0, 'the registry holds an upload session');
      c.destroy();
      await waitFor(() => ownProxy.uploadAborts > aborts, 'the upload broken off');
      await waitFor(() => ownProxy.uploadCancels > cancels, 'the upload session deleted');
      const sent = ownProxy.uploadBytes;
      await sleep(1000);
      assert.equal(ownProxy.uploadBytes, sent, 'no upload bytes flow after the cancellation');
    } finally {
      ownProxy.uploadThrottle = 0;
    }
    assert.ok(!c.lines.some((l) => l.error), JSON.stringify(c.lines));
    assert.ok(c.lines.some((l) => l.status === 'Pushing'), JSON.stringify(c.lines));
    assert.ok(await d.ping(), 'the daemon is healthy');
    await waitFor(async () => (await readdir(join(d.dataRoot, 'content', 'ingest'))).length === 0, 'the spool file removed');
    assert.deepEqual(await filesUnder(join(ownRoot, '_uploads')), [], 'no upload session left in the registry');
    const out = await ok(['push', `${repo}:1`]);
    assert.match(out, /: Pushed\n/);
    assert.match(out, /1: digest: sha256:[a-f0-9]{64} size: \d+/);
    await ok(['rmi', `${repo}:1`]);
  });

  /** Answers the request 500 with a registry error body (once its body is read: no broken pipe). */
  function fail500(req: IncomingMessage, res: ServerResponse): true {
    req.resume();
    req.on('end', () => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ code: 'UNKNOWN', message: 'injected failure' }] }));
    });
    return true;
  }

  /**
   * The upload sessions docker-registry holds for `repo` (their data and start files): after cancelling a session
   * on DELETE, docker-registry 2.8 writes its empty hash state back (hashstates/sha256/0), which is all it leaves.
   */
  const registryUploads = async (repo: string): Promise<string[]> =>
    (await filesUnder(join(reg.storage, 'docker', 'registry', 'v2', 'repositories', ...repo.split('/'), '_uploads'))).filter((f) => !f.includes('/hashstates/'));

  void test('a 500 on a PATCH and on the final PUT of an upload: the layer is pushed again, the push succeeds', async () => {
    const repo = `${regProxy.addr}/flaky/fresh`;
    await freshImage(`${repo}:1`);
    let patches = 0;
    let puts = 0;
    regProxy.intercept = (req, res) => {
      const session = /\/blobs\/uploads\/[^?]/.test(req.url ?? '');
      // The second chunk of the first attempt, then the final PUT of the second.
      if (req.method === 'PATCH' && session && ++patches === 2) return fail500(req, res);
      if (req.method === 'PUT' && session && req.headers['content-length'] === '0' && ++puts === 1) return fail500(req, res);
      return false;
    };
    let out: string;
    const cancels = regProxy.uploadCancels;
    try {
      out = await ok(['push', `${repo}:1`]);
    } finally {
      regProxy.intercept = undefined;
    }
    assert.equal((out.match(/: Retrying in 1 second\n/g) ?? []).length, 2, out);
    assert.match(out, /: Pushed\n/);
    const digest = /1: digest: (sha256:[a-f0-9]{64}) size: \d+/.exec(out)?.[1];
    assert.ok(digest, out);
    assert.equal(regProxy.uploadCancels, cancels + 2, 'each failed attempt cancelled its upload session');
    assert.deepEqual(await registryUploads('flaky/fresh'), [], 'no upload session left in the registry');
    assert.deepEqual(await readdir(join(d.dataRoot, 'content', 'ingest')), []);
    // What the registry holds is the image: pulled back after removing it here, the same ID.
    const id = (await ok(['image', 'inspect', '--format', '{{.Id}}', `${repo}:1`])).trim();
    await ok(['rmi', `${repo}:1`]);
    assert.match(await ok(['pull', `${repo}:1`]), new RegExp(`Digest: ${digest}`));
    assert.equal((await ok(['image', 'inspect', '--format', '{{.Id}}', `${repo}:1`])).trim(), id);
    await ok(['rmi', `${repo}:1`]);
  });

  void test('a registry answering 500 to every PATCH: a clear error after 5 retries, nothing left, daemon fine', async () => {
    const repo = `${regProxy.addr}/broken/fresh`;
    await freshImage(`${repo}:1`);
    let patches = 0;
    regProxy.intercept = (req, res) => {
      if (req.method === 'PATCH' && /\/blobs\/uploads\/[^?]/.test(req.url ?? '')) { patches++; return fail500(req, res); }
      return false;
    };
    try {
      const r = await d.berth(['push', `${repo}:1`], { timeoutMs: 120_000 });
      assert.equal(r.code, 1, r.stdout);
      assert.match(r.stderr, /uploading a blob to .*broken\/fresh \(bytes 0-1048575\): unknown: injected failure/);
      assert.equal(patches, 6, 'the first attempt and 5 retries');
      assert.equal((r.stdout.match(/: Retrying in 1 second\n/g) ?? []).length, 5, r.stdout);
    } finally {
      regProxy.intercept = undefined;
    }
    assert.ok(await d.ping(), 'the daemon is healthy');
    assert.deepEqual(await registryUploads('broken/fresh'), [], 'every upload session was cancelled');
    assert.deepEqual(await readdir(join(d.dataRoot, 'content', 'ingest')), []);
    await ok(['rmi', `${repo}:1`]);
  });

  void test('a registry answering 201 to the start of an upload it cannot have: clear error', async () => {
    const ref = `${regProxy.addr}/created/fresh:1`;
    await freshImage(ref);
    regProxy.intercept = (req, res) => {
      if (req.method !== 'POST' || !/\/blobs\/uploads\/$/.test(req.url ?? '')) return false;
      req.resume();
      res.writeHead(201, { 'content-length': '0', 'docker-distribution-api-version': 'registry/2.0' }).end();
      return true;
    };
    try {
      const r = await d.berth(['push', ref], { timeoutMs: 120_000 });
      assert.equal(r.code, 1, r.stdout);
      assert.match(r.stderr, /answered 201 Created to the start of (an|the) upload/);
    } finally {
      regProxy.intercept = undefined;
    }
    assert.deepEqual(await readdir(join(d.dataRoot, 'content', 'ingest')), []);
    assert.equal((await d.berth(['version'])).code, 0, 'berthd still answers');
    await ok(['rmi', ref]);
  });
});

void describe('push to a registry that requires a login (htpasswd)', { skip: !isRoot }, () => {
  let reg: TestRegistry;
  let d: TestDaemon;
  let work: string;
  let cfgDir: string;
  let helperBin: string;
  const berth = (args: string[], input?: string, env: Record<string, string> = {}): Promise<RunResult> =>
    run(BERTH, ['-H', d.host, ...args], { env: { DOCKER_CONFIG: cfgDir, ...env }, timeoutMs: 120_000, ...(input !== undefined ? { input } : {}) });

  before(async () => {
    reg = await TestRegistry.start({ users: { alice: 's3cret-pw' } });
    work = await mkdtemp(join(tmpdir(), 'berth-push-auth-'));
    cfgDir = join(work, 'docker-config');
    d = await TestDaemon.start();
    // A credential helper as docker-credential-helpers' protocol has it, keeping its secrets in a JSON file.
    helperBin = join(work, 'bin');
    await mkdir(helperBin);
    const store = join(work, 'helper-store.json');
    await writeFile(join(helperBin, 'docker-credential-berthtest'), `#!${process.execPath}
const fs = require('fs');
const file = ${JSON.stringify(store)};
const db = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : {};
const input = fs.readFileSync(0, 'utf8').trim();
fs.appendFileSync(file + '.log', process.argv[2] + ' ' + (process.argv[2] === 'store' ? JSON.parse(input).ServerURL : input) + '\\n');
const notFound = () => { process.stdout.write('credentials not found in native keychain\\n'); process.exit(1); };
switch (process.argv[2]) {
  case 'store': { const c = JSON.parse(input); db[c.ServerURL] = { Username: c.Username, Secret: c.Secret }; break; }
  case 'get': { const c = db[input]; if (!c) notFound(); process.stdout.write(JSON.stringify({ ServerURL: input, ...c })); break; }
  case 'erase': if (!db[input]) notFound(); delete db[input]; break;
  case 'list': process.stdout.write(JSON.stringify(Object.fromEntries(Object.entries(db).map(([k, v]) => [k, v.Username])))); break;
  default: process.stdout.write('unknown action\\n'); process.exit(1);
}
fs.writeFileSync(file, JSON.stringify(db));
`);
    await chmod(join(helperBin, 'docker-credential-berthtest'), 0o755);
  });

  after(async () => {
    const leaks = d ? await d.cleanup() : [];
    await reg?.stop();
    if (work) await rm(work, { recursive: true, force: true });
    assert.deepEqual(leaks, []);
  });

  void test('push fails before login with dockerd\'s words, works after it; pulled back', async () => {
    const ref = `${reg.addr}/team/bb:1`;
    assert.equal((await berth(['tag', 'busybox', ref])).code, 0);
    let r = await berth(['push', ref]);
    assert.equal(r.code, 1, r.stdout);
    assert.equal(r.stderr, 'no basic auth credentials\n');
    // Wrong stored credentials: the registry's own error, as dockerd prints it.
    await mkdir(cfgDir, { recursive: true });
    await writeFile(join(cfgDir, 'config.json'), JSON.stringify({ auths: { [reg.addr]: { auth: Buffer.from('alice:wrong').toString('base64') } } }));
    r = await berth(['push', ref]);
    assert.equal(r.code, 1, r.stdout);
    assert.equal(r.stderr, 'unauthorized: authentication required\n');

    r = await berth(['login', '-u', 'alice', '--password-stdin', reg.addr], 's3cret-pw\n');
    assert.equal(r.code, 0, r.stderr);
    r = await berth(['push', ref]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /: Pushed\n/);
    const digest = /1: digest: (sha256:[a-f0-9]{64})/.exec(r.stdout)![1]!;
    const id = (await berth(['image', 'inspect', '--format', '{{.Id}}', ref])).stdout.trim();
    assert.equal((await berth(['rmi', ref])).code, 0);
    r = await berth(['pull', ref]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`Digest: ${digest}`));
    assert.equal((await berth(['image', 'inspect', '--format', '{{.Id}}', ref])).stdout.trim(), id);
    assert.equal((await berth(['logout', reg.addr])).code, 0);
    assert.equal((await berth(['rmi', ref])).code, 0);
  });

  void test('the docker CLI through berthd: push refused without login, then login and push', { skip: !hasDocker() }, async () => {
    const env = { DOCKER_HOST: d.host, DOCKER_CONFIG: join(work, 'docker-cli-config') };
    const ref = `${reg.addr}/team/dk:1`;
    assert.equal((await berth(['tag', 'busybox', ref])).code, 0);
    let r = await run('docker', ['push', ref], { env, timeoutMs: 120_000 });
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, /no basic auth credentials/);
    r = await run('docker', ['login', '-u', 'alice', '--password-stdin', reg.addr], { env, input: 's3cret-pw\n' });
    assert.equal(r.code, 0, r.stderr);
    r = await run('docker', ['push', ref], { env, timeoutMs: 120_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /1: digest: sha256:[a-f0-9]{64} size: \d+/);
    assert.equal((await berth(['rmi', ref])).code, 0);
  });

  void test('credsStore / credHelpers: login stores through the helper, push and pull read it, logout erases', async () => {
    const env = { DOCKER_CONFIG: join(work, 'helper-config'), PATH: `${helperBin}:${process.env['PATH'] ?? ''}` };
    const cfgFile = join(env.DOCKER_CONFIG, 'config.json');
    const helperLog = async (): Promise<string[]> => (await readFile(join(work, 'helper-store.json.log'), 'utf8').catch(() => '')).split('\n').filter(Boolean);
    const ref = `${reg.addr}/team/helper:1`;
    const b = (args: string[], input?: string): Promise<RunResult> => berth(args, input, env);
    assert.equal((await b(['tag', 'busybox', ref])).code, 0);
    for (const cfg of [{ credsStore: 'berthtest' }, { credsStore: 'missing-helper', credHelpers: { [reg.addr]: 'berthtest' } }]) {
      await mkdir(env.DOCKER_CONFIG, { recursive: true });
      await writeFile(cfgFile, JSON.stringify(cfg));
      await rm(join(work, 'helper-store.json.log'), { force: true });
      // Nothing stored yet: the helper says so, and the push goes anonymous (and is refused).
      let r = await b(['push', ref]);
      assert.equal(r.code, 1);
      assert.equal(r.stderr, 'no basic auth credentials\n');
      assert.deepEqual(await helperLog(), [`get ${reg.addr}`]);

      r = await b(['login', '-u', 'alice', '--password-stdin', reg.addr], 's3cret-pw\n');
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'Login Succeeded\n');
      assert.doesNotMatch(r.stderr, /stored unencrypted/);
      const saved = JSON.parse(await readFile(cfgFile, 'utf8')) as Record<string, unknown>;
      assert.deepEqual(saved, { ...cfg, auths: { [reg.addr]: {} } }, 'no secret in config.json, only the entry docker writes');
      const store = JSON.parse(await readFile(join(work, 'helper-store.json'), 'utf8')) as Record<string, unknown>;
      assert.deepEqual(store[reg.addr], { Username: 'alice', Secret: 's3cret-pw' });

      r = await b(['push', ref]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal((await b(['rmi', ref])).code, 0);
      r = await b(['pull', ref]);
      assert.equal(r.code, 0, r.stderr);

      r = await b(['logout', reg.addr]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, `Removing login credentials for ${reg.addr}\n`);
      assert.equal(r.stderr, '');
      const afterLogout = JSON.parse(await readFile(cfgFile, 'utf8')) as { auths?: Record<string, unknown> };
      assert.deepEqual(afterLogout.auths, {});
      assert.equal((JSON.parse(await readFile(join(work, 'helper-store.json'), 'utf8')) as Record<string, unknown>)[reg.addr], undefined);
      // logout erases every key docker may have used; with credHelpers only the exact key goes to this helper
      // (http:// and https:// go to the missing credsStore and fail, which is fine as one erase worked).
      const erased = 'credHelpers' in cfg ? [reg.addr] : [reg.addr, `http://${reg.addr}`, `https://${reg.addr}`];
      assert.deepEqual((await helperLog()).filter((l) => !l.startsWith('get ')), [`store ${reg.addr}`, ...erased.map((k) => `erase ${k}`)]);
    }
    await b(['rmi', ref]);
  });

  void test('a credential helper that is not installed: docker\'s errors', async () => {
    const env = { DOCKER_CONFIG: join(work, 'missing-config') };
    await mkdir(env.DOCKER_CONFIG, { recursive: true });
    await writeFile(join(env.DOCKER_CONFIG, 'config.json'), JSON.stringify({ credsStore: 'nonexistent' }));
    const ref = `${reg.addr}/team/none:1`;
    const missing = 'exec: "docker-credential-nonexistent": executable file not found in $PATH, out: ``';
    let r = await berth(['pull', ref], undefined, env);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `error getting credentials - err: ${missing}\n`);
    r = await berth(['push', ref], undefined, env);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `error getting credentials - err: ${missing}\n`);
    r = await berth(['login', '-u', 'alice', '--password-stdin', reg.addr], 's3cret-pw\n', env);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `Error saving credentials: error storing credentials - err: ${missing}\n`);
    r = await berth(['logout', reg.addr], undefined, env);
    assert.equal(r.code, 0);
    assert.match(r.stderr, /^WARNING: could not erase credentials:\n/);
    assert.match(r.stderr, new RegExp(`${reg.addr.replace(/\./g, '\\.')}: error erasing credentials - err: exec: "docker-credential-nonexistent"`));
  });
});
