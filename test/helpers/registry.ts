// Test peers for registry tests: Debian's docker-registry (distribution 2.8) on 127.0.0.1, a counting and
// throttling HTTP proxy in front of it, and an OCI image layout builder to seed it with skopeo.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { BERTH, run, sleep } from './daemon.js';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export function sha256(b: Buffer | string): string {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`;
}

export class TestRegistry {
  proc: ChildProcess | undefined;
  log = '';
  private constructor(readonly dir: string, readonly port: number) {}

  get addr(): string { return `127.0.0.1:${this.port}`; }
  get storage(): string { return join(this.dir, 'storage'); }

  /** Starts docker-registry with its own config file; `users` turns on htpasswd (bcrypt) auth. */
  static async start(opts: { users?: Record<string, string> } = {}): Promise<TestRegistry> {
    const dir = await mkdtemp(join(tmpdir(), 'berth-registry-'));
    const port = await freePort();
    const r = new TestRegistry(dir, port);
    let auth = '';
    if (opts.users) {
      const file = join(dir, 'htpasswd');
      await writeFile(file, '');
      for (const [u, p] of Object.entries(opts.users)) {
        const res = await run('htpasswd', ['-bB', file, u, p]);
        if (res.code !== 0) throw new Error(`htpasswd: ${res.stderr}`);
      }
      auth = `auth:\n  htpasswd:\n    realm: berth-test\n    path: ${file}\n`;
    }
    await writeFile(join(dir, 'config.yml'), `version: 0.1
log:
  level: info
  formatter: text
storage:
  filesystem:
    rootdirectory: ${r.storage}
  delete:
    enabled: true
http:
  addr: ${r.addr}
${auth}`);
    const proc = spawn('docker-registry', ['serve', join(dir, 'config.yml')], { stdio: ['ignore', 'pipe', 'pipe'] });
    r.proc = proc;
    proc.stdout!.on('data', (b: Buffer) => (r.log += b.toString()));
    proc.stderr!.on('data', (b: Buffer) => (r.log += b.toString()));
    for (let i = 0; i < 200; i++) {
      if (proc.exitCode !== null) throw new Error(`docker-registry exited: ${r.log}`);
      const status = await httpStatus(`http://${r.addr}/v2/`);
      if (status === 200 || status === 401) return r;
      await sleep(50);
    }
    throw new Error(`docker-registry did not start: ${r.log}`);
  }

  /** Path of a blob's data file in the registry's storage (distribution's filesystem layout). */
  blobPath(digest: string): string {
    const hex = digest.slice(7);
    return join(this.storage, 'docker', 'registry', 'v2', 'blobs', 'sha256', hex.slice(0, 2), hex, 'data');
  }

  async stop(): Promise<void> {
    const p = this.proc;
    if (p && p.exitCode === null && p.signalCode === null) {
      const exited = new Promise((res) => p.once('exit', res));
      p.kill('SIGTERM');
      await exited;
    }
    await rm(this.dir, { recursive: true, force: true });
  }
}

export function httpStatus(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(url, (res) => { res.resume(); resolve(res.statusCode ?? 0); });
    req.on('error', () => resolve(0));
  });
}

/** A loopback HTTP proxy in front of a registry: counts blob GETs and can slow them down. */
export class CountingProxy {
  blobGets: string[] = [];
  /** Blob uploads finished (PUT .../blobs/uploads/...) and mounts asked for. */
  uploads = 0;
  mounts = 0;
  /** Every PATCH of an upload (its Content-Range and Content-Length) and every final PUT, in arrival order. */
  patches: Array<{ range: string | undefined; length: string | undefined }> = [];
  puts: Array<{ digest: string | null; length: string | undefined }> = [];
  /** Upload sessions started (POST without mount) and not yet finished or cancelled; the most seen at once. */
  uploadsInFlight = 0;
  maxUploadsInFlight = 0;
  /**
   * When set, each upload-starting POST is held until this many have arrived (or 20 s passed): a client that
   * uploads one blob at a time never gets past 1 in flight then. `barrierMet` says whether the count was reached.
   */
  holdStarts = 0;
  barrierMet = false;
  private held: Array<() => void> = [];
  private holdTimer: NodeJS.Timeout | undefined;
  /** Fault injection: return true when the request was answered here (it is then not forwarded). */
  intercept: ((req: http.IncomingMessage, res: http.ServerResponse) => boolean) | undefined;
  /** Bytes per 100 ms for blob bodies; 0 = unthrottled. */
  throttle = 0;
  /** Blob body bytes sent to clients, and blob downloads the client closed before their end. */
  blobBytes = 0;
  blobAborts = 0;
  /** Bytes per 100 ms for upload bodies (PATCH and PUT of an upload session); 0 = unthrottled. */
  uploadThrottle = 0;
  /**
   * Upload body bytes passed to the registry, upload requests the client broke off, and DELETEs of upload
   * sessions answered (docker-registry answers 404 BLOB_UPLOAD_INVALID, and cancels the session, when the
   * session holds more than the URL's state says: after a PATCH broken off).
   */
  uploadBytes = 0;
  uploadAborts = 0;
  uploadCancels = 0;
  /** Fault injection: downloads of these blobs are cut (connection reset) after `cutAfter` body bytes, so many times. */
  cutBlobs = new Map<string, number>();
  cutAfter = 256 << 10;
  private readonly server: http.Server;
  port = 0;
  /** Token auth in front of the registry: `/token` hands out tokens (to `user` only, when set). */
  bearer: { user?: string; password?: string } | undefined;
  tokenScopes: string[] = [];
  private readonly tokens = new Set<string>();
  constructor(private readonly target: string) {
    this.server = http.createServer((req, res) => {
      if (this.bearer) {
        const url = new URL(req.url ?? '/', 'http://x');
        if (url.pathname === '/token') {
          const auth = req.headers.authorization ?? '';
          const want = this.bearer.user ? `Basic ${Buffer.from(`${this.bearer.user}:${this.bearer.password ?? ''}`).toString('base64')}` : undefined;
          if (want !== undefined && auth !== want) {
            res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ details: 'incorrect username or password' }));
            return;
          }
          this.tokenScopes.push(url.searchParams.getAll('scope').join(' '));
          const token = randomBytes(16).toString('hex');
          this.tokens.add(token);
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token, expires_in: 300 }));
          return;
        }
        const tok = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
        if (!tok || !this.tokens.has(tok)) {
          const repo = /^\/v2\/(.+)\/(?:manifests|blobs|tags)\//.exec(url.pathname)?.[1];
          const scope = repo ? `,scope="repository:${repo}:pull"` : '';
          res.writeHead(401, { 'www-authenticate': `Bearer realm="http://${this.addr}/token",service="test-registry"${scope}`, 'content-type': 'application/json' });
          res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
          return;
        }
        delete req.headers.authorization;
      }
      if (this.intercept?.(req, res)) return;
      const m = /^\/v2\/.+\/blobs\/(sha256:[a-f0-9]{64})$/.exec((req.url ?? '').split('?')[0]!);
      if (m && req.method === 'GET') this.blobGets.push(m[1]!);
      const upload = /\/blobs\/uploads\//.test(req.url ?? '');
      if (req.method === 'PUT' && upload) {
        this.uploads++;
        this.puts.push({ digest: new URL(req.url ?? '/', 'http://x').searchParams.get('digest'), length: req.headers['content-length'] });
      }
      if (req.method === 'PATCH' && upload) this.patches.push({ range: req.headers['content-range'], length: req.headers['content-length'] });
      if (req.method === 'POST' && /\/blobs\/uploads\/\?.*mount=/.test(req.url ?? '')) this.mounts++;
      const starts = req.method === 'POST' && upload && !/mount=/.test(req.url ?? '');
      if (starts && this.holdStarts > 0) {
        this.held.push(() => this.forward(req, res, m?.[1], starts));
        if (this.held.length >= this.holdStarts) this.release(true);
        else if (this.held.length === 1) this.holdTimer = setTimeout(() => this.release(false), 20_000);
        return;
      }
      this.forward(req, res, m?.[1], starts);
    });
  }
  private release(met: boolean): void {
    clearTimeout(this.holdTimer);
    if (!this.held.length) return;
    if (met) this.barrierMet = true;
    const h = this.held;
    this.held = [];
    this.holdStarts = 0;
    for (const f of h) f();
  }
  private forward(req: http.IncomingMessage, res: http.ServerResponse, blob: string | undefined, starts: boolean): void {
    const isBlob = blob !== undefined;
    const session = /\/blobs\/uploads\/[^?]/.test(req.url ?? '');
    const ends = (req.method === 'PUT' || req.method === 'DELETE') && session;
    const sendsBody = (req.method === 'PUT' || req.method === 'PATCH') && session;
    const [host, port] = this.target.split(':');
    const up = http.request({ host, port: Number(port), method: req.method, path: req.url, headers: req.headers }, (ur) => {
      if (starts && ur.statusCode === 202) this.maxUploadsInFlight = Math.max(this.maxUploadsInFlight, ++this.uploadsInFlight);
      if (ends && (ur.statusCode === 201 || ur.statusCode === 204)) this.uploadsInFlight--;
      if (req.method === 'DELETE' && session) this.uploadCancels++;
      res.writeHead(ur.statusCode ?? 502, ur.headers);
      if (isBlob && req.method === 'GET') {
        res.on('close', () => { if (!res.writableFinished) this.blobAborts++; });
        const cuts = this.cutBlobs.get(blob ?? '') ?? 0;
        if (cuts > 0 && ur.statusCode === 200) { this.cutBlobs.set(blob!, cuts - 1); void this.cutPipe(ur, res, this.cutAfter); return; }
        if (this.throttle > 0) { void this.slowPipe(ur, res); return; }
        ur.on('data', (c: Buffer) => { this.blobBytes += c.length; });
      }
      ur.pipe(res);
    });
    up.on('error', () => res.destroy());
    if (!sendsBody) { req.pipe(up); return; }
    // An upload body: counted as it goes upstream, maybe throttled. A client that goes away before its answer
    // (connection closed) breaks the request off upstream too.
    res.on('close', () => {
      if (!res.writableFinished) { this.uploadAborts++; up.destroy(); }
    });
    if (this.uploadThrottle > 0) { void this.slowUpload(req, up); return; }
    req.on('data', (c: Buffer) => { this.uploadBytes += c.length; });
    req.pipe(up);
  }
  /**
   * Reads the client's body at once (so its going away is seen at once) and passes it upstream at
   * `uploadThrottle` bytes per 100 ms.
   */
  private async slowUpload(src: http.IncomingMessage, dst: http.ClientRequest): Promise<void> {
    const rate = this.uploadThrottle;
    const queue: Buffer[] = [];
    let ended = false;
    src.on('data', (c: Buffer) => queue.push(c));
    src.on('end', () => { ended = true; });
    src.on('error', () => dst.destroy());
    while (!dst.destroyed) {
      const chunk = queue.shift();
      if (!chunk) {
        if (ended) { dst.end(); return; }
        await sleep(20);
        continue;
      }
      const part = chunk.subarray(0, rate);
      if (part.length < chunk.length) queue.unshift(chunk.subarray(rate));
      this.uploadBytes += part.length;
      dst.write(part);
      await sleep(100);
    }
  }
  /** Passes `limit` body bytes on, then resets the client's connection. */
  private async cutPipe(src: http.IncomingMessage, dst: http.ServerResponse, limit: number): Promise<void> {
    let sent = 0;
    try {
      for await (const c of src) {
        const chunk = (c as Buffer).subarray(0, limit - sent);
        sent += chunk.length;
        this.blobBytes += chunk.length;
        if (chunk.length && !dst.write(chunk)) await new Promise((r) => dst.once('drain', r));
        if (sent >= limit) break;
      }
    } finally {
      src.destroy();
      dst.socket?.resetAndDestroy();
      dst.destroy();
    }
  }
  private async slowPipe(src: http.IncomingMessage, dst: http.ServerResponse): Promise<void> {
    const rate = this.throttle; // fixed per download: the test may change it meanwhile
    dst.on('close', () => src.destroy());
    try {
      for await (const c of src) {
        let chunk = c as Buffer;
        while (chunk.length) {
          if (dst.destroyed) return;
          const part = chunk.subarray(0, rate);
          this.blobBytes += part.length;
          dst.write(part);
          chunk = chunk.subarray(rate);
          await sleep(100);
        }
      }
      dst.end();
    } catch { dst.destroy(); }
  }
  get addr(): string { return `127.0.0.1:${this.port}`; }
  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }
  async stop(): Promise<void> {
    clearTimeout(this.holdTimer);
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/** A layer: its tar, compressed as said; `blob` gives the compressed bytes to store as they are. */
export interface LayerSpec { tar: Buffer; compression: 'gzip' | 'zstd' | 'none'; blob?: Buffer }
export interface BuiltImage { manifest: Buffer; manifestDigest: string; configDigest: string; layerDigests: string[] }

const LAYER_TYPES = { gzip: 'application/vnd.oci.image.layer.v1.tar+gzip', zstd: 'application/vnd.oci.image.layer.v1.tar+zstd', none: 'application/vnd.oci.image.layer.v1.tar' };

/** Writes an OCI image layout at `dir` holding the images of `refs` (one index.json entry each). */
export class OciLayout {
  private readonly entries: object[] = [];
  constructor(readonly dir: string) {}

  private async blob(data: Buffer): Promise<string> {
    const d = sha256(data);
    await mkdir(join(this.dir, 'blobs', 'sha256'), { recursive: true });
    await writeFile(join(this.dir, 'blobs', 'sha256', d.slice(7)), data);
    return d;
  }

  async image(layers: LayerSpec[], opts: { arch?: string; cmd?: string[] } = {}): Promise<BuiltImage & { descriptor: object }> {
    const descs = [];
    const diffIds = [];
    for (const l of layers) {
      diffIds.push(sha256(l.tar));
      const data = l.blob ?? (l.compression === 'gzip' ? gzipSync(l.tar) : l.compression === 'zstd' ? await zstd(l.tar) : l.tar);
      descs.push({ mediaType: LAYER_TYPES[l.compression], digest: await this.blob(data), size: data.length });
    }
    const config = Buffer.from(JSON.stringify({
      architecture: opts.arch ?? 'amd64', os: 'linux', created: '2024-01-01T00:00:00Z',
      config: { Cmd: opts.cmd ?? ['sh'], Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'] },
      rootfs: { type: 'layers', diff_ids: diffIds },
      history: diffIds.map(() => ({ created: '2024-01-01T00:00:00Z', created_by: 'test' })),
    }));
    const configDigest = await this.blob(config);
    const manifest = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
      layers: descs,
    }));
    const manifestDigest = await this.blob(manifest);
    const descriptor = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: manifestDigest, size: manifest.length, platform: { architecture: opts.arch ?? 'amd64', os: 'linux' } };
    return { manifest, manifestDigest, configDigest, layerDigests: descs.map((d) => d.digest), descriptor };
  }

  async index(manifests: object[]): Promise<{ digest: string; size: number }> {
    const idx = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests }));
    return { digest: await this.blob(idx), size: idx.length };
  }

  tag(name: string, desc: { mediaType: string; digest: string; size: number }): void {
    this.entries.push({ ...desc, annotations: { 'org.opencontainers.image.ref.name': name } });
  }

  async write(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await writeFile(join(this.dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    await writeFile(join(this.dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: this.entries }));
  }
}

function zstd(data: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const p = spawn('zstd', ['-q', '-c'], { stdio: ['pipe', 'pipe', 'inherit'] });
    const out: Buffer[] = [];
    p.stdout.on('data', (b: Buffer) => out.push(b));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve(Buffer.concat(out)) : reject(new Error(`zstd exited ${code}`))));
    p.stdin.end(data);
  });
}

/**
 * A docker-archive (docker save's legacy layout) of one image tagged `tag` whose layers are the given tars, for
 * `berth load`: images with several fresh layers without running containers.
 */
export async function dockerArchive(file: string, tag: string, layers: Buffer[]): Promise<{ diffIds: string[] }> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-archive-'));
  try {
    const diffIds = layers.map((l) => sha256(l));
    for (const [i, l] of layers.entries()) await writeFile(join(dir, `l${i}.tar`), l);
    await writeFile(join(dir, 'config.json'), JSON.stringify({
      architecture: 'amd64', os: 'linux', created: '2024-01-01T00:00:00Z', config: { Cmd: ['sh'] },
      rootfs: { type: 'layers', diff_ids: diffIds }, history: diffIds.map(() => ({ created: '2024-01-01T00:00:00Z', created_by: 'test' })),
    }));
    await writeFile(join(dir, 'manifest.json'), JSON.stringify([{ Config: 'config.json', RepoTags: [tag], Layers: layers.map((_, i) => `l${i}.tar`) }]));
    await runBuf('tar', ['-C', dir, '-cf', file, '.']);
    return { diffIds };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A deterministic tar of `files` (path → content, text or bytes). */
export async function makeTar(files: Record<string, string | Buffer>): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-tar-'));
  try {
    for (const [p, c] of Object.entries(files)) {
      await mkdir(join(dir, p, '..'), { recursive: true });
      await writeFile(join(dir, p), c);
    }
    const r = await runBuf('tar', ['--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner', '-C', dir, '-cf', '-', ...Object.keys(files).map((f) => f.split('/')[0]!).filter((v, i, a) => a.indexOf(v) === i)]);
    return r;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function runBuf(cmd: string, args: string[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    p.stdout.on('data', (b: Buffer) => out.push(b));
    p.stderr.on('data', (b: Buffer) => (err += b.toString()));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve(Buffer.concat(out)) : reject(new Error(`${cmd} exited ${code}: ${err}`))));
  });
}

/** skopeo copy from an OCI layout to the registry (plain http). */
export async function skopeoCopy(src: string, dest: string, extra: string[] = []): Promise<void> {
  const keep = extra.includes('--format') ? [] : ['--preserve-digests'];
  const r = await run('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', ...keep, ...extra, src, dest], { timeoutMs: 120_000 });
  if (r.code !== 0) throw new Error(`skopeo copy ${src} ${dest}: ${r.stderr}`);
}

/** `berth registry serve` on a free loopback port; resolves once it prints its URL. Stop it with `stopBerthRegistry`. */
export async function serveBerthRegistry(root: string, extra: string[] = []): Promise<{ proc: ChildProcess; url: string; host: string }> {
  const proc = spawn(BERTH, ['registry', 'serve', '--addr', '127.0.0.1:0', '--root', root, ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    proc.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /listening on (http\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    proc.stderr!.on('data', (c: Buffer) => { out += c.toString(); });
    proc.once('exit', (code) => reject(new Error(`registry exited ${code}: ${out}`)));
  });
  return { proc, url, host: url.replace(/^https?:\/\//, '').replace(/\/$/, '') };
}
