// The registry's HTTP server: the OCI distribution spec v1.1 API on node:http(s), no framework.
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream/promises';
import { digestOf } from '../oci/index.js';
import { RegistryError, errorBody } from './errors.js';
import { matchRoute, checkDigest, paginate, parseContentRange, parseRange, isValidName, DIGEST_RE, type Route } from './names.js';
import { RegistryStorage, parseManifest, MT, type Digest } from './storage.js';
import { parseBasic, checkUser, parseScopes, covers, formatScope, TokenSigner, type Access } from './auth.js';
import type { RegistryConfig } from './config.js';

const MAX_MANIFEST = 4 * 1024 * 1024;

/** One handled request, for logs and tests (`onRequest`). */
export interface RequestRecord { method: string; path: string; status: number }

export class RegistryServer {
  readonly storage: RegistryStorage;
  private server?: Server;
  private users = new Map<string, string>();
  private readonly verified = new Map<string, boolean>();
  private readonly signer?: TokenSigner;
  onRequest?: (r: RequestRecord) => void;
  private uploadsInFlight = 0;

  constructor(readonly cfg: RegistryConfig) {
    this.storage = new RegistryStorage(cfg.root);
    if (cfg.token) this.signer = new TokenSigner(cfg.token.issuer, cfg.token.service, cfg.token.key, cfg.token.ttlSeconds);
  }

  private loadUsers(): void {
    this.users = this.cfg.htpasswdUsers ?? new Map();
    this.verified.clear();
  }

  async start(): Promise<{ port: number; url: string }> {
    await this.storage.init();
    this.loadUsers();
    const handler = (req: IncomingMessage, res: ServerResponse): void => {
      this.handle(req, res).catch((err: unknown) => this.fail(res, err));
    };
    const tls = this.cfg.tlsCert && this.cfg.tlsKey;
    const server = tls
      ? createHttpsServer({ cert: readFileSync(this.cfg.tlsCert!), key: readFileSync(this.cfg.tlsKey!) }, handler)
      : createHttpServer(handler);
    server.requestTimeout = 0;
    this.server = server;
    const { host, port } = splitAddr(this.cfg.addr);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => { server.off('error', reject); resolve(); });
    });
    const p = (server.address() as AddressInfo).port;
    return { port: p, url: `${tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${p}` };
  }

  async close(): Promise<void> {
    const s = this.server;
    if (!s) return;
    await new Promise<void>((resolve) => { s.close(() => resolve()); s.closeAllConnections(); });
  }

  // ---- plumbing
  private fail(res: ServerResponse, err: unknown): void {
    const e = err instanceof RegistryError ? err : new RegistryError('UNSUPPORTED', `internal error: ${(err as Error)?.message ?? String(err)}`, undefined, 500);
    if (!(err instanceof RegistryError)) process.stderr.write(`registry: ${(err as Error)?.stack ?? String(err)}\n`);
    if (res.headersSent) { res.destroy(); return; }
    const body = errorBody([e]);
    const code = e.status === 500 ? { errors: [{ code: 'UNKNOWN', message: e.message }] } : undefined;
    this.send(res, e.status, code ? JSON.stringify(code) : body, { 'Content-Type': 'application/json' });
  }

  private send(res: ServerResponse, status: number, body: string | Buffer | undefined, headers: Record<string, string | number> = {}): void {
    const buf = body === undefined ? undefined : Buffer.from(body);
    res.writeHead(status, { ...headers, 'Content-Length': buf?.length ?? 0 });
    res.end(res.req.method === 'HEAD' ? undefined : buf);
  }

  private json(res: ServerResponse, status: number, value: unknown, headers: Record<string, string | number> = {}): void {
    this.send(res, status, JSON.stringify(value), { 'Content-Type': 'application/json', ...headers });
  }

  private async readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let n = 0;
    for await (const c of req) {
      n += (c as Buffer).length;
      if (n > limit) throw new RegistryError('MANIFEST_INVALID', 'manifest too large', { limit }, 413);
      chunks.push(c as Buffer);
    }
    return Buffer.concat(chunks);
  }

  /** Drains an unread request body so keep-alive connections stay usable. */
  private async drain(req: IncomingMessage): Promise<void> {
    if (req.readableEnded) return;
    await pipeline(req, async function* (src) { for await (const c of src) void c; });
  }

  // ---- auth
  private required(route: Route, method: string, q: URLSearchParams): Access[] {
    if (route.kind === 'base' || route.kind === 'token') return [];
    if (route.kind === 'catalog') return [{ type: 'registry', name: 'catalog', actions: ['*'] }];
    const read = method === 'GET' || method === 'HEAD';
    const upload = route.kind === 'uploads' || route.kind === 'upload';
    const actions = method === 'DELETE' && !upload ? ['delete'] : read && !upload ? ['pull'] : ['pull', 'push'];
    const out: Access[] = [{ type: 'repository', name: route.name, actions }];
    const from = q.get('from');
    if (route.kind === 'uploads' && q.get('mount') && from && isValidName(from) && from !== route.name) {
      out.push({ type: 'repository', name: from, actions: ['pull'] });
    }
    return out;
  }

  private basicOk(header: string | undefined): string | undefined {
    const creds = parseBasic(header);
    if (!creds) return undefined;
    const key = createHash('sha256').update(header!).digest('hex');
    let ok = this.verified.get(key);
    if (ok === undefined) {
      ok = checkUser(this.users, creds.user, creds.password);
      if (this.verified.size > 1000) this.verified.clear();
      this.verified.set(key, ok);
    }
    return ok ? creds.user : undefined;
  }

  private tokenRealm(req: IncomingMessage): string {
    if (this.cfg.token?.realm) return this.cfg.token.realm;
    const scheme = this.cfg.tlsCert ? 'https' : 'http';
    return `${scheme}://${req.headers.host ?? this.cfg.addr}/token`;
  }

  /** Checks the request's credentials; returns the access still to decide (mount source) or throws UNAUTHORIZED. */
  private authorize(req: IncomingMessage, res: ServerResponse, need: Access[]): { denied: Access[] } {
    const mode = this.cfg.auth;
    if (mode === 'none') return { denied: [] };
    const authz = req.headers.authorization;
    if (mode === 'htpasswd') {
      if (this.basicOk(authz) !== undefined) return { denied: [] };
      res.setHeader('WWW-Authenticate', `Basic realm="${this.cfg.realm}"`);
      throw new RegistryError('UNAUTHORIZED', 'authentication required', need.map((a) => ({ Type: a.type, Name: a.name, Action: a.actions.join(',') })));
    }
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authz ?? '');
    const claims = m ? this.signer!.verify(m[1]!) : undefined;
    const [primary, ...optional] = need;
    const challenge = (error?: string): void => {
      const scope = need.length ? `,scope="${need.map(formatScope).join(' ')}"` : '';
      res.setHeader('WWW-Authenticate', `Bearer realm="${this.tokenRealm(req)}",service="${this.cfg.token!.service}"${scope}${error ? `,error="${error}"` : ''}`);
    };
    if (!claims) {
      challenge(m ? 'invalid_token' : undefined);
      throw new RegistryError('UNAUTHORIZED', 'authentication required', need.map((a) => ({ Type: a.type, Name: a.name, Action: a.actions.join(',') })));
    }
    if (primary && !covers(claims.access, primary)) {
      challenge('insufficient_scope');
      throw new RegistryError('UNAUTHORIZED', 'authentication required', [{ Type: primary.type, Name: primary.name, Action: primary.actions.join(',') }]);
    }
    return { denied: optional.filter((a) => !covers(claims.access, a)) };
  }

  /** GET/POST /token: the built-in token server (basic credentials from the htpasswd file; anonymous pull optional). */
  private tokenEndpoint(req: IncomingMessage, res: ServerResponse, q: URLSearchParams, form?: URLSearchParams): void {
    const t = this.cfg.token!;
    const service = form?.get('service') ?? q.get('service');
    if (service && service !== t.service) throw new RegistryError('DENIED', `unknown service ${service}`);
    let user: string | undefined;
    if (form && form.get('grant_type') === 'password') {
      const u = form.get('username') ?? '';
      const p = form.get('password') ?? '';
      if (!checkUser(this.users, u, p)) throw new RegistryError('UNAUTHORIZED', 'invalid username or password');
      user = u;
    } else if (req.headers.authorization) {
      user = this.basicOk(req.headers.authorization);
      if (user === undefined) {
        res.setHeader('WWW-Authenticate', `Basic realm="${this.cfg.realm}"`);
        throw new RegistryError('UNAUTHORIZED', 'invalid username or password');
      }
    }
    const requested = parseScopes([...(form?.getAll('scope') ?? []), ...q.getAll('scope')]);
    const granted: Access[] = [];
    for (const a of requested) {
      const allowed = user !== undefined ? a.actions : t.anonymousPull && a.type === 'repository' ? a.actions.filter((x) => x === 'pull') : [];
      if (allowed.length) granted.push({ type: a.type, name: a.name, actions: allowed });
    }
    const token = this.signer!.issue(user ?? '', granted);
    this.json(res, 200, { token, access_token: token, expires_in: t.ttlSeconds, issued_at: new Date().toISOString() });
  }

  // ---- dispatch
  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://registry.invalid');
    res.setHeader('Docker-Distribution-API-Version', 'registry/2.0');
    if (this.onRequest) {
      const rec = { method, path: url.pathname + url.search, status: 0 };
      res.on('finish', () => { rec.status = res.statusCode; this.onRequest?.(rec); });
    }
    const route = matchRoute(url.pathname);
    if (!route || (route.kind === 'token' && !this.cfg.token)) {
      await this.drain(req);
      this.send(res, 404, '404 page not found\n', { 'Content-Type': 'text/plain; charset=utf-8' });
      return;
    }
    const q = url.searchParams;
    if (route.kind === 'token') {
      let form: URLSearchParams | undefined;
      if (method === 'POST') form = new URLSearchParams((await this.readBody(req, 64 * 1024)).toString('utf8'));
      else if (method !== 'GET') throw new RegistryError('UNSUPPORTED', 'method not allowed');
      this.tokenEndpoint(req, res, q, form);
      return;
    }
    let denied: Access[];
    try {
      ({ denied } = this.authorize(req, res, this.required(route, method, q)));
    } catch (err) {
      await this.drain(req);
      throw err;
    }
    const write = !['GET', 'HEAD'].includes(method);
    if (write && this.cfg.readOnly) {
      await this.drain(req);
      throw new RegistryError('UNSUPPORTED', 'The operation is unsupported: the registry is in read-only mode.');
    }
    const isUpload = write && (route.kind === 'uploads' || route.kind === 'upload') && method !== 'DELETE';
    if (isUpload && this.cfg.maxConcurrentUploads > 0) {
      if (this.uploadsInFlight >= this.cfg.maxConcurrentUploads) {
        await this.drain(req);
        res.setHeader('Retry-After', '1');
        throw new RegistryError('TOOMANYREQUESTS', 'too many requests: concurrent upload limit reached');
      }
      this.uploadsInFlight++;
      try {
        return await this.dispatch(req, res, route, q, denied);
      } finally {
        this.uploadsInFlight--;
      }
    }
    return this.dispatch(req, res, route, q, denied);
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse, route: Exclude<Route, { kind: 'token' }>, q: URLSearchParams, denied: Access[]): Promise<void> {
    switch (route.kind) {
      case 'base':
        return this.json(res, 200, {});
      case 'catalog':
        return this.catalog(res, q);
      case 'tags':
        return this.tagsList(res, route.name, q);
      case 'manifest':
        return this.manifest(req, res, route.name, route.reference);
      case 'blob':
        return this.blob(req, res, route.name, route.digest);
      case 'uploads':
        return this.startUpload(req, res, route.name, q, denied);
      case 'upload':
        return this.upload(req, res, route.name, route.uuid, q);
      case 'referrers':
        return this.referrers(res, route.name, route.digest, q);
    }
  }

  private methodNotAllowed(): never {
    throw new RegistryError('UNSUPPORTED', 'method not allowed');
  }

  private link(path: string, q: URLSearchParams, n: number, last: string): string {
    const p = new URLSearchParams(q);
    p.set('n', String(n));
    p.set('last', last);
    return `<${path}?${p.toString()}>; rel="next"`;
  }

  private async catalog(res: ServerResponse, q: URLSearchParams): Promise<void> {
    const { page, more } = paginate(await this.storage.catalog(), q.get('n'), q.get('last'));
    const headers: Record<string, string> = {};
    if (more) headers.Link = this.link('/v2/_catalog', q, page.length, page[page.length - 1]!);
    this.json(res, 200, { repositories: page }, headers);
  }

  private async tagsList(res: ServerResponse, name: string, q: URLSearchParams): Promise<void> {
    if (!(await this.storage.repoExists(name))) throw new RegistryError('NAME_UNKNOWN', 'repository name not known to registry', { name });
    const { page, more } = paginate(await this.storage.tags(name), q.get('n'), q.get('last'));
    const headers: Record<string, string> = {};
    if (more) headers.Link = this.link(`/v2/${name}/tags/list`, q, page.length, page[page.length - 1]!);
    this.json(res, 200, { name, tags: page }, headers);
  }

  private async manifest(req: IncomingMessage, res: ServerResponse, name: string, reference: string): Promise<void> {
    const method = req.method;
    if (method === 'GET' || method === 'HEAD') {
      const m = await this.storage.getManifest(name, reference);
      if (!m) throw new RegistryError('MANIFEST_UNKNOWN', 'manifest unknown', { name, reference });
      return this.send(res, 200, m.body, { 'Content-Type': m.mediaType, 'Docker-Content-Digest': m.digest, ETag: `"${m.digest}"` });
    }
    if (method === 'PUT') {
      const body = await this.readBody(req, MAX_MANIFEST);
      const parsed = parseManifest(body, req.headers['content-type']);
      const d = digestOf(body);
      let tag: string | undefined;
      if (DIGEST_RE.test(reference)) {
        if (reference !== d) throw new RegistryError('DIGEST_INVALID', 'provided digest did not match uploaded content', { expected: reference, actual: d });
      } else if (/^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/.test(reference)) {
        tag = reference;
      } else if (reference.includes(':')) {
        checkDigest(reference);
      } else {
        throw new RegistryError('MANIFEST_INVALID', 'invalid tag', { tag: reference });
      }
      const missing: RegistryError[] = [];
      for (const b of parsed.blobs) {
        if ((await this.storage.repoBlobSize(name, b)) === undefined) missing.push(new RegistryError('MANIFEST_BLOB_UNKNOWN', 'blob unknown to registry', { digest: b }));
      }
      for (const c of parsed.manifests) {
        if (!(await this.storage.resolve(name, c))) missing.push(new RegistryError('MANIFEST_BLOB_UNKNOWN', 'manifest unknown to registry', { digest: c }));
      }
      if (missing.length) {
        this.send(res, 400, errorBody(missing), { 'Content-Type': 'application/json' });
        return;
      }
      await this.storage.putManifest(name, body, parsed, d, tag);
      const headers: Record<string, string> = { Location: `/v2/${name}/manifests/${d}`, 'Docker-Content-Digest': d };
      if (parsed.subject) headers['OCI-Subject'] = parsed.subject.digest;
      return this.send(res, 201, undefined, headers);
    }
    if (method === 'DELETE') {
      const ok = DIGEST_RE.test(reference)
        ? await this.storage.deleteManifest(name, reference as Digest)
        : await this.storage.deleteTag(name, reference);
      if (!ok) throw new RegistryError('MANIFEST_UNKNOWN', 'manifest unknown', { name, reference });
      return this.send(res, 202, undefined);
    }
    await this.drain(req);
    this.methodNotAllowed();
  }

  private async blob(req: IncomingMessage, res: ServerResponse, name: string, digest: string): Promise<void> {
    const method = req.method;
    const d = checkDigest(digest);
    if (method === 'GET' || method === 'HEAD') {
      const size = await this.storage.repoBlobSize(name, d);
      if (size === undefined) throw new RegistryError('BLOB_UNKNOWN', 'blob unknown to registry', { digest: d });
      const headers: Record<string, string | number> = {
        'Content-Type': 'application/octet-stream', 'Docker-Content-Digest': d, ETag: `"${d}"`, 'Accept-Ranges': 'bytes',
        'Cache-Control': 'max-age=31536000',
      };
      const range = parseRange(req.headers.range, size);
      if (range === null) {
        res.writeHead(416, { 'Content-Range': `bytes */${size}`, 'Content-Length': 0 });
        res.end();
        return;
      }
      const status = range ? 206 : 200;
      if (range) headers['Content-Range'] = `bytes ${range.start}-${range.end}/${size}`;
      headers['Content-Length'] = range ? range.end - range.start + 1 : size;
      res.writeHead(status, headers);
      if (method === 'HEAD' || size === 0) { res.end(); return; }
      await pipeline(this.storage.openBlob(d, range), res);
      return;
    }
    if (method === 'DELETE') {
      if (!(await this.storage.unlinkBlob(name, d))) throw new RegistryError('BLOB_UNKNOWN', 'blob unknown to registry', { digest: d });
      return this.send(res, 202, undefined, { 'Docker-Content-Digest': d });
    }
    await this.drain(req);
    this.methodNotAllowed();
  }

  private uploadHeaders(name: string, uuid: string, size: number): Record<string, string> {
    return {
      Location: `/v2/${name}/blobs/uploads/${uuid}`,
      Range: `0-${size > 0 ? size - 1 : 0}`,
      'Docker-Upload-UUID': uuid,
    };
  }

  private contentLength(req: IncomingMessage): number | undefined {
    const v = req.headers['content-length'];
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new RegistryError('SIZE_INVALID', 'invalid Content-Length');
    return n;
  }

  private async startUpload(req: IncomingMessage, res: ServerResponse, name: string, q: URLSearchParams, denied: Access[]): Promise<void> {
    if (req.method !== 'POST') { await this.drain(req); this.methodNotAllowed(); }
    const mount = q.get('mount');
    const from = q.get('from');
    if (mount) {
      const d = checkDigest(mount);
      // Without pull access on `from` (or without `from`), a mount falls back to a plain upload session.
      if (from && isValidName(from) && denied.length === 0 && (await this.storage.mount(name, from, d))) {
        await this.drain(req);
        return this.send(res, 201, undefined, { Location: `/v2/${name}/blobs/${d}`, 'Docker-Content-Digest': d });
      }
    }
    const digest = q.get('digest');
    const monolithic = digest !== null && !mount;
    const d = monolithic ? checkDigest(digest) : undefined;
    const uuid = await this.storage.startUpload(name);
    if (d) {
      try {
        await this.storage.appendUpload(name, uuid, req, undefined, this.contentLength(req));
        await this.storage.finishUpload(name, uuid, d);
      } catch (err) {
        await this.storage.cancelUpload(uuid);
        throw err;
      }
      return this.send(res, 201, undefined, { Location: `/v2/${name}/blobs/${d}`, 'Docker-Content-Digest': d });
    }
    await this.drain(req);
    this.send(res, 202, undefined, this.uploadHeaders(name, uuid, 0));
  }

  private async upload(req: IncomingMessage, res: ServerResponse, name: string, uuid: string, q: URLSearchParams): Promise<void> {
    const method = req.method;
    if (method === 'GET') {
      const size = await this.storage.uploadSize(name, uuid);
      return this.send(res, 204, undefined, this.uploadHeaders(name, uuid, size));
    }
    if (method === 'PATCH') {
      const cr = req.headers['content-range'];
      let start: number | undefined;
      if (cr) {
        const r = parseContentRange(cr);
        if (!r) { await this.drain(req); throw new RegistryError('BLOB_UPLOAD_INVALID', `invalid Content-Range ${cr}`, undefined, 416); }
        start = r.start;
      }
      let size: number;
      try {
        size = await this.storage.appendUpload(name, uuid, req, start, this.contentLength(req));
      } catch (err) {
        if (err instanceof RegistryError && err.status === 416) {
          await this.drain(req);
          const cur = await this.storage.uploadSize(name, uuid);
          res.setHeader('Range', `0-${cur > 0 ? cur - 1 : 0}`);
          res.setHeader('Location', `/v2/${name}/blobs/uploads/${uuid}`);
        }
        throw err;
      }
      return this.send(res, 202, undefined, this.uploadHeaders(name, uuid, size));
    }
    if (method === 'PUT') {
      const digest = q.get('digest');
      if (!digest) { await this.drain(req); throw new RegistryError('DIGEST_INVALID', 'digest missing'); }
      const d = checkDigest(digest);
      const cr = req.headers['content-range'];
      const start = cr ? parseContentRange(cr)?.start : undefined;
      try {
        await this.storage.appendUpload(name, uuid, req, start, this.contentLength(req));
      } catch (err) {
        if (err instanceof RegistryError && err.code === 'SIZE_INVALID') await this.storage.cancelUpload(uuid);
        throw err;
      }
      await this.storage.finishUpload(name, uuid, d);
      return this.send(res, 201, undefined, { Location: `/v2/${name}/blobs/${d}`, 'Docker-Content-Digest': d });
    }
    if (method === 'DELETE') {
      await this.drain(req);
      await this.storage.uploadSize(name, uuid);
      await this.storage.cancelUpload(uuid);
      return this.send(res, 204, undefined);
    }
    await this.drain(req);
    this.methodNotAllowed();
  }

  private async referrers(res: ServerResponse, name: string, digest: string, q: URLSearchParams): Promise<void> {
    const d = checkDigest(digest);
    let list = await this.storage.referrers(name, d);
    const at = q.get('artifactType');
    const headers: Record<string, string> = { 'Content-Type': MT.ociIndex };
    if (at) {
      list = list.filter((x) => x.artifactType === at);
      headers['OCI-Filters-Applied'] = 'artifactType';
    }
    this.send(res, 200, JSON.stringify({ schemaVersion: 2, mediaType: MT.ociIndex, manifests: list }), headers);
  }
}

export function splitAddr(addr: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(addr);
  if (!m) {
    if (/^\d+$/.test(addr)) return { host: '0.0.0.0', port: Number(addr) };
    throw new Error(`invalid listen address ${addr} (want HOST:PORT)`);
  }
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port: Number(m[3]) };
}
