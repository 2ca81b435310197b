import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { request, type IncomingMessage } from 'node:http';
import { TestDaemon, isRoot, sh, BERTH, BUSYBOX_TAR_SCRIPT, sleep } from '../helpers/daemon.js';

// The Engine API core (issue 2, item 3) over raw HTTP, as ../shared/docs/engine-api.md describes it.
const skip = !isRoot;
let d: TestDaemon;

before(async () => {
  if (skip) return;
  d = await TestDaemon.start();
});
after(async () => {
  if (skip) return;
  assert.deepEqual(await d.cleanup(), [], 'nothing left behind');
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

async function json(method: string, path: string, body?: unknown): Promise<{ status: number; headers: Record<string, unknown>; body: Json }> {
  const r = await d.api(method, path, body);
  return { status: r.status, headers: r.headers, body: r.body ? JSON.parse(r.body) : undefined };
}

/** An error answer as clients need it: the status, `Content-Type: application/json` exactly, `{"message":…}`. */
async function expectError(method: string, path: string, status: number, message: string | RegExp, body?: unknown): Promise<void> {
  const r = await d.api(method, path, body);
  assert.equal(r.status, status, `${method} ${path}: ${r.body}`);
  assert.equal(r.headers['content-type'], 'application/json', `${method} ${path}: exact content type`);
  assert.equal(r.headers['api-version'], '1.45', 'errors carry the common headers too');
  const parsed = JSON.parse(r.body) as { message: string };
  assert.deepEqual(Object.keys(parsed), ['message']);
  if (typeof message === 'string') assert.equal(parsed.message, message);
  else assert.match(parsed.message, message);
}

function commonHeaders(h: Record<string, unknown>): void {
  assert.equal(h['api-version'], '1.45');
  assert.equal(h['ostype'], 'linux');
  assert.equal(h['docker-experimental'], 'false');
  assert.match(String(h['server']), /^Docker\/\S+ \(linux\)$/);
}

void test('GET and HEAD /_ping, versioned and not, with the headers clients read', { skip }, async () => {
  for (const prefix of ['', '/v1.45', '/v1.24']) {
    const g = await d.api('GET', `${prefix}/_ping`);
    assert.equal(g.status, 200);
    assert.equal(g.body, 'OK');
    commonHeaders(g.headers);
    assert.equal(g.headers['content-type'], 'text/plain; charset=utf-8');
    assert.equal(g.headers['cache-control'], 'no-cache, no-store, must-revalidate');
    assert.equal(g.headers['pragma'], 'no-cache');
    assert.equal(g.headers['builder-version'], '1');
    assert.equal(g.headers['swarm'], 'inactive');
    const h = await d.api('HEAD', `${prefix}/_ping`);
    assert.equal(h.status, 200);
    assert.equal(h.body, '');
    commonHeaders(h.headers);
    assert.equal(h.headers['cache-control'], 'no-cache, no-store, must-revalidate');
    assert.equal(h.headers['pragma'], 'no-cache');
  }
  // Go and Python clients reuse connections: the idle timeout must be long, not Node's 5 s.
  const r = await d.api('GET', '/_ping');
  if (r.headers['keep-alive']) assert.ok(Number(/timeout=(\d+)/.exec(String(r.headers['keep-alive']))?.[1]) >= 60);
});

void test('/version and /info have Docker\'s shape', { skip }, async () => {
  const v = await json('GET', '/version');
  assert.equal(v.status, 200);
  commonHeaders(v.headers);
  assert.equal(v.headers['content-type'], 'application/json');
  for (const k of ['Version', 'ApiVersion', 'MinAPIVersion', 'GitCommit', 'GoVersion', 'Os', 'Arch', 'KernelVersion', 'BuildTime']) {
    assert.equal(typeof v.body[k], 'string', `version.${k}`);
  }
  assert.equal(v.body.ApiVersion, '1.45');
  assert.equal(v.body.MinAPIVersion, '1.24');
  assert.equal(v.body.Os, 'linux');
  const goArch = process.arch === 'x64' ? 'amd64' : process.arch;
  assert.equal(v.body.Arch, goArch, 'version Arch is GOARCH (amd64), not uname -m');
  assert.equal(typeof v.body.Platform.Name, 'string');
  const engine = v.body.Components.find((c: Json) => c.Name === 'Engine');
  assert.ok(engine, 'Components has the Engine (docker version renders the Server block from it)');
  assert.equal(engine.Version, v.body.Version);
  assert.equal(engine.Details.ApiVersion, '1.45');
  assert.equal(engine.Details.MinAPIVersion, '1.24');
  assert.equal(engine.Details.Os, 'linux');
  assert.equal(engine.Details.Arch, goArch);
  assert.equal(engine.Details.Experimental, 'false');

  const i = await json('GET', '/info');
  assert.equal(i.status, 200);
  const info = i.body;
  for (const k of ['ID', 'ServerVersion', 'Driver', 'LoggingDriver', 'CgroupDriver', 'CgroupVersion', 'DefaultRuntime', 'KernelVersion',
    'OperatingSystem', 'OSType', 'Architecture', 'Name', 'DockerRootDir', 'SystemTime', 'IndexServerAddress', 'HttpProxy', 'HttpsProxy', 'NoProxy']) {
    assert.equal(typeof info[k], 'string', `info.${k}`);
  }
  for (const k of ['Containers', 'ContainersRunning', 'ContainersPaused', 'ContainersStopped', 'Images', 'NCPU', 'MemTotal', 'NFd', 'NGoroutines', 'NEventsListener']) {
    assert.equal(typeof info[k], 'number', `info.${k}`);
  }
  assert.equal(info.OSType, 'linux');
  assert.equal(info.Architecture, process.arch === 'x64' ? 'x86_64' : info.Architecture, 'info Architecture is uname -m, as Docker\'s');
  assert.ok(Array.isArray(info.DriverStatus) && info.DriverStatus.every((p: unknown) => Array.isArray(p) && p.length === 2));
  assert.deepEqual(Object.keys(info.Plugins).sort(), ['Authorization', 'Log', 'Network', 'Volume']);
  assert.deepEqual({ ...info.Swarm, Error: undefined, RemoteManagers: undefined }, { NodeID: '', NodeAddr: '', LocalNodeState: 'inactive', ControlAvailable: false, Error: undefined, RemoteManagers: undefined });
  assert.ok(info.Runtimes.runc, 'runc is a runtime');
  assert.ok(info.Runtimes[info.DefaultRuntime], 'the default runtime is listed');
  assert.ok(info.SecurityOptions.includes('name=seccomp,profile=builtin'));
  assert.deepEqual(info.Labels, []);
  assert.deepEqual(info.Warnings, []);
  assert.equal(info.ExperimentalBuild, false);
  assert.equal(typeof info.LiveRestoreEnabled, 'boolean');
  assert.equal(typeof info.RegistryConfig, 'object');
  assert.ok(!Number.isNaN(Date.parse(info.SystemTime)));
  assert.equal(info.Images, 1);
  assert.equal(info.DockerRootDir, d.dataRoot);
});

void test('every route answers under /v1.45/, /v1.24/ and unversioned', { skip }, async () => {
  for (const prefix of ['', '/v1.45', '/v1.24', '/v1.41']) {
    for (const p of ['/version', '/info', '/containers/json?all=1', '/images/json', '/images/busybox/json', '/images/busybox:latest/json']) {
      const r = await d.api('GET', prefix + p);
      assert.equal(r.status, 200, `GET ${prefix}${p}: ${r.body}`);
      commonHeaders(r.headers);
    }
    const name = `route${prefix.replace(/[^0-9]/g, '') || 'none'}`;
    const c = await json('POST', `${prefix}/containers/create?name=${name}`, { Image: 'busybox', Cmd: ['sh', '-c', 'echo hi; echo oops >&2; exit 3'], Labels: { v: prefix } });
    assert.equal(c.status, 201, JSON.stringify(c.body));
    assert.match(c.body.Id, /^[0-9a-f]{64}$/);
    assert.deepEqual(c.body.Warnings, []);
    const waiter = await postHeaders(`${prefix}/containers/${name}/wait?condition=next-exit`);
    assert.equal(waiter.statusCode, 200);
    const waited = readAll(waiter);
    const s = await d.api('POST', `${prefix}/containers/${c.body.Id.slice(0, 12)}/start`);
    assert.equal(s.status, 204, s.body);
    assert.deepEqual(JSON.parse(await waited), { StatusCode: 3 });
    const again = await d.api('POST', `${prefix}/containers/${name}/wait`);
    assert.deepEqual(JSON.parse(again.body), { StatusCode: 3 }, 'not-running on a stopped container answers at once');
    const ins = await json('GET', `${prefix}/containers/${name}/json`);
    assert.equal(ins.status, 200);
    assert.equal(ins.body.Name, `/${name}`);
    assert.equal(ins.body.State.Status, 'exited');
    assert.equal(ins.body.State.ExitCode, 3);
    const logs = await d.api('GET', `${prefix}/containers/${name}/logs?stdout=1&stderr=1`);
    assert.equal(logs.status, 200);
    // Multiplexed framing from 1.42 on; older clients are told raw-stream (the bytes are framed alike).
    assert.equal(logs.headers['content-type'], prefix === '/v1.24' || prefix === '/v1.41'
      ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream');
    assert.ok(logs.body.includes('hi\n') && logs.body.includes('oops\n'));
    const list = await json('GET', `${prefix}/containers/json?all=1&filters=${encodeURIComponent(JSON.stringify({ name: [name] }))}`);
    assert.deepEqual(list.body.map((x: Json) => x.Names), [[`/${name}`]]);
    const rm = await d.api('DELETE', `${prefix}/containers/${name}`);
    assert.equal(rm.status, 204, rm.body);
    await expectError('GET', `${prefix}/containers/${name}/json`, 404, `No such container: ${name}`);
  }
});

void test('API versions outside 1.24..1.45 are refused with moby\'s messages', { skip }, async () => {
  await expectError('GET', '/v1.99/version', 400, 'client version 1.99 is too new. Maximum supported API version is 1.45');
  await expectError('GET', '/v1.46/containers/json', 400, 'client version 1.46 is too new. Maximum supported API version is 1.45');
  await expectError('GET', '/v1.12/version', 400, 'client version 1.12 is too old. Minimum supported API version is 1.24, please upgrade your client to a newer version');
  await expectError('GET', '/v1.23/_ping', 400, /^client version 1\.23 is too old/);
});

void test('malformed requests get 400 with a message and the daemon lives on', { skip }, async () => {
  await expectError('POST', '/containers/create', 400, /JSON/i, '{"Image": "busybox",');
  await expectError('POST', '/containers/create', 400, /JSON/i, '{bad');
  // Types Go's decoder would refuse are refused up front, never half-created.
  await expectError('POST', '/containers/create', 400, 'json: cannot unmarshal array into Go value of type container.CreateRequest', []);
  await expectError('POST', '/containers/create', 400, /^json: cannot unmarshal number into Go struct field \S+\.Image of type string$/, { Image: 123 });
  await expectError('POST', '/containers/create', 400, /cannot unmarshal string into .*Env of type \[\]string/, { Image: 'busybox', Env: 'A=1' });
  await expectError('POST', '/containers/create', 400, /cannot unmarshal string into .*HostConfig of type/, { Image: 'busybox', HostConfig: 'x' });
  await expectError('POST', '/containers/create', 400, /HostConfig\.Memory of type int64/, { Image: 'busybox', HostConfig: { Memory: '1g' } });
  await expectError('POST', '/containers/create', 400, /Labels of type map\[string\]string/, { Image: 'busybox', Labels: ['a=b'] });
  await expectError('POST', '/containers/create', 400, /HostPort of type string/, { Image: 'busybox', HostConfig: { PortBindings: { '80/tcp': [{ HostPort: 80 }] } } });
  // Absent, empty and null bodies are not a crash either.
  for (const body of [undefined, '{}', 'null']) await expectError('POST', '/containers/create', 400, /.+/, body);
  await expectError('GET', '/containers/%zz/json', 400, /.+/);
  await expectError('POST', '/containers/create?name=bad%20name', 400, /^Invalid container name \(bad name\)/, { Image: 'busybox' });
  // Strings where Go takes a string list (strslice) and unknown fields (dockerode's option bag) are fine.
  const ok = await json('POST', '/containers/create', { Image: 'busybox', Cmd: 'true', hijack: true, stdin: false, VolumesFrom: null, HostConfig: { NetworkMode: 'default', Memory: 0 } });
  assert.equal(ok.status, 201, JSON.stringify(ok.body));
  assert.equal((await d.api('DELETE', `/containers/${ok.body.Id}`)).status, 204);
  assert.ok(await d.ping(), 'the daemon is still alive');
  assert.doesNotMatch(d.log, /level=error msg="request failed"/, 'nothing reached the unclassified 500 path');
});

void test('unknown routes and objects: 404 with Docker\'s messages', { skip }, async () => {
  await expectError('GET', '/nosuch', 404, 'page not found');
  await expectError('GET', '/v1.45/containers/json/extra/path', 404, 'page not found');
  await expectError('DELETE', '/version', 404, 'page not found');
  await expectError('GET', '/containers/nosuch/json', 404, 'No such container: nosuch');
  await expectError('GET', '/v1.45/containers/nosuch/logs?stdout=1', 404, 'No such container: nosuch');
  await expectError('POST', '/containers/nosuch/start', 404, 'No such container: nosuch');
  await expectError('POST', '/containers/nosuch/wait', 404, 'No such container: nosuch');
  await expectError('DELETE', '/containers/nosuch', 404, 'No such container: nosuch');
  await expectError('GET', '/images/nosuch/json', 404, 'No such image: nosuch:latest');
  await expectError('POST', '/containers/create', 404, 'No such image: nosuchimage:latest', { Image: 'nosuchimage' });
  await expectError('POST', '/containers/create', 404, 'No such image: example.com/x/y:1.0', { Image: 'example.com/x/y:1.0' });
  await expectError('GET', '/swarm', 503, /^This node is not a swarm manager/);
  await expectError('GET', '/v1.45/services', 503, /^This node is not a swarm manager/);
});

void test('a taken name is a 409 with Docker\'s exact wording', { skip }, async () => {
  const first = await json('POST', '/containers/create?name=taken', { Image: 'busybox' });
  assert.equal(first.status, 201);
  const conflict = `Conflict. The container name "/taken" is already in use by container "${first.body.Id}". You have to remove (or rename) that container to be able to reuse that name.`;
  await expectError('POST', '/containers/create?name=taken', 409, conflict, { Image: 'busybox' });
  await expectError('POST', '/v1.24/containers/create?name=/taken', 409, conflict, { Image: 'busybox' });
  assert.equal((await d.api('DELETE', '/containers/taken')).status, 204);
});

void test('GET /containers/json: list shape, booleans, filters in both JSON forms, bad filters', { skip }, async () => {
  const a = await json('POST', '/containers/create?name=lista', { Image: 'busybox', Labels: { team: 'a', tier: 'web' } });
  const b = await json('POST', '/containers/create?name=listb', { Image: 'busybox', Cmd: ['sleep', '30'], Labels: { team: 'b' } });
  assert.equal((await d.api('POST', '/containers/listb/start', '{}')).status, 204, 'a {} body on start is fine');
  assert.equal((await d.api('POST', '/containers/listb/start')).status, 304, 'starting a running container is 304');
  try {
    const running = await json('GET', '/containers/json');
    assert.deepEqual(running.body.map((c: Json) => c.Id), [b.body.Id], 'default: running only');
    for (const v of ['1', 'true', 'True', 'yes']) {
      const all = await json('GET', `/containers/json?all=${v}`);
      assert.deepEqual(all.body.map((c: Json) => c.Id), [b.body.Id, a.body.Id], `all=${v}: every container, newest first`);
    }
    for (const v of ['0', 'false', 'no', '']) {
      assert.equal((await json('GET', `/containers/json?all=${v}`)).body.length, 1, `all=${v} is false`);
    }
    const c = (await json('GET', '/containers/json?all=1&limit=1')).body;
    assert.deepEqual(c.map((x: Json) => x.Id), [b.body.Id]);
    const one = c[0];
    for (const k of ['Id', 'Names', 'Image', 'ImageID', 'Command', 'Created', 'Ports', 'Labels', 'State', 'Status', 'HostConfig', 'NetworkSettings', 'Mounts']) {
      assert.ok(k in one, `list has ${k}`);
    }
    assert.deepEqual(one.Names, ['/listb']);
    assert.equal(one.Image, 'busybox');
    assert.match(one.ImageID, /^sha256:[0-9a-f]{64}$/);
    assert.equal(one.Command, 'sleep 30');
    assert.equal(one.State, 'running');
    assert.match(one.Status, /^Up (Less than a second|1 second|\d+ seconds)$/);
    assert.equal(one.SizeRw, undefined, 'sizes only with size=1');
    const sized = (await json('GET', '/containers/json?size=1')).body[0];
    assert.equal(typeof sized.SizeRw, 'number');
    assert.ok(sized.SizeRootFs > sized.SizeRw, 'SizeRootFs counts the image too');

    const q = async (filters: unknown): Promise<string[]> => {
      const r = await json('GET', `/containers/json?all=1&filters=${encodeURIComponent(JSON.stringify(filters))}`);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r.body.map((x: Json) => x.Names[0]);
    };
    assert.deepEqual(await q({ label: { 'team=a': true } }), ['/lista'], 'Go CLI set form');
    assert.deepEqual(await q({ label: ['team=a'] }), ['/lista'], 'docker-py / dockerode list form');
    assert.deepEqual(await q({ label: ['team=a', 'tier=web'] }), ['/lista'], 'labels AND');
    assert.deepEqual(await q({ label: ['team=a', 'tier=db'] }), []);
    assert.deepEqual(await q({ label: ['team'] }), ['/listb', '/lista']);
    assert.deepEqual(await q({ status: ['created'] }), ['/lista']);
    assert.deepEqual(await q({ status: ['created', 'running'] }), ['/listb', '/lista'], 'values of one key OR');
    assert.deepEqual(await q({ name: { listb: true } }), ['/listb']);
    assert.deepEqual(await q({ id: [a.body.Id.slice(0, 10)] }), ['/lista']);
    assert.deepEqual(await q({ ancestor: ['busybox'] }), ['/listb', '/lista']);
    assert.deepEqual(await q({}), ['/listb', '/lista']);

    await expectError('GET', `/containers/json?filters=${encodeURIComponent('{"label":')}`, 400, /.+/);
    await expectError('GET', `/containers/json?filters=${encodeURIComponent('["label"]')}`, 400, /.+/);
    await expectError('GET', `/containers/json?filters=${encodeURIComponent('{"bogus":["x"]}')}`, 400, /invalid filter/);
    await expectError('GET', '/containers/json?limit=abc', 400, /.+/);
  } finally {
    await d.api('DELETE', '/containers/lista?force=1');
    await d.api('DELETE', '/containers/listb?force=1');
  }
});

void test('GET /images/json and image names with / : @ in the path', { skip }, async () => {
  const list = await json('GET', '/images/json');
  assert.equal(list.status, 200);
  assert.equal(list.body.length, 1);
  const img = list.body[0];
  for (const k of ['Id', 'ParentId', 'RepoTags', 'RepoDigests', 'Created', 'Size', 'SharedSize', 'Labels', 'Containers']) assert.ok(k in img, `image list has ${k}`);
  assert.match(img.Id, /^sha256:[0-9a-f]{64}$/);
  assert.deepEqual(img.RepoTags, ['busybox:latest']);
  assert.equal(typeof img.Created, 'number');
  assert.equal(img.VirtualSize, undefined, 'no VirtualSize from 1.44 on');
  const old = (await json('GET', '/v1.41/images/json')).body[0];
  assert.equal(old.VirtualSize, old.Size, 'VirtualSize below 1.44');

  const hex = img.Id.slice('sha256:'.length);
  for (const ref of ['busybox', 'busybox:latest', 'docker.io/library/busybox:latest', 'library/busybox', img.Id, hex.slice(0, 12)]) {
    const r = await json('GET', `/v1.45/images/${ref}/json`);
    assert.equal(r.status, 200, `GET /images/${ref}/json: ${JSON.stringify(r.body)}`);
    assert.equal(r.body.Id, img.Id);
  }
  assert.equal((await d.api('POST', '/v1.45/images/busybox/tag?repo=docker.io/library/apitest&tag=1.0')).status, 201);
  assert.equal((await d.api('POST', '/images/busybox/tag?repo=example.com:5000/team/app&tag=v2')).status, 201);
  try {
    assert.equal((await json('GET', '/images/example.com:5000/team/app:v2/json')).body.Id, img.Id);
    const q = async (filters: unknown): Promise<string[][]> =>
      (await json('GET', `/images/json?filters=${encodeURIComponent(JSON.stringify(filters))}`)).body.map((x: Json) => x.RepoTags);
    assert.deepEqual(await q({ reference: ['apitest'] }), [['apitest:1.0']], 'a reference filter narrows RepoTags');
    assert.deepEqual(await q({ reference: { 'apitest:1.0': true } }), [['apitest:1.0']]);
    assert.deepEqual(await q({ reference: ['apitest:2.0'] }), []);
    assert.deepEqual(await q({ reference: ['busybox', 'apitest'] }), [['apitest:1.0', 'busybox:latest']]);
    assert.deepEqual(await q({ dangling: ['false'] }), [['apitest:1.0', 'busybox:latest', 'example.com:5000/team/app:v2']]);
    await expectError('GET', `/images/json?filters=${encodeURIComponent('{bad')}`, 400, /.+/);
    await expectError('GET', `/images/json?filters=${encodeURIComponent('{"nope":["x"]}')}`, 400, /invalid filter/);
    await expectError('GET', '/images/nosuch:1.0/json', 404, 'No such image: nosuch:1.0');
    // An untagged image: RepoTags [] from 1.43 on, <none> placeholders before.
    const r = await sh(`bash ${BUSYBOX_TAR_SCRIPT} | ${BERTH} -H ${d.host} import -`);
    assert.equal(r.code, 0, r.stderr);
    const dangling = r.stdout.trim();
    const now = (await json('GET', `/images/json?filters=${encodeURIComponent('{"dangling":["true"]}')}`)).body;
    assert.deepEqual(now.map((x: Json) => [x.Id, x.RepoTags, x.RepoDigests]), [[dangling, [], []]]);
    const before143 = (await json('GET', `/v1.41/images/json?filters=${encodeURIComponent('{"dangling":["true"]}')}`)).body;
    assert.deepEqual(before143.map((x: Json) => [x.RepoTags, x.RepoDigests]), [[['<none>:<none>'], ['<none>@<none>']]]);
    assert.equal((await d.api('DELETE', `/images/${dangling}`)).status, 200);
  } finally {
    await d.api('DELETE', '/images/apitest:1.0');
    await d.api('DELETE', '/images/example.com:5000/team/app:v2');
  }
});

/** POST that resolves as soon as the response headers arrive (the body keeps streaming). */
function postHeaders(path: string): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: d.socket, path, method: 'POST' }, resolve);
    req.on('error', reject);
    req.end();
  });
}

function readAll(res: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let s = '';
    res.on('data', (c: Buffer) => (s += c.toString()));
    res.on('end', () => resolve(s));
  });
}

void test('wait: headers flushed at once; a failed start does not answer it, the removal does', { skip }, async () => {
  const c = await json('POST', '/containers/create?name=waitfail', { Image: 'busybox', Cmd: ['nosuchcmd'] });
  assert.equal(c.status, 201);
  const res = await postHeaders('/v1.45/containers/waitfail/wait?condition=next-exit');
  assert.equal(res.statusCode, 200, 'the CLI starts only once these headers are in');
  assert.equal(res.headers['content-type'], 'application/json');
  let body: string | undefined;
  void readAll(res).then((b) => { body = b; });
  await expectError('POST', '/containers/waitfail/start', 400, /executable file not found in \$PATH/);
  const ins = await json('GET', '/containers/waitfail/json');
  assert.equal(ins.body.State.ExitCode, 127);
  assert.match(ins.body.State.Error, /exec: "nosuchcmd": executable file not found in \$PATH/);
  await sleep(300);
  assert.equal(body, undefined, 'like moby, a failed start leaves a next-exit waiter waiting (the CLI would log "Error waiting")');
  assert.equal((await d.api('DELETE', '/containers/waitfail')).status, 204);
  for (let i = 0; i < 50 && body === undefined; i++) await sleep(50);
  assert.deepEqual(JSON.parse(body ?? 'null'), { StatusCode: 127 }, 'the removal answers the waiter, without an Error');
  await expectError('POST', '/containers/create', 400, /.+/, { Image: 'busybox', Cmd: ['true'], HostConfig: { AutoRemove: 'yes' } });
  const bad = await json('POST', '/containers/create?name=waitbad', { Image: 'busybox', Cmd: ['true'] });
  await expectError('POST', `/containers/${bad.body.Id}/wait?condition=bogus`, 400, /invalid condition/);
  assert.equal((await d.api('DELETE', '/containers/waitbad')).status, 204);
});
