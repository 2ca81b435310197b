import http, { type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { Readable } from 'node:stream';
import {
  BerthError, CancelledError, InvalidArgumentError, NotFoundError, UnauthorizedError, UnavailableError, errorMessage,
} from '../base/index.js';
import { MediaTypes, digestOf, isDigest, type Digest } from '../oci/index.js';
import { basicHeader, hasCredentials, parseChallenges, type RegistryAuth } from './auth.js';
import { endpointsFor, type Endpoint } from './endpoints.js';

export const MANIFEST_ACCEPT = [MediaTypes.ociIndex, MediaTypes.dockerManifestList, MediaTypes.ociManifest, MediaTypes.dockerManifest];

const MAX_MANIFEST = 4 << 20;
/** How long the DELETE of an abandoned upload session may take. */
const CANCEL_TIMEOUT_MS = 10_000;

export interface RepoName { domain: string; path: string }

export interface RegistryClientOptions {
  insecureRegistries?: readonly string[];
  registryMirrors?: readonly string[];
  userAgent?: string;
  /** Blobs up to this size are uploaded in one PUT, larger ones in PATCHes of this size; 0 = never in chunks. */
  uploadChunkSize?: number;
}

/** The default upload chunk size (daemon.json `upload-chunk-size`). */
export const DEFAULT_UPLOAD_CHUNK = 32 << 20;

/** A blob to upload whose bytes may still be being produced (a layer compressed while it is uploaded). */
export interface UploadSource {
  /**
   * Resolves once at least `n` bytes can be read or the blob is complete: `available` bytes are readable;
   * `complete` (digest and size) once the whole blob is known. Rejects when producing the blob failed.
   */
  ready(n: number): Promise<{ available: number; complete?: { digest: Digest; size: number } }>;
  /** The (available) bytes [start, end) as a stream. */
  read(start: number, end: number): Readable;
}

export interface UploadResult { digest: Digest; size: number; existed: boolean }

/** An UploadSource over bytes held in memory. */
export function bufferSource(bytes: Buffer): UploadSource {
  const complete = { digest: digestOf(bytes), size: bytes.length };
  return {
    ready: () => Promise.resolve({ available: bytes.length, complete }),
    read: (start, end) => Readable.from([bytes.subarray(start, end)]),
  };
}

export interface FetchedManifest { bytes: Buffer; mediaType: string; digest: Digest }

let systemCa: string[] | undefined;
function cas(): string[] {
  if (systemCa) return systemCa;
  const list = [...rootCertificates];
  for (const f of ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt']) {
    try { list.push(readFileSync(f, 'utf8')); break; } catch { /* try the next */ }
  }
  systemCa = list;
  return list;
}

interface Resp { res: IncomingMessage; url: URL; req: http.ClientRequest }

/**
 * One HTTP request; follows up to 5 redirects (credentials dropped when the host changes). A body stream that
 * fails fails the request; aborting `signal` destroys the request and its response (a body being read fails).
 */
async function send(method: string, url: URL, headers: OutgoingHttpHeaders, body?: Buffer | Readable, redirects = 5, signal?: AbortSignal): Promise<Resp> {
  const mod = url.protocol === 'https:' ? https : http;
  let req!: http.ClientRequest;
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    req = mod.request(url, { method, headers, ...(signal ? { signal } : {}), ...(url.protocol === 'https:' ? { ca: cas() } : {}) }, resolve);
    req.on('error', reject);
    req.setTimeout(60_000, () => req.destroy(new UnavailableError(`${method} ${url.href}: timed out`, { transient: true })));
    if (body === undefined) req.end();
    else if (Buffer.isBuffer(body)) req.end(body);
    else {
      body.on('error', (err) => req.destroy(err));
      body.pipe(req);
    }
  }).catch((err: unknown) => {
    if (body !== undefined && !Buffer.isBuffer(body)) body.destroy();
    if (signal?.aborted) throw signal.reason instanceof BerthError ? signal.reason : new CancelledError('context canceled', { cause: err });
    if (err instanceof BerthError) throw err;
    throw new UnavailableError(`${method} "${url.href}": ${errorMessage(err)}`, { cause: err });
  });
  const status = res.statusCode ?? 0;
  if ([301, 302, 303, 307, 308].includes(status) && res.headers.location && redirects > 0 && (method === 'GET' || method === 'HEAD')) {
    res.resume();
    const next = new URL(res.headers.location, url);
    const h = { ...headers };
    if (next.host !== url.host) delete h['authorization'];
    return send(method, next, h, undefined, redirects - 1, signal);
  }
  return { res, url, req };
}

export async function readBody(res: IncomingMessage, max = MAX_MANIFEST): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of res) {
    n += (c as Buffer).length;
    if (n > max) { res.destroy(); throw new InvalidArgumentError(`response too large (> ${max} bytes)`); }
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

/** An unexpected answer as an error: `what: <the registry's words>`, transient (worth a retry) for 5xx and 429. */
async function unexpected(res: IncomingMessage, what: string): Promise<UnavailableError> {
  return new UnavailableError(`${what}: ${await registryError(res)}`, { transient: transientStatus(res.statusCode) });
}

function transientStatus(status: number | undefined): boolean {
  return status !== undefined && (status >= 500 || status === 429);
}

/** `{errors:[{code,message}]}` → `code: message` (or the status line). */
async function registryError(res: IncomingMessage, denial = false): Promise<string> {
  let text = '';
  try { text = (await readBody(res, 64 << 10)).toString('utf8'); } catch { /* ignore */ }
  try {
    const j = JSON.parse(text) as { errors?: Array<{ code?: string; message?: string }> };
    if (j.errors?.length) return j.errors.map((e) => `${(e.code ?? 'error').toLowerCase().replace(/_/g, ' ')}: ${e.message ?? ''}`).join(', ');
  } catch { /* not JSON */ }
  // A refusal without a body (to a HEAD): what distribution's client makes of it, its error codes' messages.
  if (denial && res.statusCode === 401) return 'unauthorized: authentication required';
  if (denial && res.statusCode === 403) return 'denied: requested access to the resource is denied';
  return `${res.statusCode} ${res.statusMessage ?? ''}`.trim();
}

/**
 * A client of the OCI distribution API for one repository: endpoint choice (mirrors, http for insecure
 * registries), token (Bearer) and basic auth driven by the registry's WWW-Authenticate challenges. Every request
 * of the session is bound to `signal`: aborting it ends the requests in flight (a pull whose client left).
 */
export class RepositorySession {
  private endpoint: Endpoint;
  private authorization: string | undefined;

  constructor(private readonly client: RegistryClient, readonly repo: RepoName, private readonly auth: RegistryAuth,
    private readonly endpoints: Endpoint[], private readonly actions: string, private readonly signal?: AbortSignal) {
    this.endpoint = endpoints[0]!;
  }

  private url(path: string): URL {
    return new URL(`${this.endpoint.base}/v2/${this.repo.path}${path}`);
  }

  private get displayName(): string {
    return this.repo.domain === 'docker.io' && this.repo.path.startsWith('library/') ? this.repo.path.slice(8) : `${this.repo.domain}/${this.repo.path}`;
  }

  /**
   * A request with auth: on 401, answers the challenge once and retries. It ends when `signal` or the session's
   * signal aborts; `unbound` leaves the session's out (clean-up that must go out after the session was aborted).
   */
  async request(method: string, url: URL, headers: OutgoingHttpHeaders = {}, body?: () => Buffer | Readable, signal?: AbortSignal, unbound = false): Promise<Resp> {
    const h = (): OutgoingHttpHeaders => ({ 'user-agent': this.client.userAgent, ...headers, ...(this.authorization ? { authorization: this.authorization } : {}) });
    const own = unbound ? undefined : this.signal;
    const sig = signal && own ? AbortSignal.any([signal, own]) : signal ?? own;
    const first = body?.();
    let r = await send(method, url, h(), first, 5, sig);
    if (r.res.statusCode !== 401) return r;
    const challenges = parseChallenges(r.res.headers['www-authenticate']);
    r.res.resume();
    if (first !== undefined && !Buffer.isBuffer(first) && !first.readableEnded) {
      // Refused before the body was sent: stop sending it (the body is produced again for the retry).
      first.unpipe();
      first.destroy();
      r.req.destroy();
    }
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    const basic = challenges.find((c) => c.scheme === 'basic');
    if (bearer && bearer.params['realm']) {
      const scope = bearer.params['scope'] ?? `repository:${this.repo.path}:${this.actions}`;
      try {
        this.authorization = `Bearer ${await this.client.fetchToken(bearer.params, scope, this.auth, sig)}`;
      } catch (err) {
        if (err instanceof UnauthorizedError) throw this.denied(err.message);
        throw err;
      }
    } else if (basic && basicHeader(this.auth)) {
      this.authorization = basicHeader(this.auth);
    } else {
      throw this.denied('no basic auth credentials');
    }
    r = await send(method, url, h(), body?.(), 5, sig);
    if (r.res.statusCode === 401 || r.res.statusCode === 403) {
      const msg = await registryError(r.res, true);
      throw this.denied(msg);
    }
    return r;
  }

  /** moby's wording; a pull that is denied is reported as not found (as dockerd does), a push as unauthorized. */
  private denied(detail: string): NotFoundError | UnauthorizedError {
    // dockerd prints the registry's own error (`unauthorized: authentication required`, `denied: ...`), or
    // `no basic auth credentials` when a basic-auth registry gets none.
    if (this.actions.includes('push')) return new UnauthorizedError(/^[a-z ]+: /.test(detail) || detail === 'no basic auth credentials' ? detail : `unauthorized: ${detail}`);
    return new NotFoundError(`pull access denied for ${this.displayName}, repository does not exist or may require 'docker login': ${detail}`);
  }

  /** Runs `fn` on each endpoint in turn while the current one is a mirror that fails. */
  private async withFallback<T>(fn: () => Promise<T>): Promise<T> {
    for (let i = this.endpoints.indexOf(this.endpoint); ; i++) {
      this.endpoint = this.endpoints[i]!;
      try {
        return await fn();
      } catch (err) {
        if (!this.endpoint.mirror || i + 1 >= this.endpoints.length || this.signal?.aborted) throw err;
        this.authorization = undefined;
      }
    }
  }

  /** GET a manifest by tag or digest; the digest of the bytes is checked when `reference` is one. */
  async getManifest(reference: string, accept: readonly string[] = MANIFEST_ACCEPT): Promise<FetchedManifest> {
    return this.withFallback(async () => {
      const { res } = await this.request('GET', this.url(`/manifests/${reference}`), { accept: accept.join(', ') });
      if (res.statusCode === 404) {
        const msg = await registryError(res);
        const shown = isDigest(reference) ? `${this.displayName}@${reference}` : `${this.displayName}:${reference}`;
        throw new NotFoundError(`manifest for ${shown} not found: ${msg}`);
      }
      if (res.statusCode !== 200) throw await unexpected(res, `fetching manifest ${reference} of ${this.displayName}`);
      const bytes = await readBody(res);
      const digest = digestOf(bytes);
      if (isDigest(reference) && digest !== reference) {
        throw new InvalidArgumentError(`manifest verification failed for digest ${reference}`);
      }
      let mediaType = (res.headers['content-type'] ?? '').split(';')[0]!.trim();
      try {
        const mt = (JSON.parse(bytes.toString('utf8')) as { mediaType?: unknown }).mediaType;
        if (typeof mt === 'string' && mt) mediaType = mt;
      } catch { throw new InvalidArgumentError(`manifest ${reference} of ${this.displayName} is not valid JSON`); }
      return { bytes, mediaType, digest };
    });
  }

  /** GET a blob: the body stream (not yet verified: the caller hashes it) and its size. */
  async getBlob(digest: Digest): Promise<{ stream: Readable; size: number | undefined }> {
    const { res } = await this.request('GET', this.url(`/blobs/${digest}`));
    if (res.statusCode === 404) {
      res.resume();
      throw new NotFoundError(`blob ${digest} not found in ${this.displayName}`);
    }
    if (res.statusCode !== 200) throw await unexpected(res, `fetching blob ${digest}`);
    const len = Number(res.headers['content-length']);
    return { stream: res, size: Number.isFinite(len) ? len : undefined };
  }

  /** GET a whole (small) blob, verified. */
  async getBlobBytes(digest: Digest, max = 16 << 20): Promise<Buffer> {
    const { stream } = await this.getBlob(digest);
    const bytes = await readBody(stream as IncomingMessage, max);
    if (digestOf(bytes) !== digest) throw new InvalidArgumentError(`blob verification failed for digest ${digest}`);
    return bytes;
  }

  /** All tags (following `Link` pagination). */
  async listTags(): Promise<string[]> {
    return this.withFallback(async () => {
      const tags: string[] = [];
      let url: URL | undefined = this.url('/tags/list');
      for (let page = 0; url && page < 1000; page++) {
        const { res } = await this.request('GET', url);
        if (res.statusCode === 404) { res.resume(); throw new NotFoundError(`repository ${this.displayName} not found`); }
        if (res.statusCode !== 200) throw await unexpected(res, `listing tags of ${this.displayName}`);
        const link = res.headers.link;
        const j = JSON.parse((await readBody(res)).toString('utf8')) as { tags?: string[] | null };
        tags.push(...(j.tags ?? []));
        const m = typeof link === 'string' ? /<([^>]+)>\s*;\s*rel="?next"?/.exec(link) : null;
        url = m ? new URL(m[1]!, url) : undefined;
      }
      return tags;
    });
  }

  /** HEAD of a blob: its size, or undefined when the registry lacks it. */
  async headBlob(digest: Digest): Promise<number | undefined> {
    const { res } = await this.request('HEAD', this.url(`/blobs/${digest}`));
    res.resume();
    if (res.statusCode === 404) return undefined;
    if (res.statusCode !== 200) throw new UnavailableError(`checking blob ${digest}: ${res.statusCode}`, { transient: transientStatus(res.statusCode) });
    return Number(res.headers['content-length'] ?? 0);
  }

  /** Cross-repository mount; true when the registry mounted it. */
  async mountBlob(digest: Digest, from: string): Promise<boolean> {
    const u = this.url(`/blobs/uploads/?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from)}`);
    const { res } = await this.request('POST', u, { 'content-length': '0' }, () => Buffer.alloc(0));
    res.resume();
    if (res.statusCode === 201) return true;
    if (res.statusCode === 202 && res.headers.location) {
      // The registry started an upload instead: cancel it.
      const loc = new URL(res.headers.location, u);
      const d = await this.request('DELETE', loc);
      d.res.resume();
    }
    return false;
  }

  /**
   * Uploads a blob (OCI distribution API). A blob of at most the chunk size is complete before anything is sent:
   * HEAD first (nothing is sent when the registry has it), then POST + one PUT `?digest=`. A larger one is sent
   * while it is still being produced: POST, PATCHes of one chunk each (`Content-Range`, `Content-Length`,
   * following the `Location` each answer gives), then PUT `?digest=` once its digest is known.
   */
  async uploadBlob(src: UploadSource, opts: { signal?: AbortSignal } = {}): Promise<UploadResult> {
    const chunk = this.client.uploadChunkSize > 0 ? this.client.uploadChunkSize : Infinity;
    const first = await src.ready(chunk === Infinity ? Infinity : chunk + 1);
    if (first.complete && first.complete.size <= chunk) {
      const { digest, size } = first.complete;
      if ((await this.headBlob(digest)) !== undefined) return { digest, size, existed: true };
      const loc = await this.startUpload(digest, opts.signal);
      if (!loc) return { digest, size, existed: true };
      try {
        await this.finishUpload(loc, digest, { src, start: 0, end: size }, opts.signal);
      } catch (err) {
        await this.cancelUpload(loc);
        throw err;
      }
      return { digest, size, existed: false };
    }
    let loc = await this.startUpload(undefined, opts.signal);
    if (!loc) throw new UnavailableError(`uploading a blob to ${this.displayName}: no upload session`); // 201 needs a digest
    try {
      let offset = 0;
      for (;;) {
        const r = await src.ready(offset + chunk);
        const end = r.complete ? Math.min(r.complete.size, offset + chunk) : offset + chunk;
        if (end > offset) loc = await this.patchChunk(loc, src, offset, end, opts.signal);
        offset = end;
        if (r.complete && offset === r.complete.size) {
          await this.finishUpload(loc, r.complete.digest, undefined, opts.signal);
          return { digest: r.complete.digest, size: r.complete.size, existed: false };
        }
      }
    } catch (err) {
      await this.cancelUpload(loc);
      throw err;
    }
  }

  /**
   * POST /blobs/uploads/: the session's URL (202), or undefined when the registry answers 201 Created (it has
   * the blob; accepted only for a known digest it then confirms with HEAD).
   */
  private async startUpload(digest: Digest | undefined, signal?: AbortSignal): Promise<URL | undefined> {
    const start = this.url('/blobs/uploads/');
    const { res } = await this.request('POST', start, { 'content-length': '0' }, () => Buffer.alloc(0), signal);
    if (res.statusCode === 201) {
      res.resume();
      if (digest && (await this.headBlob(digest)) !== undefined) return undefined;
      throw new UnavailableError(`uploading ${digest ?? 'a blob'} to ${this.displayName}: the registry answered 201 Created to the start of the upload but does not have the blob`);
    }
    if (res.statusCode !== 202) throw await unexpected(res, `starting an upload to ${this.displayName}`);
    res.resume();
    if (!res.headers.location) throw new UnavailableError(`starting an upload to ${this.displayName}: the registry gave no Location for the upload`);
    return new URL(res.headers.location, start);
  }

  /** PATCH of bytes [start, end): the next Location. */
  private async patchChunk(loc: URL, src: UploadSource, start: number, end: number, signal?: AbortSignal): Promise<URL> {
    const headers = { 'content-type': 'application/octet-stream', 'content-range': `${start}-${end - 1}`, 'content-length': String(end - start) };
    const { res } = await this.request('PATCH', loc, headers, () => src.read(start, end), signal);
    if (res.statusCode === 416) {
      const held = typeof res.headers.range === 'string' ? ` (it holds bytes ${res.headers.range})` : '';
      res.resume();
      throw new UnavailableError(`uploading a blob to ${this.displayName}: the registry refused the chunk of bytes ${start}-${end - 1} with 416 Requested Range Not Satisfiable${held}`);
    }
    if (res.statusCode !== 202) throw await unexpected(res, `uploading a blob to ${this.displayName} (bytes ${start}-${end - 1})`);
    res.resume();
    const range = typeof res.headers.range === 'string' ? /(\d+)-(\d+)/.exec(res.headers.range) : null;
    if (range && Number(range[2]) !== end - 1) {
      throw new UnavailableError(`uploading a blob to ${this.displayName}: after bytes ${start}-${end - 1} the registry holds ${res.headers.range as string}`);
    }
    if (!res.headers.location) throw new UnavailableError(`uploading a blob to ${this.displayName}: the registry gave no Location after a chunk`);
    return new URL(res.headers.location, loc);
  }

  /** PUT `?digest=`, with the bytes [start, end) as body (a monolithic upload) or empty (after the chunks). */
  private async finishUpload(loc: URL, digest: Digest, body: { src: UploadSource; start: number; end: number } | undefined, signal?: AbortSignal): Promise<void> {
    const u = new URL(loc);
    u.searchParams.set('digest', digest);
    const size = body ? body.end - body.start : 0;
    const put = await this.request('PUT', u, { 'content-type': 'application/octet-stream', 'content-length': String(size) },
      () => (body ? body.src.read(body.start, body.end) : Buffer.alloc(0)), signal);
    if (put.res.statusCode !== 201) throw await unexpected(put.res, `uploading ${digest} to ${this.displayName}`);
    put.res.resume();
  }

  /**
   * Best effort: DELETE of an unfinished upload session, sent even when the session was aborted (the client of
   * the push went away), within a few seconds.
   */
  private async cancelUpload(loc: URL): Promise<void> {
    try {
      const { res } = await this.request('DELETE', loc, {}, undefined, AbortSignal.timeout(CANCEL_TIMEOUT_MS), true);
      res.resume();
    } catch { /* the registry drops stale uploads itself */ }
  }

  async putManifest(reference: string, mediaType: string, bytes: Buffer): Promise<Digest> {
    const { res } = await this.request('PUT', this.url(`/manifests/${reference}`), { 'content-type': mediaType, 'content-length': String(bytes.length) }, () => bytes);
    if (res.statusCode !== 201) throw await unexpected(res, `pushing manifest ${reference}`);
    res.resume();
    return digestOf(bytes);
  }
}

/** The daemon's registry client: one per daemon, sessions per repository and request. */
export class RegistryClient {
  readonly userAgent: string;
  readonly uploadChunkSize: number;
  constructor(private readonly opts: RegistryClientOptions = {}) {
    this.userAgent = opts.userAgent ?? 'berth/1.0 (linux)';
    this.uploadChunkSize = opts.uploadChunkSize ?? DEFAULT_UPLOAD_CHUNK;
  }

  private endpoints(domain: string): Endpoint[] {
    return endpointsFor(domain, { insecure: this.opts.insecureRegistries ?? [], mirrors: this.opts.registryMirrors ?? [] });
  }

  /** A session on `repo` for `actions` (`pull` or `pull,push`); its requests end when `signal` aborts. */
  session(repo: RepoName, auth: RegistryAuth = {}, actions = 'pull', signal?: AbortSignal): RepositorySession {
    return new RepositorySession(this, repo, auth, this.endpoints(repo.domain), actions, signal);
  }

  /** Asks the token server for a token (anonymous, or with basic credentials / a refresh token). */
  async fetchToken(params: Record<string, string>, scope: string | undefined, auth: RegistryAuth, signal?: AbortSignal): Promise<string> {
    if (auth.registrytoken) return auth.registrytoken;
    const url = new URL(params['realm']!);
    if (params['service']) url.searchParams.set('service', params['service']);
    if (scope) url.searchParams.set('scope', scope);
    const headers: OutgoingHttpHeaders = { 'user-agent': this.userAgent };
    const basic = basicHeader(auth);
    if (basic) headers['authorization'] = basic;
    if (auth.identitytoken && !basic) {
      // OAuth2 refresh-token grant.
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: auth.identitytoken, service: params['service'] ?? '', client_id: 'berth', ...(scope ? { scope } : {}) });
      const body = Buffer.from(form.toString());
      const { res } = await send('POST', new URL(params['realm']!), { ...headers, 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(body.length) }, body, 5, signal);
      if (res.statusCode !== 200) throw new UnauthorizedError(`unauthorized: ${await registryError(res)}`);
      const j = JSON.parse((await readBody(res)).toString('utf8')) as { access_token?: string; token?: string };
      const t = j.access_token ?? j.token;
      if (!t) throw new UnauthorizedError('unauthorized: the token server returned no token');
      return t;
    }
    const { res } = await send('GET', url, headers, undefined, 5, signal);
    if (res.statusCode === 401 || res.statusCode === 403) throw new UnauthorizedError(`unauthorized: ${await registryError(res)}`);
    if (res.statusCode !== 200) throw await unexpected(res, `token server ${url.origin}`);
    const j = JSON.parse((await readBody(res)).toString('utf8')) as { access_token?: string; token?: string };
    const t = j.token ?? j.access_token;
    if (!t) throw new UnauthorizedError('unauthorized: the token server returned no token');
    return t;
  }

  /**
   * `docker login` check (POST /auth): GET /v2/ with the credentials, answering the registry's challenge.
   * Throws UnauthorizedError for wrong credentials.
   */
  async checkLogin(domain: string, auth: RegistryAuth): Promise<void> {
    const ep = this.endpoints(domain).at(-1)!;
    const url = new URL(`${ep.base}/v2/`);
    const { res } = await send('GET', url, { 'user-agent': this.userAgent });
    res.resume();
    if (res.statusCode === 200) return;
    if (res.statusCode !== 401) throw new UnavailableError(`login attempt to ${url.href} failed with status: ${res.statusCode} ${res.statusMessage ?? ''}`);
    if (!hasCredentials(auth)) throw new UnauthorizedError('unauthorized: no credentials given');
    const ch = parseChallenges(res.headers['www-authenticate']);
    const bearer = ch.find((c) => c.scheme === 'bearer');
    let authorization: string | undefined;
    if (bearer?.params['realm']) authorization = `Bearer ${await this.fetchToken(bearer.params, undefined, auth)}`;
    else authorization = basicHeader(auth);
    const r = await send('GET', url, { 'user-agent': this.userAgent, ...(authorization ? { authorization } : {}) });
    if (r.res.statusCode === 200) { r.res.resume(); return; }
    if (r.res.statusCode === 401) throw new UnauthorizedError(`login attempt to ${url.href} failed with status: 401 Unauthorized`);
    throw new UnavailableError(`login attempt to ${url.href} failed with status: ${await registryError(r.res)}`);
  }
}
