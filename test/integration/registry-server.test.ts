// berth's own registry server (`berth registry serve`) against real peers on 127.0.0.1: skopeo copies images to
// and from it, and raw HTTP checks the protocol cases of the OCI distribution spec v1.1.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, type ChildProcess } from 'node:child_process';
import { mkdtemp, mkdir, readFile, readdir, rm, writeFile, access } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { promisify } from 'node:util';
import { request } from 'node:http';
import { BERTH, BUSYBOX_TAR_SCRIPT } from '../helpers/daemon.js';
import { serveBerthRegistry } from '../helpers/registry.js';

const run = promisify(execFile);
const sha = (b: Buffer | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

interface Registry { proc: ChildProcess; url: string; host: string }
const started: ChildProcess[] = [];
let dir: string;
let ociDir: string;

async function serve(root: string, extra: string[] = []): Promise<Registry> {
  const r = await serveBerthRegistry(root, extra);
  started.push(r.proc);
  return r;
}

async function stop(r: Registry): Promise<void> {
  if (r.proc.exitCode !== null) return;
  const exited = new Promise<number | null>((resolve) => r.proc.once('exit', (c) => resolve(c)));
  r.proc.kill('SIGTERM');
  assert.equal(await exited, 0);
}

async function skopeo(args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run('skopeo', ['--insecure-policy', ...args], { maxBuffer: 16 << 20 });
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, out: (e.stdout ?? '') + (e.stderr ?? '') };
  }
}

/** An OCI image layout holding busybox:1 (one gzip layer of scripts/make-busybox-tar.sh). */
async function makeOciLayout(path: string): Promise<{ manifestDigest: string }> {
  const { stdout: raw } = await run('bash', [BUSYBOX_TAR_SCRIPT], { encoding: 'buffer', maxBuffer: 64 << 20 });
  const blobs = join(path, 'blobs', 'sha256');
  await mkdir(blobs, { recursive: true });
  const put = async (b: Buffer): Promise<string> => { const d = sha(b); await writeFile(join(blobs, d.slice(7)), b); return d; };
  const gz = gzipSync(raw);
  const layer = await put(gz);
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['sh'] }, rootfs: { type: 'layers', diff_ids: [sha(raw)] } }));
  const cfg = await put(config);
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: cfg, size: config.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: layer, size: gz.length }],
  }));
  const md = await put(manifest);
  await writeFile(join(path, 'index.json'), JSON.stringify({
    schemaVersion: 2,
    manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: md, size: manifest.length, annotations: { 'org.opencontainers.image.ref.name': '1' } }],
  }));
  await writeFile(join(path, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  return { manifestDigest: md };
}

async function errCode(res: Response): Promise<string> {
  const body = (await res.json()) as { errors: { code: string }[] };
  return body.errors[0]!.code;
}

async function exists(p: string): Promise<boolean> {
  return access(p).then(() => true, () => false);
}

async function pushBlob(url: string, name: string, data: Buffer): Promise<string> {
  const d = sha(data);
  const res = await fetch(`${url}/v2/${name}/blobs/uploads/?digest=${d}`, { method: 'POST', body: data, headers: { 'Content-Type': 'application/octet-stream' } });
  assert.equal(res.status, 201);
  return d;
}

async function putManifest(url: string, name: string, ref: string, m: object, ct = 'application/vnd.oci.image.manifest.v1+json'): Promise<Response> {
  return fetch(`${url}/v2/${name}/manifests/${ref}`, { method: 'PUT', body: JSON.stringify(m), headers: { 'Content-Type': ct } });
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-registry-test-'));
  ociDir = join(dir, 'oci');
  await makeOciLayout(ociDir);
});

after(async () => {
  for (const p of started) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

void test('berth registry --help and serve --help', async () => {
  const { stdout } = await run(BERTH, ['registry', '--help']);
  assert.match(stdout, /Usage: {2}berth registry COMMAND/);
  assert.match(stdout, /serve/);
  const s = await run(BERTH, ['registry', 'serve', '--help']);
  assert.match(s.stdout, /--htpasswd string/);
  await assert.rejects(run(BERTH, ['registry', 'serve', '--bogus']), /Unknown option/);
});

void test('skopeo copies an image to and from the server (OCI and Docker schema2)', async () => {
  const root = join(dir, 'root-skopeo');
  const r = await serve(root);
  try {
    const push = await skopeo(['copy', '--dest-tls-verify=false', `oci:${ociDir}:1`, `docker://${r.host}/busybox:1`]);
    assert.equal(push.code, 0, push.out);
    const back = join(dir, 'back');
    const pull = await skopeo(['copy', '--src-tls-verify=false', `docker://${r.host}/busybox:1`, `oci:${back}:x`]);
    assert.equal(pull.code, 0, pull.out);
    const idx = JSON.parse(await readFile(join(back, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
    const orig = JSON.parse(await readFile(join(ociDir, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
    assert.equal(idx.manifests[0]!.digest, orig.manifests[0]!.digest, 'the same manifest comes back');

    // Converted to Docker schema2 into another repository (blobs mounted across repositories).
    const conv = await skopeo(['copy', '--src-tls-verify=false', '--dest-tls-verify=false', '--format', 'v2s2',
      `docker://${r.host}/busybox:1`, `docker://${r.host}/other/bb:v2`]);
    assert.equal(conv.code, 0, conv.out);
    const res = await fetch(`${r.url}/v2/other/bb/manifests/v2`, { headers: { Accept: 'application/vnd.docker.distribution.manifest.v2+json' } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/vnd.docker.distribution.manifest.v2+json');
    const body = Buffer.from(await res.arrayBuffer());
    assert.equal(res.headers.get('docker-content-digest'), sha(body));
    const insp = await skopeo(['inspect', '--tls-verify=false', `docker://${r.host}/other/bb:v2`]);
    assert.equal(insp.code, 0, insp.out);
    assert.equal((JSON.parse(insp.out) as { Digest: string }).Digest, sha(body));
    const cat = (await (await fetch(`${r.url}/v2/_catalog`)).json()) as { repositories: string[] };
    assert.deepEqual(cat.repositories, ['busybox', 'other/bb']);
  } finally {
    await stop(r);
  }
});

void test('protocol: uploads, mount, Range, manifests, pagination, referrers, errors, delete and gc', async () => {
  const root = join(dir, 'root-proto');
  const r = await serve(root);
  const u = r.url;
  try {
    const base = await fetch(`${u}/v2/`);
    assert.equal(base.status, 200);
    assert.equal(base.headers.get('docker-distribution-api-version'), 'registry/2.0');

    // Chunked upload with Range/Location bookkeeping.
    const data = Buffer.from('hello chunked world, berth registry!');
    const post = await fetch(`${u}/v2/app/blobs/uploads/`, { method: 'POST' });
    assert.equal(post.status, 202);
    const loc = post.headers.get('location')!;
    const uuid = post.headers.get('docker-upload-uuid')!;
    assert.ok(loc.endsWith(uuid));
    assert.equal(post.headers.get('range'), '0-0');
    let res = await fetch(new URL(loc, u), { method: 'PATCH', body: data.subarray(0, 10), headers: { 'Content-Range': '0-9', 'Content-Type': 'application/octet-stream' } });
    assert.equal(res.status, 202);
    assert.equal(res.headers.get('range'), '0-9');
    res = await fetch(new URL(loc, u));
    assert.equal(res.status, 204);
    assert.equal(res.headers.get('range'), '0-9');
    assert.equal(res.headers.get('docker-upload-uuid'), uuid);
    res = await fetch(new URL(loc, u), { method: 'PATCH', body: data.subarray(20), headers: { 'Content-Range': '20-35' } });
    assert.equal(res.status, 416, 'out-of-order chunk');
    assert.equal(res.headers.get('range'), '0-9');
    res = await fetch(new URL(loc, u), { method: 'PATCH', body: data.subarray(10), headers: { 'Content-Range': `10-${data.length - 1}` } });
    assert.equal(res.status, 202);
    assert.equal(res.headers.get('range'), `0-${data.length - 1}`);
    const d = sha(data);
    res = await fetch(`${new URL(res.headers.get('location')!, u).href}?digest=${d}`, { method: 'PUT' });
    assert.equal(res.status, 201);
    assert.equal(res.headers.get('docker-content-digest'), d);
    assert.equal(res.headers.get('location'), `/v2/app/blobs/${d}`);
    assert.equal(await errCode(await fetch(new URL(loc, u))), 'BLOB_UPLOAD_UNKNOWN');
    res = await fetch(`${u}/v2/app/blobs/${d}`, { method: 'HEAD' });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-length'), String(data.length));
    assert.equal(res.headers.get('docker-content-digest'), d);

    // Range GET.
    res = await fetch(`${u}/v2/app/blobs/${d}`, { headers: { Range: 'bytes=6-12' } });
    assert.equal(res.status, 206);
    assert.equal(res.headers.get('content-range'), `bytes 6-12/${data.length}`);
    assert.equal(await res.text(), 'chunked');
    res = await fetch(`${u}/v2/app/blobs/${d}`, { headers: { Range: 'bytes=1000-' } });
    assert.equal(res.status, 416);
    await res.arrayBuffer();

    // A tampered monolithic PUT (wrong digest): rejected, nothing stored.
    const evil = Buffer.from('tampered bytes');
    const claimed = sha('the real bytes');
    res = await fetch(`${u}/v2/app/blobs/uploads/?digest=${claimed}`, { method: 'POST', body: evil });
    assert.equal(res.status, 400);
    assert.equal(await errCode(res), 'DIGEST_INVALID');
    const post2 = await fetch(`${u}/v2/app/blobs/uploads/`, { method: 'POST' });
    res = await fetch(`${new URL(post2.headers.get('location')!, u).href}?digest=${claimed}`, { method: 'PUT', body: evil });
    assert.equal(await errCode(res), 'DIGEST_INVALID');
    for (const x of [claimed, sha(evil)]) {
      assert.equal((await fetch(`${u}/v2/app/blobs/${x}`, { method: 'HEAD' })).status, 404);
      assert.equal(await exists(join(root, 'blobs', 'sha256', x.slice(7, 9), x.slice(7))), false);
    }
    assert.deepEqual(await readdir(join(root, '_uploads')), []);

    // Concurrent uploads of one blob.
    const big = Buffer.alloc(3 << 20, 7);
    const statuses = await Promise.all([1, 2, 3, 4].map(async () => (await fetch(`${u}/v2/app/blobs/uploads/?digest=${sha(big)}`, { method: 'POST', body: big })).status));
    assert.deepEqual(statuses, [201, 201, 201, 201]);
    assert.equal(sha(await readFile(join(root, 'blobs', 'sha256', sha(big).slice(7, 9), sha(big).slice(7)))), sha(big));

    // Cross-repository mount; from a repository without the blob it falls back to an upload session.
    res = await fetch(`${u}/v2/lib/mounted/blobs/uploads/?mount=${d}&from=app`, { method: 'POST' });
    assert.equal(res.status, 201);
    assert.equal(res.headers.get('location'), `/v2/lib/mounted/blobs/${d}`);
    assert.equal((await fetch(`${u}/v2/lib/mounted/blobs/${d}`, { method: 'HEAD' })).status, 200);
    res = await fetch(`${u}/v2/lib/other/blobs/uploads/?mount=${d}&from=nothere`, { method: 'POST' });
    assert.equal(res.status, 202);
    assert.equal((await fetch(`${u}/v2/lib/other/blobs/${d}`, { method: 'HEAD' })).status, 404, 'blobs are per repository');

    // Manifests.
    const config = Buffer.from('{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}');
    const cfgD = await pushBlob(u, 'app', config);
    const missing = sha('never uploaded');
    const mf = (layers: string[]): object => ({
      schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: cfgD, size: config.length },
      layers: layers.map((x) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: x, size: x === d ? data.length : 1 })),
    });
    res = await putManifest(u, 'app', 'bad', mf([missing]));
    assert.equal(res.status, 400);
    assert.equal(await errCode(res), 'MANIFEST_BLOB_UNKNOWN');
    res = await putManifest(u, 'app', 'v1', mf([d]), 'application/vnd.docker.distribution.manifest.v2+json');
    assert.equal(await errCode(res), 'MANIFEST_INVALID', 'Content-Type must match mediaType');
    res = await fetch(`${u}/v2/app/manifests/v1`, { method: 'PUT', body: '{not json', headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' } });
    assert.equal(await errCode(res), 'MANIFEST_INVALID');
    const mBody = JSON.stringify(mf([d]));
    const mD = sha(mBody);
    res = await putManifest(u, 'app', sha('other'), mf([d]));
    assert.equal(await errCode(res), 'DIGEST_INVALID');
    res = await putManifest(u, 'app', 'v1', mf([d]));
    assert.equal(res.status, 201);
    assert.equal(res.headers.get('docker-content-digest'), mD);
    for (const ref of ['v1', mD]) {
      res = await fetch(`${u}/v2/app/manifests/${ref}`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'application/vnd.oci.image.manifest.v1+json');
      assert.equal(res.headers.get('docker-content-digest'), mD);
      assert.equal(await res.text(), mBody);
    }
    for (const t of ['v2', 'v3', 'v4', 'latest']) assert.equal((await putManifest(u, 'app', t, mf([d]))).status, 201);
    const index = {
      schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: mD, size: mBody.length, platform: { architecture: 'amd64', os: 'linux' } }],
    };
    res = await putManifest(u, 'app', 'multi', index, 'application/vnd.oci.image.index.v1+json');
    assert.equal(res.status, 201);
    res = await fetch(`${u}/v2/app/manifests/multi`, { method: 'HEAD' });
    assert.equal(res.headers.get('content-type'), 'application/vnd.oci.image.index.v1+json');
    const list = { ...index, mediaType: 'application/vnd.docker.distribution.manifest.list.v2+json' };
    res = await putManifest(u, 'app', 'list', list, 'application/vnd.docker.distribution.manifest.list.v2+json');
    assert.equal(res.status, 201);
    assert.equal((await fetch(`${u}/v2/app/manifests/list`)).headers.get('content-type'), 'application/vnd.docker.distribution.manifest.list.v2+json');
    res = await putManifest(u, 'app', 'badidx', { ...index, manifests: [{ ...index.manifests[0], digest: missing }] }, 'application/vnd.oci.image.index.v1+json');
    assert.equal(await errCode(res), 'MANIFEST_BLOB_UNKNOWN');

    // Tags pagination with Link.
    res = await fetch(`${u}/v2/app/tags/list?n=2`);
    assert.deepEqual(await res.json(), { name: 'app', tags: ['latest', 'list'] });
    const link = res.headers.get('link')!;
    assert.match(link, /^<\/v2\/app\/tags\/list\?n=2&last=list>; rel="next"$/);
    res = await fetch(new URL(link.slice(1, link.indexOf('>')), u));
    assert.deepEqual(await res.json(), { name: 'app', tags: ['multi', 'v1'] });
    res = await fetch(`${u}/v2/app/tags/list?last=v2`);
    assert.deepEqual(await res.json(), { name: 'app', tags: ['v3', 'v4'] });
    assert.equal(res.headers.get('link'), null);
    res = await fetch(`${u}/v2/_catalog?n=1`);
    assert.deepEqual(await res.json(), { repositories: ['app'] });
    assert.match(res.headers.get('link')!, /last=app/);
    res = await fetch(`${u}/v2/_catalog?n=5&last=app`);
    assert.deepEqual(await res.json(), { repositories: ['lib/mounted'] }, 'an upload session alone makes no repository');

    // Referrers: an artifact with a subject.
    const empty = Buffer.from('{}');
    const emptyD = await pushBlob(u, 'app', empty);
    const sig = {
      schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', artifactType: 'application/vnd.example.sig',
      config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: emptyD, size: 2 },
      layers: [{ mediaType: 'application/vnd.oci.empty.v1+json', digest: emptyD, size: 2 }],
      subject: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: mD, size: mBody.length },
      annotations: { 'org.example.who': 'test' },
    };
    const sigD = sha(JSON.stringify(sig));
    res = await putManifest(u, 'app', sigD, sig);
    assert.equal(res.status, 201);
    assert.equal(res.headers.get('oci-subject'), mD);
    res = await fetch(`${u}/v2/app/referrers/${mD}`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/vnd.oci.image.index.v1+json');
    const refs = (await res.json()) as { manifests: { digest: string; artifactType: string; annotations: Record<string, string> }[] };
    assert.equal(refs.manifests.length, 1);
    assert.equal(refs.manifests[0]!.digest, sigD);
    assert.equal(refs.manifests[0]!.artifactType, 'application/vnd.example.sig');
    assert.equal(refs.manifests[0]!.annotations['org.example.who'], 'test');
    res = await fetch(`${u}/v2/app/referrers/${mD}?artifactType=application/vnd.example.sig`);
    assert.equal(res.headers.get('oci-filters-applied'), 'artifactType');
    assert.equal(((await res.json()) as { manifests: unknown[] }).manifests.length, 1);
    res = await fetch(`${u}/v2/app/referrers/${mD}?artifactType=application/other`);
    assert.equal(((await res.json()) as { manifests: unknown[] }).manifests.length, 0);
    res = await fetch(`${u}/v2/app/referrers/${missing}`);
    assert.deepEqual(((await res.json()) as { manifests: unknown[] }).manifests, []);

    // Error codes.
    assert.equal(await errCode(await fetch(`${u}/v2/Bad_Name/tags/list`)), 'NAME_INVALID');
    assert.equal(await errCode(await fetch(`${u}/v2/nope/tags/list`)), 'NAME_UNKNOWN');
    assert.equal(await errCode(await fetch(`${u}/v2/app/manifests/nope`)), 'MANIFEST_UNKNOWN');
    assert.equal(await errCode(await fetch(`${u}/v2/app/blobs/${missing}`)), 'BLOB_UNKNOWN');
    assert.equal(await errCode(await fetch(`${u}/v2/app/blobs/sha256:xyz`)), 'DIGEST_INVALID');
    assert.equal(await errCode(await fetch(`${u}/v2/app/blobs/uploads/00000000-0000-0000-0000-000000000000`)), 'BLOB_UPLOAD_UNKNOWN');
    res = await fetch(`${u}/v2/app/blobs/uploads/?digest=${sha('x')}`, { method: 'POST', body: 'xy', headers: { 'Content-Length': '2' } });
    assert.equal(await errCode(res), 'DIGEST_INVALID');

    // Delete, then gc removes what no manifest references.
    res = await fetch(`${u}/v2/app/manifests/${sigD}`, { method: 'DELETE' });
    assert.equal(res.status, 202);
    assert.equal(((await (await fetch(`${u}/v2/app/referrers/${mD}`)).json()) as { manifests: unknown[] }).manifests.length, 0);
    res = await fetch(`${u}/v2/app/blobs/${sha(big)}`, { method: 'DELETE' });
    assert.equal(res.status, 202);
    assert.equal((await fetch(`${u}/v2/app/blobs/${sha(big)}`, { method: 'HEAD' })).status, 404);
    res = await fetch(`${u}/v2/app/manifests/v4`, { method: 'DELETE' });
    assert.equal(res.status, 202);
    assert.equal((await fetch(`${u}/v2/app/manifests/v4`)).status, 404);
    assert.equal((await fetch(`${u}/v2/app/manifests/v1`)).status, 200, 'deleting a tag keeps the manifest');
    const blobFile = (x: string): string => join(root, 'blobs', 'sha256', x.slice(7, 9), x.slice(7));
    const gc = await run(BERTH, ['registry', 'gc', '--root', root]);
    assert.match(gc.stdout, new RegExp(`removed blob ${sha(big)}`));
    assert.match(gc.stdout, new RegExp(`removed blob ${sigD}`));
    assert.equal(await exists(blobFile(sha(big))), false);
    assert.equal(await exists(blobFile(sigD)), false);
    for (const x of [d, cfgD, mD]) assert.equal(await exists(blobFile(x)), true, `${x} is referenced`);
    assert.equal((await fetch(`${u}/v2/app/blobs/${d}`)).status, 200);
    assert.equal((await fetch(`${u}/v2/app/manifests/v1`)).status, 200);
    // The mounted-only blob in lib/mounted had no manifest there, but app's manifest keeps the bytes alive.
    assert.equal((await fetch(`${u}/v2/lib/mounted/blobs/${d}`, { method: 'HEAD' })).status, 200);
  } finally {
    await stop(r);
  }
});

void test('htpasswd basic auth: required, then working with credentials (skopeo --dest-creds/--src-creds)', async () => {
  const htpasswd = join(dir, 'htpasswd');
  // Hash made by Apache's htpasswd (bcrypt); berth verifies it with its own bcrypt.
  const { stdout } = await run('htpasswd', ['-nbB', '-C', '5', 'alice', 'wonderland']);
  await writeFile(htpasswd, stdout);
  const r = await serve(join(dir, 'root-basic'), ['--htpasswd', htpasswd]);
  try {
    let res = await fetch(`${r.url}/v2/`);
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('www-authenticate'), 'Basic realm="berth-registry"');
    assert.equal(await errCode(res), 'UNAUTHORIZED');
    const basic = (p: string): Record<string, string> => ({ Authorization: `Basic ${Buffer.from(`alice:${p}`).toString('base64')}` });
    res = await fetch(`${r.url}/v2/`, { headers: basic('wrong') });
    assert.equal(res.status, 401);
    res = await fetch(`${r.url}/v2/`, { headers: basic('wonderland') });
    assert.equal(res.status, 200);

    const target = `docker://${r.host}/secure/busybox:1`;
    const anon = await skopeo(['copy', '--dest-tls-verify=false', `oci:${ociDir}:1`, target]);
    assert.notEqual(anon.code, 0);
    assert.match(anon.out, /authentication required|unauthorized/i);
    const bad = await skopeo(['copy', '--dest-tls-verify=false', '--dest-creds', 'alice:nope', `oci:${ociDir}:1`, target]);
    assert.notEqual(bad.code, 0);
    const ok = await skopeo(['copy', '--dest-tls-verify=false', '--dest-creds', 'alice:wonderland', `oci:${ociDir}:1`, target]);
    assert.equal(ok.code, 0, ok.out);
    const back = await skopeo(['copy', '--src-tls-verify=false', '--src-creds', 'alice:wonderland', target, `oci:${join(dir, 'back-basic')}:x`]);
    assert.equal(back.code, 0, back.out);
  } finally {
    await stop(r);
  }
});

void test('bearer-token auth: challenge, token endpoint, scopes, skopeo with and without credentials', async () => {
  const htpasswd = join(dir, 'htpasswd-token');
  const { stdout } = await run('htpasswd', ['-nbB', '-C', '5', 'bob', 'builder']);
  await writeFile(htpasswd, stdout);
  const r = await serve(join(dir, 'root-token'), ['--token-auth', '--htpasswd', htpasswd, '--anonymous-pull', '--token-service', 'test-registry']);
  try {
    let res = await fetch(`${r.url}/v2/app/manifests/latest`);
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('www-authenticate'), `Bearer realm="${r.url}/token",service="test-registry",scope="repository:app:pull"`);
    await res.arrayBuffer();

    const target = `docker://${r.host}/tok/busybox:1`;
    const anon = await skopeo(['copy', '--dest-tls-verify=false', `oci:${ociDir}:1`, target]);
    assert.notEqual(anon.code, 0, 'anonymous tokens carry no push');
    const ok = await skopeo(['copy', '--dest-tls-verify=false', '--dest-creds', 'bob:builder', `oci:${ociDir}:1`, target]);
    assert.equal(ok.code, 0, ok.out);
    const anonPull = await skopeo(['copy', '--src-tls-verify=false', target, `oci:${join(dir, 'back-token')}:x`]);
    assert.equal(anonPull.code, 0, anonPull.out);

    // The raw flow: a pull-only token reads, cannot write; a tampered token is refused.
    const basic = `Basic ${Buffer.from('bob:builder').toString('base64')}`;
    res = await fetch(`${r.url}/token?service=test-registry&scope=repository:tok/busybox:pull`, { headers: { Authorization: basic } });
    assert.equal(res.status, 200);
    const { token } = (await res.json()) as { token: string };
    res = await fetch(`${r.url}/v2/tok/busybox/manifests/1`, { headers: { Authorization: `Bearer ${token}` } });
    assert.equal(res.status, 200);
    await res.arrayBuffer();
    res = await fetch(`${r.url}/v2/tok/busybox/blobs/uploads/`, { method: 'POST', headers: { Authorization: `Bearer ${token}` } });
    assert.equal(res.status, 401);
    assert.match(res.headers.get('www-authenticate')!, /scope="repository:tok\/busybox:pull,push",error="insufficient_scope"/);
    await res.arrayBuffer();
    const [h, p, s] = token.split('.');
    const claims = JSON.parse(Buffer.from(p!, 'base64url').toString()) as { access: { actions: string[] }[] };
    claims.access[0]!.actions.push('push');
    const forged = `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${s}`;
    res = await fetch(`${r.url}/v2/tok/busybox/blobs/uploads/`, { method: 'POST', headers: { Authorization: `Bearer ${forged}` } });
    assert.equal(res.status, 401);
    assert.match(res.headers.get('www-authenticate')!, /error="invalid_token"/);
    await res.arrayBuffer();
    res = await fetch(`${r.url}/token?service=test-registry&scope=repository:tok/busybox:pull`, { headers: { Authorization: `Basic ${Buffer.from('bob:wrong').toString('base64')}` } });
    assert.equal(res.status, 401);
    await res.arrayBuffer();
  } finally {
    await stop(r);
  }
});

void test('read-only mode serves pulls and refuses writes with 405 UNSUPPORTED', async () => {
  const root = join(dir, 'root-ro');
  let r = await serve(root);
  const push = await skopeo(['copy', '--dest-tls-verify=false', `oci:${ociDir}:1`, `docker://${r.host}/busybox:1`]);
  assert.equal(push.code, 0, push.out);
  await stop(r);
  r = await serve(root, ['--read-only']);
  try {
    const pull = await skopeo(['copy', '--src-tls-verify=false', `docker://${r.host}/busybox:1`, `oci:${join(dir, 'back-ro')}:x`]);
    assert.equal(pull.code, 0, pull.out);
    let res = await fetch(`${r.url}/v2/busybox/blobs/uploads/`, { method: 'POST' });
    assert.equal(res.status, 405);
    assert.equal(await errCode(res), 'UNSUPPORTED');
    res = await fetch(`${r.url}/v2/busybox/manifests/1`, { method: 'DELETE' });
    assert.equal(res.status, 405);
    await res.arrayBuffer();
    const again = await skopeo(['copy', '--dest-tls-verify=false', `oci:${ociDir}:1`, `docker://${r.host}/busybox:2`]);
    assert.notEqual(again.code, 0);
    assert.equal((await fetch(`${r.url}/v2/busybox/manifests/2`)).status, 404);
  } finally {
    await stop(r);
  }
});

void test('a server killed mid-upload leaves no blob; after a restart the upload resumes and verifies', async () => {
  const root = join(dir, 'root-crash');
  let r = await serve(root);
  const data = Buffer.alloc(2 << 20);
  for (let i = 0; i < data.length; i++) data[i] = (i * 31) & 0xff;
  const d = sha(data);
  const post = await fetch(`${r.url}/v2/crash/blobs/uploads/`, { method: 'POST' });
  const loc = post.headers.get('location')!;
  let res = await fetch(new URL(loc, r.url), { method: 'PATCH', body: data.subarray(0, 1 << 20), headers: { 'Content-Range': `0-${(1 << 20) - 1}` } });
  assert.equal(res.status, 202);
  // A second chunk in flight (half sent) when the server dies.
  const inflight = request(new URL(loc, r.url), { method: 'PATCH', headers: { 'Content-Length': String(1 << 20) } });
  inflight.on('error', () => undefined);
  inflight.write(data.subarray(1 << 20, (1 << 20) + 4096));
  await new Promise((resolve) => setTimeout(resolve, 200));
  const died = new Promise((resolve) => r.proc.once('exit', resolve));
  r.proc.kill('SIGKILL');
  await died;
  inflight.destroy();
  assert.equal(await exists(join(root, 'blobs', 'sha256', d.slice(7, 9), d.slice(7))), false);

  r = await serve(root);
  try {
    assert.equal((await fetch(`${r.url}/v2/crash/blobs/${d}`, { method: 'HEAD' })).status, 404);
    res = await fetch(new URL(loc, r.url));
    assert.equal(res.status, 204);
    const end = Number(/^0-(\d+)$/.exec(res.headers.get('range')!)![1]);
    assert.ok(end >= (1 << 20) - 1);
    res = await fetch(`${new URL(loc, r.url).href}?digest=${d}`, { method: 'PUT', body: data.subarray(end + 1), headers: { 'Content-Range': `${end + 1}-${data.length - 1}` } });
    assert.equal(res.status, 201);
    res = await fetch(`${r.url}/v2/crash/blobs/${d}`);
    assert.equal(sha(Buffer.from(await res.arrayBuffer())), d);
  } finally {
    await stop(r);
  }
});

void test('TLS: skopeo pushes over https with --tls-cert/--tls-key', async () => {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-days', '1', '-keyout', key, '-out', cert]);
  const r = await serve(join(dir, 'root-tls'), ['--tls-cert', cert, '--tls-key', key]);
  try {
    assert.match(r.url, /^https:/);
    const push = await skopeo(['copy', '--dest-tls-verify=false', `oci:${ociDir}:1`, `docker://${r.host}/busybox:1`]);
    assert.equal(push.code, 0, push.out);
    const insp = await skopeo(['inspect', '--cert-dir', dir, '--tls-verify=false', `docker://${r.host}/busybox:1`]);
    assert.equal(insp.code, 0, insp.out);
  } finally {
    await stop(r);
  }
});

void test('--max-concurrent-uploads: an upload over the limit gets 429 TOOMANYREQUESTS', async () => {
  const r = await serve(join(dir, 'root-429'), ['--max-concurrent-uploads', '1']);
  try {
    const loc = (await fetch(`${r.url}/v2/busy/blobs/uploads/`, { method: 'POST' })).headers.get('location')!;
    // One PATCH whose body is still being sent holds the only slot.
    const first = request(new URL(loc, r.url), { method: 'PATCH', headers: { 'Content-Length': '8' } });
    const firstDone = new Promise<number>((resolve, reject) => {
      first.on('response', (res) => { res.resume(); resolve(res.statusCode!); });
      first.on('error', reject);
    });
    first.write('half');
    let got: Response | undefined;
    for (let i = 0; i < 100 && !got; i++) {
      const res = await fetch(`${r.url}/v2/busy/blobs/uploads/`, { method: 'POST' });
      if (res.status === 429) got = res;
      else { await res.arrayBuffer(); await new Promise((resolve) => setTimeout(resolve, 20)); }
    }
    assert.ok(got, 'a second upload was refused while the first held the slot');
    assert.equal(got.headers.get('retry-after'), '1');
    assert.equal(await errCode(got), 'TOOMANYREQUESTS');
    first.end('half');
    assert.equal(await firstDone, 202);
    assert.equal((await fetch(`${r.url}/v2/busy/blobs/uploads/`, { method: 'POST' })).status, 202);
  } finally {
    await stop(r);
  }
});
